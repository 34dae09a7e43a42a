"""``/api/sessions``: the schedule of experts' receptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, abort, jsonify

from calllog import schedule
from calllog.office import get_office
from db import get_session
from models import StaffRole
from staff.api import bp, json_body, require_role, text_field
from staff.serialize import session_json


def _moment(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    example = "2026-12-02T10:00:00+05:00"
    if not isinstance(value, str):
        abort(400, f"{name} must be an ISO 8601 time like {example}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        abort(400, f"{name} must be an ISO 8601 time like {example}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        abort(400, f"{name} needs a UTC offset, like {example}")
    return moment


@bp.post("/sessions")
@require_role(StaffRole.SUPERVISOR)
def create_session() -> tuple[Response, int]:
    """Create a reception session and its slots by the schedule's rules (§12): within
    08:00–21:00 of one local day, slots of 10–60 minutes, on a non-working day only with
    ``non_working_day: true``; an overlap with the expert's other session is a 409."""
    body = json_body()
    expert = text_field(body, "expert", max_length=schedule.EXPERT_MAX_LENGTH)
    title = text_field(body, "title", max_length=schedule.TITLE_MAX_LENGTH)
    place = text_field(body, "place", max_length=schedule.PLACE_MAX_LENGTH)
    starts_at = _moment(body, "starts_at")
    ends_at = _moment(body, "ends_at")
    slot_minutes = body.get("slot_minutes")
    if not isinstance(slot_minutes, int) or isinstance(slot_minutes, bool):
        abort(400, "slot_minutes must be a whole number")
    outreach = body.get("outreach", False)
    if not isinstance(outreach, bool):
        abort(400, "outreach must be true or false")
    non_working_day = body.get("non_working_day", False)
    if not isinstance(non_working_day, bool):
        abort(400, "non_working_day must be true or false")
    office = get_office()
    tz = office.clock.tz
    session = get_session()
    try:
        reception = schedule.create_session(
            session,
            expert=expert,
            title=title,
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            slot_minutes=slot_minutes,
            outreach=outreach,
            rules=office.schedule_rules(),
            non_working_day=non_working_day,
        )
    except schedule.SessionOverlap as error:
        session.rollback()
        abort(409, str(error))
    except ValueError as error:
        session.rollback()
        abort(400, str(error))
    session.commit()
    return jsonify(session_json(reception, tz)), 201
