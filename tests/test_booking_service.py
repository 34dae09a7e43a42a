"""Booking services: free slots, codes, taken slots, the move rule, cancelling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import orm

import db
from calllog import booking
from calllog.booking import SlotOffer, SlotTaken
from calllog.schedule import create_session
from models import Appointment, AppointmentStatus, BookingSource, Call, CallerKind
from tests.conftest import LINE, MOBILE, OPEN_TIME

PERM = ZoneInfo("Asia/Yekaterinburg")
NOW = OPEN_TIME  # Wednesday 2 December 2026, 11:00
MIN_AHEAD = timedelta(hours=2)
MAX_AHEAD = timedelta(days=30)
OTHER_MOBILE = "+79024715566"


@pytest.fixture
def session(app: Flask) -> Iterator[orm.Session]:
    with app.app_context():
        yield db.get_session()


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PERM)


def reception(
    session: orm.Session,
    starts_at: datetime,
    minutes: int,
    *,
    slot_minutes: int = 15,
    expert: str = "Иванова Мария Петровна",
    outreach: bool = False,
) -> list[int]:
    """A reception session from ``starts_at``; the ids of its slots, earliest first."""
    created = create_session(
        session,
        expert=expert,
        title="юрист",
        place="Пермь, ул. Екатерининская, 210" if not outreach else "Кунгур, ул. Ленина, 1",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        slot_minutes=slot_minutes,
        outreach=outreach,
    )
    return [slot.id for slot in created.slots]


def free(session: orm.Session, **paging: int) -> list[SlotOffer]:
    return booking.free_slots(session, NOW, min_ahead=MIN_AHEAD, max_ahead=MAX_AHEAD, **paging)


def book(session: orm.Session, slot_id: int, phone: str | None = MOBILE, **kw) -> Appointment:
    kw.setdefault("now", NOW)
    kw.setdefault("source", BookingSource.PHONE)
    return booking.book(session, slot_id=slot_id, phone=phone, **kw)


def new_call(session: orm.Session, sid: str = "CA" + "7" * 32) -> Call:
    call = Call(
        sid=sid,
        direction="inbound",
        line=LINE,
        caller=MOBILE,
        caller_raw=MOBILE,
        caller_kind=CallerKind.RUSSIAN,
        started_at=NOW,
    )
    session.add(call)
    session.flush()
    return call


# free_slots and offer


def test_free_slots_are_the_nearest_ordered_by_time_then_slot(session):
    later = reception(session, local(12, 3, 10), 30, expert="Петров")
    same_time = reception(session, local(12, 3, 10), 15, expert="Сидорова")
    earliest = reception(session, local(12, 2, 15), 15, expert="Кузнецов", outreach=True)

    offers = free(session, limit=10)

    assert [o.slot_id for o in offers] == [earliest[0], later[0], same_time[0], later[1]]
    first = offers[0]
    assert first == SlotOffer(
        slot_id=earliest[0],
        starts_at=local(12, 2, 15),
        expert="Кузнецов",
        title="юрист",
        place="Кунгур, ул. Ленина, 1",
        outreach=True,
    )
    assert first.starts_at.tzinfo is not None
    assert [o.slot_id for o in free(session)] == [earliest[0], later[0], same_time[0]]


def test_free_slots_start_two_hours_ahead_and_end_within_thirty_days(session):
    reception(session, local(12, 1, 10), 60)  # yesterday
    too_soon, two_hours = reception(session, NOW + timedelta(minutes=105), 30)
    last, thirty_days = reception(session, NOW + MAX_AHEAD - timedelta(minutes=15), 30)

    offers = free(session, limit=10)

    assert [o.slot_id for o in offers] == [two_hours, last]
    assert offers[0].starts_at == local(12, 2, 13)
    assert offers[1].starts_at == local(1, 1, 10, 45, year=2027)
    assert too_soon not in {o.slot_id for o in offers}
    assert thirty_days not in {o.slot_id for o in offers}


def test_offset_pages_through_the_next_three(session):
    slots = reception(session, local(12, 4, 10), 7 * 15)

    pages = [[o.slot_id for o in free(session, offset=offset)] for offset in (0, 3, 6, 9)]

    assert pages == [slots[0:3], slots[3:6], slots[6:7], []]


def test_booked_slots_are_not_offered_and_cancelled_ones_are_free_again(session):
    first, second, third = reception(session, local(12, 4, 10), 45)
    appointment = book(session, second)
    attended = book(session, third, phone=OTHER_MOBILE)
    attended.status = AppointmentStatus.ATTENDED

    assert [o.slot_id for o in free(session)] == [first]

    booking.cancel(session, appointment, NOW)

    assert [o.slot_id for o in free(session)] == [first, second]


def test_offer_describes_a_slot_booked_or_not(session):
    (slot_id,) = reception(session, local(12, 4, 10), 15, expert="Петров")
    book(session, slot_id)

    offered = booking.offer(session, slot_id)

    assert offered is not None
    assert (offered.slot_id, offered.expert, offered.starts_at) == (
        slot_id,
        "Петров",
        local(12, 4, 10),
    )
    assert booking.offer(session, slot_id + 1000) is None


# book


def test_book_creates_a_booked_appointment_with_a_code_and_links_the_call(session):
    (slot_id,) = reception(session, local(12, 4, 10), 15)
    call = new_call(session)

    appointment = book(session, slot_id, call=call)

    assert appointment.id is not None
    assert appointment.status == AppointmentStatus.BOOKED
    assert (appointment.slot_id, appointment.phone) == (slot_id, MOBILE)
    assert appointment.source == BookingSource.PHONE
    assert appointment.created_at == NOW
    assert appointment.code.isdigit()
    assert 4 <= len(appointment.code) <= 6
    assert call.appointments == [appointment]
    assert appointment.calls == [call]
    assert booking.find_by_code(session, appointment.code) is appointment
    assert booking.find_by_code(session, "000") is None


def test_booking_codes_are_unique_digits_of_four_to_six(session):
    slots = [
        slot_id
        for day in (3, 4, 7, 8, 9)
        for slot_id in reception(session, local(12, day, 9), 10 * 60, slot_minutes=10)
    ]
    assert len(slots) >= 300

    codes = [
        book(session, slot_id, phone=f"+7902{n:07d}").code for n, slot_id in enumerate(slots[:300])
    ]

    assert len(set(codes)) == 300
    assert all(code.isdigit() and 4 <= len(code) <= 6 for code in codes)
    stored = session.scalars(sa.select(Appointment.code)).all()
    assert sorted(stored) == sorted(codes)


def test_a_drawn_code_that_exists_is_drawn_again(session, monkeypatch):
    first, second = reception(session, local(12, 4, 10), 30)
    taken = book(session, first).code
    draws = iter([taken, "4321"])
    monkeypatch.setattr(booking, "_random_code", lambda length: next(draws))

    appointment = book(session, second, phone=OTHER_MOBILE)

    assert appointment.code == "4321"


def test_codes_grow_longer_when_short_ones_are_crowded(session, monkeypatch):
    first, second = reception(session, local(12, 4, 10), 30)
    monkeypatch.setattr(booking, "_random_code", lambda length: "1234")
    book(session, first)
    monkeypatch.undo()
    real_code = booking._random_code
    monkeypatch.setattr(
        booking, "_random_code", lambda length: "1234" if length == 4 else real_code(length)
    )

    appointment = book(session, second, phone=OTHER_MOBILE)

    assert len(appointment.code) == 5


def test_booking_a_taken_slot_raises_and_leaves_the_session_usable(session):
    first, second = reception(session, local(12, 4, 10), 30)
    winner = book(session, first, phone=MOBILE)
    kept = book(session, second, phone=OTHER_MOBILE)

    with pytest.raises(SlotTaken):
        book(session, first, phone=OTHER_MOBILE)

    assert kept.status == AppointmentStatus.BOOKED  # a failed move keeps the old booking
    assert booking.upcoming_appointment(session, OTHER_MOBILE, NOW) is kept
    active = session.scalars(
        sa.select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
    ).all()
    assert set(active) == {winner, kept}


def test_losing_the_race_at_the_unique_index_raises_slot_taken(session, monkeypatch):
    """A booking that passed the check but meets an active appointment at the index."""
    first, second = reception(session, local(12, 4, 10), 30)
    winner = book(session, first)
    real_check = booking._slot_is_taken
    checked: list[int] = []

    def misses_it_once(s: orm.Session, slot_id: int) -> bool:
        checked.append(slot_id)
        return len(checked) > 1 and real_check(s, slot_id)

    monkeypatch.setattr(booking, "_slot_is_taken", misses_it_once)

    with pytest.raises(SlotTaken):
        book(session, first, phone=OTHER_MOBILE)

    assert checked == [first, first]  # before the insert, and after the index said no
    assert session.scalars(sa.select(Appointment)).all() == [winner]
    assert book(session, second, phone=OTHER_MOBILE).slot_id == second


def test_a_slot_in_the_past_or_unknown_is_refused(session):
    started, starting_now = reception(session, NOW - timedelta(minutes=15), 30)

    with pytest.raises(ValueError, match="started"):
        book(session, started)
    with pytest.raises(ValueError, match="started"):
        book(session, starting_now)
    with pytest.raises(ValueError, match="no slot"):
        book(session, starting_now + 1000)
    assert session.scalars(sa.select(Appointment)).all() == []


# the move rule: a phone holds at most one upcoming appointment


def test_booking_again_with_the_same_phone_moves_the_booking(session):
    first, second = reception(session, local(12, 4, 10), 30)
    old = book(session, first)

    new = book(session, second, now=NOW + timedelta(minutes=5))

    assert old.status == AppointmentStatus.CANCELLED
    assert old.cancelled_at == NOW + timedelta(minutes=5)
    assert new.status == AppointmentStatus.BOOKED
    assert booking.upcoming_appointment(session, MOBILE, NOW) is new
    assert [o.slot_id for o in free(session)] == [first]


def test_a_past_visit_is_not_moved(session):
    (yesterday,) = reception(session, local(12, 1, 10), 15)
    (tomorrow,) = reception(session, local(12, 3, 10), 15)
    past = book(session, yesterday, now=local(11, 30, 10))

    book(session, tomorrow)

    assert past.status == AppointmentStatus.BOOKED
    assert past.cancelled_at is None


def test_booking_without_a_phone_moves_nothing(session):
    first, second = reception(session, local(12, 4, 10), 30)
    book(session, first)
    book(session, second, phone=None)

    assert booking.upcoming_appointment(session, MOBILE, NOW).slot_id == first


def test_set_contact_moves_the_phones_other_booking(session):
    first, second = reception(session, local(12, 4, 10), 30)
    old = book(session, first, phone=MOBILE)
    new = book(session, second, phone=None)  # a withheld number types its contact later

    booking.set_contact(session, new, MOBILE, NOW)

    assert new.phone == MOBILE
    assert old.status == AppointmentStatus.CANCELLED
    assert booking.upcoming_appointment(session, MOBILE, NOW) is new

    booking.set_contact(session, new, MOBILE, NOW)  # the same number again: nothing to move
    assert new.status == AppointmentStatus.BOOKED


def test_upcoming_appointment_is_the_booked_one_still_ahead(session):
    (past_slot,) = reception(session, local(12, 1, 10), 15)
    first, second = reception(session, local(12, 4, 10), 30)
    book(session, past_slot, now=local(11, 30, 10))
    cancelled = book(session, first)
    booking.cancel(session, cancelled, NOW)

    assert booking.upcoming_appointment(session, MOBILE, NOW) is None
    assert booking.upcoming_appointment(session, OTHER_MOBILE, NOW) is None

    ahead = book(session, second)
    assert booking.upcoming_appointment(session, MOBILE, NOW) is ahead
    assert booking.upcoming_appointment(session, MOBILE, local(12, 4, 10, 15)) is None


# cancel


def test_cancel_is_idempotent(session):
    (slot_id,) = reception(session, local(12, 4, 10), 15)
    appointment = book(session, slot_id)

    booking.cancel(session, appointment, NOW)
    booking.cancel(session, appointment, NOW + timedelta(hours=1))

    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_at == NOW
    assert free(session)[0].slot_id == slot_id


def test_an_attended_visit_cannot_be_cancelled(session):
    (slot_id,) = reception(session, local(12, 4, 10), 15)
    appointment = book(session, slot_id)
    appointment.status = AppointmentStatus.ATTENDED

    with pytest.raises(ValueError, match="attended"):
        booking.cancel(session, appointment, NOW)
    assert appointment.cancelled_at is None
