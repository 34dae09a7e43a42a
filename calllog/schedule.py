"""The reception schedule: experts' sessions at the office or an outreach place, and slots."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy import orm

from models import Appointment, AppointmentStatus, ReceptionSession, Slot

MIN_SLOT_MINUTES = 5
#: The years a reception session can lie in: a date outside is a typing error, and a year
#: before 1900 would even come back with its zone's old local mean time offset.
SESSION_YEARS = range(2000, 2100)
# The longest texts staff may type for a session: they are spoken on the phone, and five
# experts with their titles must fit one <Say> of at most 1,000 characters (§12).
EXPERT_MAX_LENGTH = 100
TITLE_MAX_LENGTH = 100
PLACE_MAX_LENGTH = 200


class SessionError(ValueError):
    """Times or slots a reception session cannot have; ``str()`` in English, ``ru`` for staff."""

    def __init__(self, message: str, ru: str) -> None:
        super().__init__(message)
        self.ru = ru


class SessionBooked(Exception):
    """The session has appointments, so what was asked would drop or move them."""


def check_times(
    starts_at: datetime, ends_at: datetime, slot_minutes: int, tz: tzinfo | None = None
) -> None:
    """Refuse times and a slot length no session can have (:class:`SessionError`).

    With ``tz`` (the office's time zone), a session must also start and end on one local day.
    """
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise SessionError(
            "starts_at and ends_at need a time zone offset", "Укажите время с часовым поясом."
        )
    if starts_at.year not in SESSION_YEARS or ends_at.year not in SESSION_YEARS:
        raise SessionError(
            f"a reception session lies between the years {SESSION_YEARS.start}"
            f" and {SESSION_YEARS.stop - 1}",
            "Проверьте год приёма.",
        )
    if ends_at <= starts_at:
        raise SessionError(
            "ends_at must be after starts_at", "Время окончания должно быть позже начала."
        )
    if tz is not None and starts_at.astimezone(tz).date() != ends_at.astimezone(tz).date():
        raise SessionError(
            "a reception session starts and ends on the same day",
            "Приём начинается и заканчивается в один день.",
        )
    if not MIN_SLOT_MINUTES <= slot_minutes <= (ends_at - starts_at).total_seconds() // 60:
        raise SessionError(
            "slot_minutes must fit between the start and the end",
            f"Длительность записи — от {MIN_SLOT_MINUTES} минут и не дольше самого приёма.",
        )


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
    tz: tzinfo | None = None,
) -> ReceptionSession:
    """A reception session and its slots, back to back from start to end; with ``tz``, the
    session must lie within one local day (:func:`check_times`)."""
    check_times(starts_at, ends_at, slot_minutes, tz)
    reception = ReceptionSession(
        expert=expert,
        title=title,
        place=place,
        outreach=outreach,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=slot_minutes,
    )
    _add_slots(reception)
    session.add(reception)
    session.flush()
    return reception


def _add_slots(reception: ReceptionSession) -> None:
    step = timedelta(minutes=reception.slot_minutes)
    moment = reception.starts_at
    while moment + step <= reception.ends_at:
        reception.slots.append(Slot(starts_at=moment, ends_at=moment + step))
        moment += step


def appointment_counts(
    session: orm.Session, reception_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """``{session id: (active appointments, all appointments)}``; cancelled ones count in all."""
    if not reception_ids:
        return {}
    active = sa.func.count().filter(Appointment.status != AppointmentStatus.CANCELLED)
    rows = session.execute(
        sa.select(Slot.session_id, active, sa.func.count())
        .join(Appointment, Appointment.slot_id == Slot.id)
        .where(Slot.session_id.in_(reception_ids))
        .group_by(Slot.session_id)
    ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def reschedule(
    session: orm.Session,
    reception: ReceptionSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    slot_minutes: int,
    tz: tzinfo | None = None,
) -> None:
    """Move a session nobody has booked yet and cut its slots anew.

    Raises :class:`SessionBooked` once anyone has booked it (even if they cancelled: the
    appointment keeps its slot), :class:`SessionError` for impossible times.
    """
    check_times(starts_at, ends_at, slot_minutes, tz)
    unchanged = (reception.starts_at, reception.ends_at, reception.slot_minutes) == (
        starts_at,
        ends_at,
        slot_minutes,
    )
    if unchanged:
        return
    _, booked = appointment_counts(session, [reception.id]).get(reception.id, (0, 0))
    if booked:
        raise SessionBooked(reception.id)
    reception.slots.clear()
    session.flush()
    reception.starts_at, reception.ends_at = starts_at, ends_at
    reception.slot_minutes = slot_minutes
    _add_slots(reception)
    session.flush()


def delete_session(session: orm.Session, reception: ReceptionSession) -> None:
    """Delete a session without active appointments, with its slots and cancelled bookings.

    Raises :class:`SessionBooked` while anyone holds a slot (booked, attended or missed).
    """
    active, _ = appointment_counts(session, [reception.id]).get(reception.id, (0, 0))
    if active:
        raise SessionBooked(reception.id)
    cancelled = session.scalars(
        sa.select(Appointment).join(Appointment.slot).where(Slot.session_id == reception.id)
    ).all()
    for appointment in cancelled:
        for recording in appointment.recordings:
            recording.appointment = None
        session.delete(appointment)
    session.flush()
    session.delete(reception)
    session.flush()
