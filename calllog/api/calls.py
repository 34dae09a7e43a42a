"""``/api/calls``: the call log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, jsonify, request

from calllog.api import bp, day_range, keyset_page, local_date, page_limit
from calllog.phones import search_variants
from calllog.serialize import call_detail, call_summary
from db import get_session
from models import Call, CallOutcome
from office import get_office


def calls_query() -> sa.Select[tuple[Call]]:
    """The calls matching the request's filters, newest first."""
    query = sa.select(Call)
    if line := request.args.get("line"):
        query = query.where(Call.line == line)
    if outcome := request.args.get("outcome"):
        if outcome not in CallOutcome.__members__.values():
            abort(400, f"unknown outcome {outcome!r}")
        query = query.where(Call.outcome == outcome)
    if status := request.args.get("status"):
        query = query.where(Call.status == status)
    if caller := request.args.get("caller"):
        variants = search_variants(caller) or [caller]
        term = variants[0]
        query = query.where(
            Call.caller == term if term.startswith("+") else Call.caller.endswith(term)
        )
    start, end = day_range(local_date("since"), local_date("until"))
    if start is not None:
        query = query.where(Call.started_at >= start)
    if end is not None:
        query = query.where(Call.started_at < end)
    return query.order_by(Call.started_at.desc(), Call.id.desc())


@bp.get("/calls")
def list_calls() -> Response:
    page_limit()  # a bad limit is reported before a bad filter
    query = calls_query()
    page, next_cursor = keyset_page(
        query,
        (Call.started_at, Call.id),
        lambda call: (call.started_at, call.id),
        descending=True,
    )
    tz = get_office().clock.tz
    return jsonify(items=[call_summary(call, tz) for call in page], next=next_cursor)


@bp.get("/calls/<sid>")
def get_call(sid: str) -> Response:
    call = None if "\x00" in sid else get_session().scalar(sa.select(Call).where(Call.sid == sid))
    if call is None:
        abort(404, "no call with that sid")
    return jsonify(call_detail(call, get_office().clock.tz))
