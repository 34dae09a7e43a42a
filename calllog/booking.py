"""Booking a personal visit: free slots, atomic booking under a short code, the move rule.

Every function takes the SQLAlchemy session and flushes; the caller commits. The database
has the last word on double booking: the partial unique index ``uq_appointment_active_slot``
allows one active (not cancelled) appointment per slot, on every worker and host.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from models import (
    Appointment,
    AppointmentStatus,
    BookingSource,
    Call,
    ReceptionSession,
    Slot,
    call_appointment,
)

# Four digits while they last, then longer: short enough to read twice and type on a keypad.
CODE_LENGTHS = (4, 4, 4, 4, 5, 5, 5, 6, 6, 6)


@dataclass(frozen=True)
class SlotOffer:
    """A slot as the caller hears it: when, with whom, where."""

    slot_id: int
    starts_at: datetime  # aware, in UTC like every stored time: convert it to speak it
    expert: str
    title: str
    place: str
    outreach: bool


class SlotTaken(Exception):
    """The slot was booked by someone else meanwhile."""


def _is_active() -> sa.ColumnElement[bool]:
    # The predicate of uq_appointment_active_slot: attended and missed visits hold their slot.
    return Appointment.status != AppointmentStatus.CANCELLED


def _offers() -> sa.Select[Slot, ReceptionSession]:
    return sa.select(Slot, ReceptionSession).join(Slot.session)


def _as_offer(slot: Slot, reception: ReceptionSession) -> SlotOffer:
    return SlotOffer(
        slot_id=slot.id,
        starts_at=slot.starts_at,
        expert=reception.expert,
        title=reception.title,
        place=reception.place,
        outreach=reception.outreach,
    )


def free_slots(
    session: orm.Session,
    now: datetime,
    *,
    min_ahead: timedelta,
    max_ahead: timedelta,
    limit: int = 3,
    offset: int = 0,
    expert: str | None = None,
) -> list[SlotOffer]:
    """The nearest slots without an active appointment, ``offset`` of them skipped; only
    ``expert``'s when given.

    A slot qualifies when it starts at or after ``now + min_ahead`` and before
    ``now + max_ahead``; a cancelled appointment frees its slot again. The order (start,
    then slot id) is stable, so ``offset`` pages through the list ("9: the next three").
    """
    query = (
        _offers()
        .where(*_free_in_window(now, min_ahead, max_ahead))
        .order_by(Slot.starts_at, Slot.id)
        .limit(limit)
        .offset(offset)
    )
    if expert is not None:
        query = query.where(ReceptionSession.expert == expert)
    return [_as_offer(slot, reception) for slot, reception in session.execute(query)]


def free_experts(
    session: orm.Session,
    now: datetime,
    *,
    min_ahead: timedelta,
    max_ahead: timedelta,
    limit: int,
    offset: int = 0,
) -> list[SlotOffer]:
    """The first free slot of each expert with free slots in the window, nearest first,
    ``offset`` experts skipped."""
    first = (
        sa.select(ReceptionSession.expert, sa.func.min(Slot.starts_at).label("first"))
        .join(Slot.session)
        .where(*_free_in_window(now, min_ahead, max_ahead))
        .group_by(ReceptionSession.expert)
        .order_by(sa.func.min(Slot.starts_at), ReceptionSession.expert)
        .limit(limit)
        .offset(offset)
    )
    experts = [row.expert for row in session.execute(first)]
    return [
        free_slots(session, now, min_ahead=min_ahead, max_ahead=max_ahead, limit=1, expert=expert)[
            0
        ]
        for expert in experts
    ]


def _free_in_window(
    now: datetime, min_ahead: timedelta, max_ahead: timedelta
) -> tuple[sa.ColumnElement[bool], ...]:
    taken = sa.exists().where(Appointment.slot_id == Slot.id, _is_active())
    return (Slot.starts_at >= now + min_ahead, Slot.starts_at < now + max_ahead, ~taken)


def offer(session: orm.Session, slot_id: int) -> SlotOffer | None:
    """The slot described for the caller, free or not; ``None`` if there is no such slot."""
    row = session.execute(_offers().where(Slot.id == slot_id)).first()
    return None if row is None else _as_offer(row.Slot, row.ReceptionSession)


def upcoming_appointment(session: orm.Session, phone: str, now: datetime) -> Appointment | None:
    """The appointment ``phone`` holds (status booked) in a slot starting after ``now``."""
    return session.scalars(_upcoming(phone, now).limit(1)).first()


def upcoming_appointments(session: orm.Session, phone: str, now: datetime) -> list[Appointment]:
    """Every appointment ``phone`` holds in a slot starting after ``now``, soonest first."""
    return list(session.scalars(_upcoming(phone, now)))


def _upcoming(phone: str, now: datetime) -> sa.Select[Appointment]:
    return (
        sa.select(Appointment)
        .join(Appointment.slot)
        .where(
            Appointment.phone == phone,
            Appointment.status == AppointmentStatus.BOOKED,
            Slot.starts_at > now,
        )
        .order_by(Slot.starts_at, Appointment.id)
    )


def booked_in_call(session: orm.Session, call: Call, slot_id: int) -> Appointment | None:
    """The active appointment ``call`` has already made on the slot (Twilio retried)."""
    return session.scalar(
        sa.select(Appointment)
        .join(call_appointment)
        .where(call_appointment.c.call_id == call.id, Appointment.slot_id == slot_id)
        .where(_is_active())
    )


def book(
    session: orm.Session,
    *,
    slot_id: int,
    phone: str | None,
    now: datetime,
    source: BookingSource,
    call: Call | None = None,
    visitor_name: str | None = None,
    note: str | None = None,
) -> Appointment:
    """Book the slot under a fresh code and link ``call`` to the appointment.

    Raises :class:`SlotTaken` when the slot has an active appointment, whether it was there
    before or a concurrent booking won the race; the session stays usable and the caller's
    previous appointment stays booked. Raises ``ValueError`` when the slot does not exist
    or has already started.

    The phone menu keeps one upcoming appointment per number: a booking by phone moves the
    number's previous upcoming appointment (cancels it in the same transaction), under a
    lock on the number (:func:`_lock_phone`), so two confirmations at once cannot both
    keep theirs. Staff bookings never cancel anything: staff choose to :func:`move` an
    appointment or book one more for another visitor of the same phone.
    """
    if phone is not None:
        _lock_phone(session, phone)
    _lock_free_slot(session, slot_id, now)
    for length in CODE_LENGTHS:
        appointment = Appointment(
            slot_id=slot_id,
            code=_random_code(length),
            phone=phone,
            status=AppointmentStatus.BOOKED,
            source=source,
            created_at=now,
            visitor_name=visitor_name,
            note=note,
        )
        try:
            with session.begin_nested():
                session.add(appointment)
        except sa.exc.IntegrityError:
            # Either the slot was taken by a writer that did not lock it, or the code
            # was drawn before: only the first is final.
            if _slot_is_taken(session, slot_id):
                raise SlotTaken(slot_id) from None
            continue
        if phone is not None and source is BookingSource.PHONE:
            _cancel_upcoming(session, phone, now, keep=appointment)
        if call is not None:
            call.appointments.append(appointment)
        session.flush()
        return appointment
    raise RuntimeError("no free booking code after several draws")


def move(session: orm.Session, appointment: Appointment, slot_id: int, now: datetime) -> None:
    """Move a booked appointment to another free slot; it keeps its code, name and calls.

    Raises :class:`SlotTaken` when the slot has an active appointment and ``ValueError``
    when the slot does not exist or has begun, or the appointment is not booked and upcoming.
    """
    if appointment.status is not AppointmentStatus.BOOKED:
        raise ValueError(f"appointment {appointment.code} is {appointment.status}")
    if appointment.slot.starts_at <= now:
        raise ValueError(f"appointment {appointment.code} has begun")
    appointment.slot = _lock_free_slot(session, slot_id, now)
    appointment.reminder_sent_at = None  # the reminder named the old time
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise SlotTaken(slot_id) from None


def _lock_phone(session: orm.Session, phone: str) -> None:
    """Hold the number's lock until the transaction ends: bookings of one number queue.

    PostgreSQL: a transaction-level advisory lock keyed by the number, so a second
    confirmation from the number waits here for the first transaction to end and then sees
    its appointment. SQLite: the database's single write lock, taken now (a no-op UPDATE)
    and held until the end, does the same for every writer.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = sa.func.hashtextextended("appointment-phone:" + phone, 0)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    elif dialect == "sqlite":
        session.execute(
            sa.update(Appointment)
            .where(Appointment.phone == phone, sa.false())
            .values(phone=Appointment.phone)
            .execution_options(synchronize_session=False)
        )


