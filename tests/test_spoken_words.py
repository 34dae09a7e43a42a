"""What a new caller hears, word for word (issue 12, defect 7): agreement, spelled numbers,
abbreviations in full, the lunch break, the status with its due date, a typed number read back."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa

from calllog import appeals
from calllog.hours import OfficeHours
from ivr.branches.info import hours_words
from ivr.speech import digits_words, spoken_place
from models import Appeal, AppealChannel, Appointment, Callback
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM

MENU = "Чтобы записаться на личный приём, нажмите 1."


def test_hours_agree_with_their_numbers():
    late = OfficeHours(week={0: ((time(9, 0), time(13, 1)), (time(14, 0), time(21, 0)))})

    words = hours_words(late)

    assert "с девяти часов до двадцати одного часа" in words
    assert "перерыв с тринадцати часов одной минуты до четырнадцати часов" in words


def test_abbreviations_staff_type_are_spoken_in_full():
    assert spoken_place("г. Пермь, ул. Екатерининская, д. 210, каб. 3") == (
        "город Пермь, улица Екатерининская, дом 210, кабинет 3"
    )
    assert spoken_place("с. Усть-Кишерть, ул.Ленина, 1") == "село Усть-Кишерть, улица Ленина, 1"
    assert spoken_place("пос. Сылва, Чусовской р-н") == "посёлок Сылва, Чусовской район"
    assert spoken_place("Дом культуры") == "Дом культуры"


def test_outreach_places_are_spoken_in_full(twilio, schedule):
    schedule(datetime(2026, 12, 10, 11, 0, tzinfo=PERM), outreach=True, place="с. Усть-Кишерть")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("4")

    assert "в одиннадцать часов, село Усть-Кишерть" in call.last_said


def test_the_booking_offer_speaks_the_place_in_full(twilio, schedule):
    schedule(datetime(2026, 12, 3, 11, 0, tzinfo=PERM), place="г. Пермь, ул. Екатерининская, 210")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")

    assert "город Пермь, улица Екатерининская, 210" in call.last_said
    assert "г. Пермь" not in call.last_said


def test_the_answer_period_is_spelled(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=20)

    assert "Ответ будет дан в течение тридцати дней." in call.last_said
    assert "30" not in call.last_said


def test_at_lunch_the_greeting_says_it_is_the_break_and_when_it_ends(twilio, clock):
    clock.set(datetime(2026, 12, 2, 13, 11, tzinfo=PERM))
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    said = " ".join(call.said)
    assert (
        "Сейчас в приёмной обеденный перерыв. Мы продолжим работу сегодня в четырнадцать часов."
        in said
    )
    assert "закрыта" not in said


def test_after_hours_the_greeting_still_says_closed(twilio, clock):
    clock.set(datetime(2026, 12, 2, 19, 0, tzinfo=PERM))
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    assert "Приёмная сейчас закрыта. Мы откроемся завтра в десять часов." in " ".join(call.said)


def test_the_status_answer_has_its_date_and_the_due_date(twilio, records):
    with records() as session:
        appeal = appeals.create_appeal(
            session,
            topic="housing",
            channel=AppealChannel.PHONE,
            phone=MOBILE,
            now=datetime(2026, 12, 1, 15, 0, tzinfo=PERM),
        )
        session.commit()
        number = appeal.number
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("3").press(f"{number}#")

    said = call.last_said
    assert f"Обращение номер {digits_words(number)}. Зарегистрировано первого декабря." in said
    assert "Срок ответа — до тридцать первого декабря." in said


def test_the_contact_prompt_does_not_insist_on_an_eight(twilio):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=20)

    assert "введите, пожалуйста, номер телефона" in call.last_said.lower()
    assert "восьмёрки" not in call.last_said


def test_a_typed_contact_number_is_read_back_and_can_be_typed_again(twilio, records):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=20)
    call.press("89024712234#")

    said = call.last_said
    assert (
        "Вы ввели номер: восемь, девятьсот два, четыреста семьдесят один, двадцать два, "
        "тридцать четыре." in said
    )
    assert "Если номер верный, нажмите 1. Чтобы ввести номер заново, нажмите 2." in said
    call.press("2")
    assert "введите, пожалуйста, номер телефона" in call.last_said.lower()
    call.press("9024712233#")
    assert "двадцать два, тридцать три" in call.last_said
    call.press("1")

    assert "зарегистрировано под номером" in call.last_said
    assert records().scalar(sa.select(Appeal.phone)) == MOBILE


def test_a_booking_contact_is_read_back_before_the_booking_is_read_back(twilio, records, schedule):
    schedule(datetime(2026, 12, 3, 11, 0, tzinfo=PERM))
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=5)
    call.press("9024712233#")
    assert "Вы ввели номер: восемь, девятьсот два" in call.last_said
    call.press("1")

    assert "Возьмите с собой паспорт" in call.last_said
    assert records().scalar(sa.select(Appointment.phone)) == MOBILE


def test_a_number_typed_for_a_callback_is_read_back_and_can_be_typed_again(twilio, records, clock):
    clock.set(OPEN_TIME.replace(hour=20))
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("0")
    assert "восьмёрки" not in call.last_said
    call.press("89024712234#")
    assert "Вы ввели номер: восемь, девятьсот два" in call.last_said
    call.press("2").press("89024712233#").press("1")

    assert "перезвонит вам в рабочее время" in call.last_said
    assert call.ended
    assert [c.phone for c in records().scalars(sa.select(Callback))] == [MOBILE]
