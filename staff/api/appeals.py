"""``/api/appeals``: appeals (обращения), their deadlines and status changes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, jsonify, request
from sqlalchemy import orm

from calllog import appeal_search
from calllog import appeals as service
from calllog.appeal_queries import AppealFilters, Deadline
from calllog.appeal_queries import appeals_query as appeals_matching
from calllog.office import get_office
from db import get_session
from models import Appeal, AppealStatus, StaffRole
from staff.api import (
    actor,
    bp,
    choice,
    day_range,
    json_body,
    keyset_page,
    local_date,
    page_limit,
    require_role,
    text_field,
)
from staff.paging import ranked_page
from staff.serialize import appeal_json

STATUSES = [status.value for status in AppealStatus]
NOTE_MAX = 400
QUERY_MAX = 200

_LOAD = (
    orm.selectinload(Appeal.recordings),
    orm.selectinload(Appeal.calls),
    orm.selectinload(Appeal.history),
    orm.selectinload(Appeal.transcripts),
)


def appeals_query() -> sa.Select[tuple[Appeal]]:
    """The appeals matching the request's filters, newest first."""
    status = choice("status", STATUSES)
    overdue = choice("overdue", ["0", "1", "true", "false"]) in ("1", "true")
    start, end = day_range(local_date("since"), local_date("until"))
    filters = AppealFilters(
        status=AppealStatus(status) if status else None,
        topic=request.args.get("topic") or None,
        deadline=Deadline.OVERDUE if overdue else None,
        start=start,
        end=end,
    )
    return appeals_matching(filters, get_office().now().date()).options(*_LOAD)


def search_words() -> str:
    """``?q=``: words to find in the transcript and staff's summary (any form of them)."""
    words = request.args.get("q", "").strip()
    if len(words) > QUERY_MAX or "\x00" in words:
        abort(400, f"q must be at most {QUERY_MAX} characters")
    return words


@bp.get("/appeals")
def list_appeals() -> Response:
    """The appeals, newest first; with ``q``, those whose text has its words, best first."""
    words = search_words()
    if words:
        page, next_cursor = ranked_page(
            appeal_search.ranked(get_session(), appeals_query(), words), page_limit()
        )
    else:
        page, next_cursor = keyset_page(
            appeals_query(),
            (Appeal.created_at, Appeal.id),
            lambda appeal: (appeal.created_at, appeal.id),
            descending=True,
        )
    tz = get_office().clock.tz
    return jsonify(items=[appeal_json(appeal, tz) for appeal in page], next=next_cursor)


def _find(number: str, *, for_update: bool = False) -> Appeal:
    query = sa.select(Appeal).where(Appeal.number == number).options(*_LOAD)
    if for_update:
        query = query.with_for_update(of=Appeal)
    appeal = None if "\x00" in number else get_session().scalar(query)
    if appeal is None:
        abort(404, "no appeal with that number")
    return appeal


@bp.get("/appeals/<number>")
def get_appeal(number: str) -> Response:
    return jsonify(appeal_json(_find(number), get_office().clock.tz))


@bp.patch("/appeals/<number>")
@require_role(StaffRole.OPERATOR)
def change_appeal(number: str) -> Response:
    """Change the status (``status``, ``note``) and/or extend the answer period once
    (``"extend": true`` with a ``note``). Nothing is changed unless all of it is allowed.
    """
    body = json_body()
    status = body.get("status")
    if status is not None and (not isinstance(status, str) or status not in STATUSES):
        abort(400, f"status must be one of: {', '.join(STATUSES)}")
    extend = body.get("extend", False)
    if not isinstance(extend, bool):
        abort(400, "extend must be true or false")
    note = text_field(body, "note", max_length=NOTE_MAX, required=False)
    if status is None and not extend:
        abort(400, "send a status to change to, or extend: true")
    session = get_session()
    appeal = _find(number, for_update=True)
    now = get_office().now()
    try:
        if extend:
            service.extend_answer_due(session, appeal, note, now, actor())
        if status is not None:
            service.change_status(session, appeal, AppealStatus(status), note, now, actor())
    except service.TransitionError as error:
        session.rollback()
        abort(409, str(error))
    except ValueError as error:
        session.rollback()
        abort(400, str(error))
    session.commit()
    return jsonify(appeal_json(appeal, get_office().clock.tz))
