"""One call in detail for staff: its steps, records and recordings, as staff read them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from sqlalchemy import orm

from calllog import audit
from calllog.office import get_office
from db import get_session
from models import Appointment, Call, Recording, RecordingState, Slot, StaffRole
from staff.web import actor, bp, role_required
from staff.web.calls import CALL_STATUSES, caller_text, duration, line_name, link
from staff.web.labels import (
    APPEAL_STATUSES,
    APPOINTMENT_STATUSES,
    CALLBACK_REASONS,
    CALLBACK_STATUSES,
    OUTCOMES,
    RECORDING_KINDS,
    label,
)
from staff.web.timeline import timeline

DIRECTIONS = {"inbound": "входящий"}


@bp.get("/calls/<sid>")
@role_required(StaffRole.OPERATOR)
def call(sid: str) -> str:
    if "\x00" in sid or len(sid) > 34:
        abort(404)
    session = get_session()
    found = session.scalar(
        sa.select(Call)
        .where(Call.sid == sid)
        .options(
            orm.selectinload(Call.events),
            orm.selectinload(Call.appeals),
            orm.selectinload(Call.appointments)
            .joinedload(Appointment.slot)
            .joinedload(Slot.session),
            orm.selectinload(Call.recordings).joinedload(Recording.appeal),
            orm.joinedload(Call.callback),
        )
    )
    if found is None:
        abort(404)
    office = get_office()
    audit.record(session, actor(), "view", f"call:{found.sid}", office.now())
    session.commit()
    return render_template(
        "staff/call.html",
        call=found,
        line_name=line_name(office, found.line),
        caller=caller_text(found),
        direction=DIRECTIONS.get(found.direction, "исходящий"),
        status_text=label(CALL_STATUSES, found.status) if found.status else "—",
        outcome_text=label(OUTCOMES, found.outcome) if found.outcome else "—",
        duration=duration,
        events=timeline(session, office, found),
        appeal_status=lambda value: label(APPEAL_STATUSES, value),
        appointment_status=lambda value: label(APPOINTMENT_STATUSES, value),
        callback_status=lambda value: label(CALLBACK_STATUSES, value),
        reason=lambda value: label(CALLBACK_REASONS, value),
        topic=office.topic_name,
        recording_kind=lambda value: label(RECORDING_KINDS, value),
        stored=RecordingState.STORED,
        purged=RecordingState.PURGED,
        link=link,
    )
