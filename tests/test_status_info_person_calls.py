"""Status of a request (key 3), information (key 4) and a person (key 0) by phone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from calllog import appeals
from ivr.speech import digits_words
from models import AppealChannel, Call, Callback, CallOutcome
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM

OTHER = "+79120000077"
MENU = "Чтобы записаться на личный приём, нажмите 1."


@pytest.fixture
def appeal_number(records) -> str:
    """An appeal of MOBILE's, registered on 1 December."""
    with records() as session:
        appeal = appeals.create_appeal(
            session,
            topic="housing",
            channel=AppealChannel.PHONE,
            phone=MOBILE,
            now=datetime(2026, 12, 1, 15, 0, tzinfo=PERM),
        )
        session.commit()
        return appeal.number


def logged(records, sid: str) -> Call:
    return records().scalar(sa.select(Call).where(Call.sid == sid))


def test_the_status_is_told_to_the_applicant(twilio, records, appeal_number):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("3")
    assert "Введите номер обращения и нажмите решётку." in call.last_said

    call.press(f"{appeal_number}#")

    said = call.last_said
    number = digits_words(appeal_number)
    assert f"Обращение номер {number}. Зарегистрировано первого декабря." in said
    assert MENU in said  # then the main menu
    row = logged(records, call.sid)
    assert row.outcome is CallOutcome.STATUS_CHECKED
    assert [a.number for a in row.appeals] == [appeal_number]


def test_another_number_hears_only_that_the_appeal_exists(twilio, records, appeal_number):
    call = twilio.incoming_call(from_=OTHER, to=LINE).start()
    call.press("3").press(f"{appeal_number}#")

    said = call.last_said
    assert "Обращение с таким номером есть." in said
    assert "сообщается только по телефону заявителя" in said
    assert "Зарегистрировано" not in said
    call.press("1")

    assert "перезвонит заявителю" in call.last_said
    callback = records().scalar(sa.select(Callback))
    assert callback.phone == MOBILE  # the applicant's number, not the caller's
    assert callback.reasons == ["status_request"]


def test_a_withheld_caller_is_not_told_the_status(twilio, appeal_number):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("3").press(f"{appeal_number}#")

    assert "Обращение с таким номером есть." in call.last_said
    call.press("2")
    assert MENU in call.last_said


def test_a_wrong_number_gets_one_more_try_then_the_main_menu(twilio, appeal_number):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("3").press("111111#")
    assert "Обращение с таким номером не найдено. Попробуйте ещё раз." in call.last_said
    call.press("222222#")

    assert "Обращение с таким номером не найдено." in call.last_said
    assert MENU in call.last_said


def test_silence_at_the_status_number_then_the_right_number(twilio, appeal_number):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("3").silence()
    assert "Мы не услышали ваш выбор. Попробуйте ещё раз." in call.last_said
    call.press(f"{appeal_number}#")

    assert "Зарегистрировано" in call.last_said


def test_information_gives_address_hours_and_outreach(twilio, records, schedule):
    schedule(
        datetime(2026, 12, 10, 11, 0, tzinfo=PERM),
        outreach=True,
        place="г. Краснокамск, ул. Карла Маркса, 3",
    )
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("4")

    said = call.last_said
    assert "улица Екатерининская, дом двести десять" in said
    assert "с понедельника по пятницу с десяти часов до восемнадцати часов" in said
    assert "перерыв с тринадцати часов до четырнадцати часов" in said
    assert "в четверг, десятого декабря, в одиннадцать часов, город Краснокамск" in said
    assert MENU in said
    assert logged(records, call.sid).outcome is CallOutcome.INFO


def test_information_without_outreach_says_so(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("4")

    assert "Выездных приёмов в ближайший месяц нет." in call.last_said


def test_in_hours_a_person_answers_after_screening(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0")
    assert "Соединяю с сотрудником приёмной." in call.last_said
    assert call.waiting_for == "dial"

    call.dial(answer=True, staff_keys="1", talk_seconds=60)
    call.finish()

    assert "Чтобы принять звонок, нажмите 1." in " ".join(call.staff_said)
    assert not call.errors
    assert logged(records, call.sid).outcome is CallOutcome.TRANSFERRED


def test_the_dial_rings_every_staff_phone_for_twenty_seconds(twilio):
    from xml.etree import ElementTree

    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0")

    dial = ElementTree.fromstring(call.log[-1].body).find("Dial")
    assert dial.get("timeout") == "20"
    assert dial.get("action") == "https://reception.example/twilio/person/dialled"
    numbers = dial.findall("Number")
    assert [n.text for n in numbers] == ["+79120000001", "+79120000002"]
    assert {n.get("url") for n in numbers} == {"https://reception.example/twilio/person/screen"}


def test_a_staff_voicemail_never_takes_the_call(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0").dial(answer=True, staff_keys=None)

    assert "сейчас все сотрудники заняты" in call.last_said
    assert "перезвонит вам в рабочее время на номер восемь, девятьсот два" in call.last_said
    call.finish()
    row = logged(records, call.sid)
    assert row.outcome is CallOutcome.CALLBACK_REQUESTED
    assert row.callback.reasons == ["person_no_answer"]


def test_nobody_answers_so_a_callback_is_queued(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0").dial(answer=False)

    assert call.ended
    assert logged(records, call.sid).callback.reasons == ["person_no_answer"]


def test_out_of_hours_a_person_means_a_callback(twilio, records, clock):
    clock.set(datetime(2026, 12, 5, 12, 0, tzinfo=PERM))  # Saturday
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0")

    assert "Сейчас нерабочее время" in call.last_said
    assert call.ended
    callback = logged(records, call.sid).callback
    assert callback.reasons == ["person_out_of_hours"]
    assert callback.due_at == datetime(2026, 12, 7, 10, 0, tzinfo=PERM)  # Monday opening


def test_out_of_hours_a_withheld_caller_is_asked_for_a_number(twilio, records, clock):
    clock.set(OPEN_TIME + timedelta(hours=9))  # Wednesday 20:00
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("0")
    assert "введите, пожалуйста, номер телефона" in call.last_said
    call.press("89024712233#")

    assert "Вы ввели номер: восемь, девятьсот два, четыреста семьдесят один" in call.last_said
    call.press("1")
    assert records().scalar(sa.select(Callback)).phone == MOBILE


def test_a_withheld_caller_who_types_no_number_returns_to_the_menu(twilio, records, clock):
    clock.set(OPEN_TIME + timedelta(hours=9))
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("0").press("5#").silence()

    assert "Номер телефона записать не удалось." in call.last_said
    assert MENU in call.last_said
    assert records().scalar(sa.select(sa.func.count(Callback.id))) == 0
