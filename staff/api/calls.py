"""``/api/calls``: the call log.

The filters, their checks and the keyset pages live in :mod:`calllog.call_queries`, which
the staff pages use too; this module only speaks HTTP and JSON.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, jsonify, request

from calllog.call_queries import CallFilters, FilterError, calls_page, decode_cursor
from calllog.call_queries import calls_query as filtered_calls
from calllog.calls import find_call
from calllog.office import get_office
from db import get_session
from models import Call
from staff.api import bp, page_limit
from staff.serialize import call_detail, call_summary


def request_filters() -> CallFilters:
    """The request's filters; 400 with the first bad one."""
    try:
        return CallFilters.from_args(request.args)
    except FilterError as error:
        abort(400, str(error))


def calls_query() -> sa.Select[tuple[Call]]:
    """The calls matching the request's filters, newest first."""
    return filtered_calls(request_filters(), get_office().clock.tz)


@bp.get("/calls")
def list_calls() -> Response:
    limit = page_limit()  # a bad limit is reported before a bad filter
    query = calls_query()
    position = None
    if cursor := request.args.get("cursor"):
        try:
            position = decode_cursor(cursor)
        except FilterError as error:
            abort(400, str(error))
    page, next_cursor = calls_page(get_session(), query, limit, position)
    tz = get_office().clock.tz
    return jsonify(items=[call_summary(call, tz) for call in page], next=next_cursor)


@bp.get("/calls/<sid>")
def get_call(sid: str) -> Response:
    call = None if "\x00" in sid else find_call(get_session(), sid)
    if call is None:
        abort(404, "no call with that sid")
    return jsonify(call_detail(call, get_office().clock.tz))