def _lock_free_slot(session: orm.Session, slot_id: int, now: datetime) -> Slot:
    """The slot, locked (:func:`_lock_slot`), once it is known to exist, to lie ahead and
    to hold no active appointment: ``ValueError`` or :class:`SlotTaken` otherwise."""
    slot = _lock_slot(session, slot_id)
    if slot is None:
        raise ValueError(f"no slot {slot_id}")
    if slot.starts_at <= now:
        raise ValueError(f"slot {slot_id} has already started")
    if _slot_is_taken(session, slot_id):
        raise SlotTaken(slot_id)
    return slot


def _lock_slot(session: orm.Session, slot_id: int) -> Slot | None:
    """The slot, locked against concurrent bookings until the transaction ends.

    On PostgreSQL ``SELECT ... FOR UPDATE`` locks the row, so a second confirmation of the
    same slot waits here for the first transaction to end and then sees its appointment.
    SQLite has no row locks (it drops ``FOR UPDATE``) and lets one writer in at a time: a
    no-op UPDATE makes sure this transaction holds that write lock before it reads (a no-op
    indeed if it began IMMEDIATE), so a concurrent booking waits for it (``busy_timeout``)
    rather than failing later on a stale snapshot.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.update(Slot)
            .where(Slot.id == slot_id)
            .values(ends_at=Slot.ends_at)
            .execution_options(synchronize_session=False)
        )
    query = sa.select(Slot).where(Slot.id == slot_id).with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def _slot_is_taken(session: orm.Session, slot_id: int) -> bool:
    query = sa.select(Appointment.id).where(Appointment.slot_id == slot_id, _is_active())
    return session.scalar(query.limit(1)) is not None


def _random_code(length: int) -> str:
    low = 10 ** (length - 1)
    return str(low + secrets.randbelow(9 * low))


def set_contact(session: orm.Session, appointment: Appointment, phone: str, now: datetime) -> None:
    """Set the contact typed on the keypad; the phone's other upcoming booking is cancelled."""
    _lock_phone(session, phone)
    appointment.phone = phone
    _cancel_upcoming(session, phone, now, keep=appointment)
    session.flush()


