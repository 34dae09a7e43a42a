"""The reception schedule: experts' sessions at the office or an outreach place, and slots."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import orm

from models import ReceptionSession, Slot

MIN_SLOT_MINUTES = 5


def create_session(
    session: orm.Session,
    *,
    expert: str,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    slot_minutes: int,
    outreach: bool = False,
) -> ReceptionSession:
    """A reception session and its slots, back to back from start to end."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("starts_at and ends_at need a time zone offset")
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if not MIN_SLOT_MINUTES <= slot_minutes <= (ends_at - starts_at).total_seconds() // 60:
        raise ValueError("slot_minutes must fit between the start and the end")
    reception = ReceptionSession(
        expert=expert,
        title=title,
        place=place,
        outreach=outreach,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=slot_minutes,
    )
    step = timedelta(minutes=slot_minutes)
    moment = starts_at
    while moment + step <= ends_at:
        reception.slots.append(Slot(starts_at=moment, ends_at=moment + step))
        moment += step
    session.add(reception)
    session.flush()
    return reception
