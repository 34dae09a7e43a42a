"""Booking a personal visit by phone (key 1), whole calls through signed webhooks."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from calllog import booking
from models import (
    Appointment,
    AppointmentStatus,
    BookingSource,
    Call,
    CallOutcome,
    Consent,
    RecordingKind,
)
from tests.conftest import EXPERT, LINE, MOBILE, PERM

THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=PERM)
FIRST_OFFER = (
    "Приём ведёт Иванова Мария Петровна, депутат Законодательного собрания. "
    "Место приёма: город Пермь, улица Екатерининская, 210, кабинет 3. "
    "Нажмите 1: в четверг, третьего декабря, в десять часов."
)


@pytest.fixture
def slots(schedule) -> list[int]:
    """Six free slots on Thursday 3 December, 10:00 to 12:00."""
    return schedule(THURSDAY, minutes=120)


@pytest.fixture(autouse=True)
def sms_sender(config):
    config["SMS_FROM"] = "PriemnayaPR"


def appointments(records) -> list[Appointment]:
    return records().scalars(sa.select(Appointment).order_by(Appointment.id)).all()


def the_call(records, sid: str) -> Call:
    return records().scalar(sa.select(Call).where(Call.sid == sid))


def test_a_caller_books_a_visit_end_to_end(twilio, records, slots, fake_twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("1")
    assert FIRST_OFFER in call.last_said
    assert "Нажмите 3: в четверг, третьего декабря, в десять часов сорок минут" in call.last_said
    assert "Чтобы услышать другие варианты, нажмите 9." in call.last_said
    call.press("1")
    assert "Вы выбрали: в четверг, третьего декабря, в десять часов." in call.last_said
    assert "согласиться на обработку персональных данных, нажмите 1" in call.last_said
    call.press("1")
    assert call.waiting_for == "record"
    assert "назовите, пожалуйста, ваши фамилию, имя и отчество" in call.last_said
    call.record(seconds=4, finish="#")

    (appointment,) = appointments(records)
    spoken_code = " ".join(w for w in call.last_said.split("Ваш код записи: ")[1].split(".")[:1])
    assert call.last_said.count(spoken_code) == 2  # the code, read twice
    assert "Возьмите с собой паспорт." in call.last_said
    assert f"{EXPERT}, депутат Законодательного собрания" in call.last_said
    call.silence()
    assert call.ended
    assert "До свидания." in call.last_said
    call.finish()

    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.phone == MOBILE
    assert appointment.source is BookingSource.PHONE
    assert appointment.slot_id == slots[0]
    assert appointment.code.isdigit()
    assert 4 <= len(appointment.code) <= 6
    logged = the_call(records, call.sid)
    assert logged.outcome is CallOutcome.BOOKED
    assert [a.code for a in logged.appointments] == [appointment.code]
    recording = records().get(Appointment, appointment.id).recordings[0]
    assert recording.kind is RecordingKind.NAME
    consent = records().scalar(sa.select(Consent))
    assert (consent.call_id, consent.purpose) == (logged.id, "booking")
    assert consent.prompt_version.startswith("booking_confirm@")
    (sms,) = fake_twilio.sent("POST", "/Messages.json")
    assert sms.data["To"] == MOBILE
    assert sms.data["From"] == "PriemnayaPR"
    assert f"Код записи {appointment.code}" in sms.data["Body"]
    assert "3 декабря в 10:00" in sms.data["Body"]


def test_star_repeats_the_read_back(twilio, records, slots, fake_twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=3, finish="#")
    first = call.last_said

    call.press("*")

    assert call.last_said == first
    assert len(fake_twilio.sent("POST", "/Messages.json")) == 1  # no second SMS


def test_a_withheld_caller_types_a_contact_number(twilio, records, slots):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=5, finish="#")

    assert "Введите, пожалуйста, номер телефона для связи" in call.last_said
    call.press("12#")
    assert "Номер не распознан." in call.last_said
    call.press("8 902 471 22 33#".replace(" ", "")).press("1")

    assert "Вы записаны на личный приём" in call.last_said
    (appointment,) = appointments(records)
    assert appointment.phone == MOBILE


def test_a_contact_number_not_given_twice_still_keeps_the_booking(twilio, records, slots):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=5, finish="#")
    call.silence().silence()

    assert "Номер телефона записать не удалось." in call.last_said
    assert "Ваш код записи" in call.last_said
    (appointment,) = appointments(records)
    assert appointment.phone is None
    assert appointment.status is AppointmentStatus.BOOKED


def test_a_slot_taken_between_listing_and_confirming(twilio, records, slots):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1")
    with records() as session:
        booking.book(
            session,
            slot_id=slots[0],
            phone="+79120000099",
            now=datetime(2026, 12, 2, 11, 0, tzinfo=PERM),
            source=BookingSource.STAFF,
        )
        session.commit()

    call.press("1")

    assert "Это время уже занято." in call.last_said
    assert "в десять часов двадцать минут" in call.last_said  # the list again, without 10:00
    assert FIRST_OFFER not in call.last_said
    assert [a.phone for a in appointments(records)] == ["+79120000099"]


def test_an_existing_appointment_is_told_first_and_can_be_cancelled(twilio, records, slots, clock):
    with records() as session:
        booking.book(
            session, slot_id=slots[2], phone=MOBILE, now=clock.now(), source=BookingSource.STAFF
        )
        session.commit()
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("1")
    assert "У вас уже есть запись на личный приём в четверг, третьего декабря" in call.last_said
    assert "Чтобы отменить эту запись, нажмите 8." in call.last_said
    call.press("8")
    assert "Чтобы подтвердить отмену записи, нажмите 1." in call.last_said
    call.press("1")

    assert "Запись отменена." in call.last_said
    assert FIRST_OFFER in call.last_said  # then the slot list
    (appointment,) = appointments(records)
    assert appointment.status is AppointmentStatus.CANCELLED


def test_not_confirming_the_cancellation_keeps_the_appointment(twilio, records, slots, clock):
    with records() as session:
        booking.book(
            session, slot_id=slots[2], phone=MOBILE, now=clock.now(), source=BookingSource.STAFF
        )
        session.commit()
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("8").silence()

    assert "Запись сохранена." in call.last_said
    assert appointments(records)[0].status is AppointmentStatus.BOOKED


def test_booking_another_time_moves_the_appointment(twilio, records, slots, clock):
    with records() as session:
        booking.book(
            session, slot_id=slots[2], phone=MOBILE, now=clock.now(), source=BookingSource.STAFF
        )
        session.commit()
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("1").press("1").press("1").press("1")

    old, new = appointments(records)
    assert old.status is AppointmentStatus.CANCELLED
    assert (new.status, new.slot_id) == (AppointmentStatus.BOOKED, slots[0])


def test_nine_offers_the_next_three_and_wraps_around(twilio, slots):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("9")

    assert "Нажмите 1: в четверг, третьего декабря, в одиннадцать часов." in call.last_said
    assert "Нажмите 3: в четверг, третьего декабря, в одиннадцать часов сорок минут" in (
        call.last_said
    )
    call.press("9")
    assert "Других свободных вариантов нет. Повторяю ближайшие." in call.last_said
    assert FIRST_OFFER in call.last_said


def test_slots_less_than_two_hours_ahead_or_past_thirty_days_are_not_offered(
    twilio, schedule, clock
):
    schedule(datetime(2026, 12, 2, 12, 0, tzinfo=PERM), minutes=20)  # one hour ahead
    schedule(datetime(2027, 1, 12, 10, 0, tzinfo=PERM), minutes=20)  # 41 days ahead
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("1")

    assert "свободного времени для записи сейчас нет" in call.last_said


def test_no_free_slot_offers_to_leave_a_request(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")
    assert "Чтобы оставить обращение, нажмите 2." in call.last_said

    call.press("2")

    assert "согласие на обработку персональных данных" in call.last_said


def test_a_caller_who_hangs_up_after_confirming_keeps_the_booking(twilio, records, slots):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1")
    call.hangup()
    call.finish()

    (appointment,) = appointments(records)
    assert appointment.status is AppointmentStatus.BOOKED
    assert the_call(records, call.sid).outcome is CallOutcome.BOOKED


def test_star_returns_to_the_main_menu_and_zero_reaches_a_person(twilio, slots):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("*")
    assert "Чтобы записаться на личный приём, нажмите 1." in call.last_said

    call.press("1").press("0")

    assert "Соединяю с сотрудником приёмной." in call.last_said
    assert call.waiting_for == "dial"


@pytest.mark.parametrize("keys", [["7", "5", "#"], [None, None, None], ["6", None, "8"]])
def test_wrong_keys_and_silence_in_the_slot_list_end_politely(twilio, records, slots, keys):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")
    for key in keys:
        call.silence() if key is None else call.press(key)

    assert call.ended
    assert "Сотрудник приёмной перезвонит вам в рабочее время." in call.last_said
    assert appointments(records) == []


def test_wrong_keys_at_the_confirmation_are_retried(twilio, records, slots):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("5")

    assert "Такого пункта в меню нет." in call.last_said
    assert "Вы выбрали: в четверг, третьего декабря, в десять часов." in call.last_said
    call.press("1")
    assert len(appointments(records)) == 1


def test_no_sms_to_a_landline(twilio, slots, fake_twilio):
    call = twilio.incoming_call(from_="+73422000000", to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=3, finish="#")

    assert "Ваш код записи" in call.last_said
    assert fake_twilio.sent("POST", "/Messages.json") == []


def test_a_failing_sms_never_breaks_the_call(twilio, records, slots, fake_twilio):
    from twilio.http.response import Response

    fake_twilio.routes[("POST", "/Messages.json")] = lambda *args: Response(500, "{}")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=3, finish="#")

    assert "Ваш код записи" in call.last_said
    assert not call.errors
    assert len(appointments(records)) == 1