def _cancel_upcoming(session: orm.Session, phone: str, now: datetime, *, keep: Appointment) -> None:
    """Cancel every upcoming appointment of ``phone`` but ``keep``: a phone holds one."""
    others = session.scalars(_upcoming(phone, now).where(Appointment.id != keep.id)).all()
    for other in others:
        cancel(session, other, now)


NOTE_MAX_LENGTH = 500


def cancel(
    session: orm.Session, appointment: Appointment, now: datetime, reason: str | None = None
) -> None:
    """Cancel a booked appointment and free its slot; cancelling it again changes nothing.

    Staff give a ``reason``; it is added to the appointment's note. Raises ``ValueError``
    for a visit already marked attended or missed.
    """
    if appointment.status == AppointmentStatus.CANCELLED:
        return
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValueError(f"appointment {appointment.code} is {appointment.status}")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    if reason:
        note = "; ".join(filter(None, (appointment.note, f"отменена: {reason}")))
        appointment.note = note[:NOTE_MAX_LENGTH]
    session.flush()


def find_by_code(session: orm.Session, code: str) -> Appointment | None:
    return session.scalar(sa.select(Appointment).where(Appointment.code == code))


VISIT_RESULTS = frozenset({AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW})


def mark_visit(
    session: orm.Session, appointment: Appointment, status: AppointmentStatus, now: datetime
) -> bool:
    """Mark a visit attended or missed (or correct that mark); return whether it changed.

    Raises ``ValueError`` for a cancelled appointment, a status other than ``attended`` or
    ``no_show``, and before the local day of the visit (``now`` is in the office's zone).
    """
    if status not in VISIT_RESULTS:
        raise ValueError(f"a visit is attended or no_show, not {status}")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValueError(f"appointment {appointment.code} is cancelled")
    if appointment.slot.starts_at.astimezone(now.tzinfo).date() > now.date():
        raise ValueError(f"appointment {appointment.code} is on a later day")
    if appointment.status == status:
        return False
    appointment.status = status
    session.flush()
    return True
