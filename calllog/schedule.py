"""The reception schedule: experts' sessions at the office or an outreach place, and slots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.calendar import ProductionCalendar
from models import Appointment, AppointmentStatus, ReceptionSession, Slot

MIN_SLOT_MINUTES = 10
MAX_SLOT_MINUTES = 60
#: A session lies within these local hours (§12).
DAY_OPENS, DAY_CLOSES = time(8), time(21)
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


class SessionOverlap(SessionError):
    """The expert has another session at that time."""


class SessionBooked(Exception):
    """What was asked would drop booked slots: those appointments must be moved or
    cancelled first. ``appointments`` are the ones in the way."""

    def __init__(self, session_id: int, appointments: Sequence[Appointment] = ()) -> None:
        super().__init__(session_id)
        self.appointments = list(appointments)


@dataclass(frozen=True)
class LocalRules:
    """What the office's time zone and calendar add to a session's rules (§12)."""

    tz: tzinfo
    calendar: ProductionCalendar


def check_times(
    starts_at: datetime,
    ends_at: datetime,
    slot_minutes: int,
    tz: tzinfo | None = None,
    *,
    rules: LocalRules | None = None,
    non_working_day: bool = False,
) -> None:
    """Refuse times and a slot length no session can have (:class:`SessionError`).

    With ``tz`` or ``rules`` a session must also start and end on one local day; with
    ``rules`` within 08:00–21:00 local time, and on a non-working day only when
    ``non_working_day`` says so explicitly (outreach on a Saturday is legitimate).
    """
    tz = rules.tz if rules is not None else tz
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
    if not MIN_SLOT_MINUTES <= slot_minutes <= MAX_SLOT_MINUTES:
        raise SessionError(
            f"slot_minutes must be {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES}",
            f"Длительность записи — от {MIN_SLOT_MINUTES} до {MAX_SLOT_MINUTES} минут.",
        )
    if slot_minutes > (ends_at - starts_at).total_seconds() // 60:
        raise SessionError(
            "slot_minutes must fit between the start and the end",
            "Длительность записи не может быть дольше самого приёма.",
        )
    if rules is None:
        return
    start, end = starts_at.astimezone(rules.tz), ends_at.astimezone(rules.tz)
    if start.time() < DAY_OPENS or end.time() > DAY_CLOSES:
        raise SessionError(
            "a reception session lies within 08:00-21:00 local time",
            "Приём проводится с 8:00 до 21:00.",
        )
    if not non_working_day and not rules.calendar.is_working_day(start.date()):
        raise SessionError(
            "the day is not a working day: set non_working_day to hold a session on it",
            f"{start:%d.%m.%Y} — нерабочий день: отметьте «приём в нерабочий день», "
            "если он действительно будет.",
        )


def check_overlap(
    session: orm.Session,
    expert: str,
    starts_at: datetime,
    ends_at: datetime,
    tz: tzinfo,
    *,
    exclude_id: int | None = None,
) -> None:
    """Refuse a time when ``expert`` has another session (:class:`SessionOverlap`)."""
    query = sa.select(ReceptionSession).where(
        ReceptionSession.expert == expert,
        ReceptionSession.starts_at < ends_at,
        ReceptionSession.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(ReceptionSession.id != exclude_id)
    other = session.scalars(query.order_by(ReceptionSession.starts_at).limit(1)).first()
    if other is not None:
        raise _overlap(other, tz)


def _overlap(other: ReceptionSession | None, tz: tzinfo) -> SessionOverlap:
    if other is None:
        return SessionOverlap(
            "the expert has another session at that time",
            "У эксперта в это время уже есть приём.",
        )
    start, end = other.starts_at.astimezone(tz), other.ends_at.astimezone(tz)
    return SessionOverlap(
        f"the expert has another session at that time: session {other.id}",
        f"У эксперта в это время уже есть приём: {start:%d.%m.%Y %H:%M}–{end:%H:%M}.",
    )


def _flush_checked(session: orm.Session, tz: tzinfo) -> None:
    """Flush; the exclusion constraint of PostgreSQL has the last word on overlaps."""
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError as error:
        if "ex_reception_session_expert_overlap" in str(error.orig):
            raise _overlap(None, tz) from None
        raise


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
    rules: LocalRules | None = None,
    non_working_day: bool = False,
) -> ReceptionSession:
    """A reception session and its slots, back to back from start to end.

    Pages and API pass the office's ``rules`` (:func:`check_times`); the expert may not
    have another session at that time (:class:`SessionOverlap`).
    """
    check_times(starts_at, ends_at, slot_minutes, tz, rules=rules, non_working_day=non_working_day)
    zone = rules.tz if rules is not None else (tz or starts_at.tzinfo)
    assert zone is not None
    check_overlap(session, expert, starts_at, ends_at, zone)
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
    _flush_checked(session, zone)
    return reception


def update_details(
    session: orm.Session,
    reception: ReceptionSession,
    tz: tzinfo,
    **details: str | bool,
) -> list[str]:
    """Change ``expert``, ``title``, ``place`` or ``outreach``; returns the names changed.

    A new expert may not have another session at that time (:class:`SessionOverlap`).
    """
    changed = [name for name, value in details.items() if getattr(reception, name) != value]
    if "expert" in changed:
        check_overlap(
            session,
            str(details["expert"]),
            reception.starts_at,
            reception.ends_at,
            tz,
            exclude_id=reception.id,
        )
    for name in changed:
        setattr(reception, name, details[name])
    _flush_checked(session, tz)
    return changed


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
    rules: LocalRules | None = None,
    non_working_day: bool = False,
) -> None:
    """Move a session or cut its slots anew, keeping every booked slot.

    A slot holding an active appointment (booked, attended or missed) must be a slot of the
    new timetable too, and is kept as it is; the other slots go, with their cancelled
    appointments. Raises :class:`SessionBooked` naming the appointments that would be
    dropped (staff move or cancel them first), :class:`SessionError` for impossible times
    and :class:`SessionOverlap` when the expert has another session then.
    """
    unchanged = (reception.starts_at, reception.ends_at, reception.slot_minutes) == (
        starts_at,
        ends_at,
        slot_minutes,
    )
    if unchanged:
        return
    check_times(starts_at, ends_at, slot_minutes, tz, rules=rules, non_working_day=non_working_day)
    zone = rules.tz if rules is not None else (tz or starts_at.tzinfo)
    assert zone is not None
    check_overlap(session, reception.expert, starts_at, ends_at, zone, exclude_id=reception.id)
    step = timedelta(minutes=slot_minutes)
    new_times = set()
    moment = starts_at
    while moment + step <= ends_at:
        new_times.add((moment, moment + step))
        moment += step
    kept, dropped = [], []
    in_the_way: list[Appointment] = []
    for slot in reception.slots:
        active = [a for a in slot.appointments if a.status != AppointmentStatus.CANCELLED]
        if active and (slot.starts_at, slot.ends_at) not in new_times:
            in_the_way += active
        (kept if active else dropped).append(slot)
    if in_the_way:
        raise SessionBooked(reception.id, in_the_way)
    for slot in dropped:
        _delete_cancelled(session, slot.appointments)
        reception.slots.remove(slot)
    session.flush()
    reception.starts_at, reception.ends_at = starts_at, ends_at
    reception.slot_minutes = slot_minutes
    taken = {(slot.starts_at, slot.ends_at) for slot in kept}
    for begins, ends in sorted(new_times - taken):
        reception.slots.append(Slot(starts_at=begins, ends_at=ends))
    _flush_checked(session, zone)


def _delete_cancelled(session: orm.Session, appointments: Sequence[Appointment]) -> None:
    for appointment in appointments:
        for recording in appointment.recordings:
            recording.appointment = None
        session.delete(appointment)


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
    _delete_cancelled(session, cancelled)
    session.flush()
    session.delete(reception)
    session.flush()
