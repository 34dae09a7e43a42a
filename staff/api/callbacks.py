"""``/api/callbacks``: the queue of citizens to call back, and attempts to reach them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, jsonify
from sqlalchemy import orm

from calllog import callbacks as service
from calllog.office import get_office
from db import MAX_ROW_ID, get_session
from models import AttemptResult, Callback, CallbackStatus, StaffRole
from staff.api import actor, bp, choice, json_body, keyset_page, require_role, text_field
from staff.serialize import callback_json

STATUSES = [status.value for status in CallbackStatus]
RESULTS = [result.value for result in AttemptResult]
NOTE_MAX = 400

_LOAD = (orm.selectinload(Callback.calls), orm.selectinload(Callback.attempts))


@bp.get("/callbacks")
def list_callbacks() -> Response:
    """Callbacks with ``status`` (default ``pending``), the earliest due first."""
    status = choice("status", STATUSES) or CallbackStatus.PENDING.value
    query = (
        sa.select(Callback)
        .where(Callback.status == CallbackStatus(status))
        .options(*_LOAD)
        .order_by(Callback.due_at, Callback.id)
    )
    page, next_cursor = keyset_page(
        query,
        (Callback.due_at, Callback.id),
        lambda callback: (callback.due_at, callback.id),
        descending=False,
    )
    tz = get_office().clock.tz
    return jsonify(items=[callback_json(item, tz) for item in page], next=next_cursor)


@bp.post("/callbacks/<callback_id>/attempts")
@require_role(StaffRole.OPERATOR)
def add_attempt(callback_id: str) -> Response:
    """Record a try to reach the citizen; a ``no_answer`` makes it due the next working day."""
    if not (callback_id.isascii() and callback_id.isdigit()) or int(callback_id) > MAX_ROW_ID:
        abort(404, "no callback with that id")
    body = json_body()
    result = body.get("result")
    if not isinstance(result, str) or result not in RESULTS:
        abort(400, f"result must be one of: {', '.join(RESULTS)}")
    note = text_field(body, "note", max_length=NOTE_MAX, required=False)
    session = get_session()
    callback = session.scalar(
        sa.select(Callback)
        .where(Callback.id == int(callback_id))
        .options(*_LOAD)
        .with_for_update(of=Callback)
    )
    if callback is None:
        abort(404, "no callback with that id")
    if callback.status is not CallbackStatus.PENDING:
        abort(409, f"the callback is {callback.status.value}, not pending")
    office = get_office()
    now = office.now()
    service.record_attempt(
        session,
        callback,
        AttemptResult(result),
        now,
        office.hours.next_working_day_start(now),
        note=note,
        actor=actor(),
    )
    session.commit()
    return jsonify(callback_json(callback, office.clock.tz))
