"""Leaving a request by phone (key 2), whole calls through signed webhooks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import Appeal, AppealChannel, AppealStatus, Call, CallOutcome, Consent, Recording
from tests.conftest import LINE, MOBILE, call_form, new_call_sid

TOPIC_LIST = (
    "Жилищно-коммунальное хозяйство — нажмите 1. Социальная защита — нажмите 2. "
    "Здравоохранение — нажмите 3. Образование и детские сады — нажмите 4. "
    "Дороги и транспорт — нажмите 5. Другое — нажмите 6."
)


@pytest.fixture(autouse=True)
def sms_sender(config):
    config["SMS_FROM"] = "PriemnayaPR"


def appeals(records) -> list[Appeal]:
    return records().scalars(sa.select(Appeal).order_by(Appeal.id)).all()


def test_a_caller_leaves_a_request_end_to_end(twilio, records, fake_twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("2")
    assert "нам нужно ваше согласие на обработку персональных данных" in call.last_said
    call.press("1")
    assert TOPIC_LIST in call.last_said
    call.press("1")
    assert "Назовите фамилию, имя, отчество и адрес" in call.last_said
    assert call.waiting_for == "record"
    call.record(seconds=40, finish="#")

    (appeal,) = appeals(records)
    spoken = " ".join(appeal.number)
    assert "Ваше обращение зарегистрировано под номером" in call.last_said
    assert call.last_said.count("номер") >= 2
    assert "Ответ будет дан в течение тридцати дней." in call.last_said
    call.silence()
    assert call.ended
    call.finish()

    assert spoken  # the number has digits to read
    assert appeal.number.isdigit()
    assert 6 <= len(appeal.number) <= 8
    assert appeal.topic == "housing"
    assert appeal.channel is AppealChannel.PHONE
    assert appeal.status is AppealStatus.REGISTERED
    assert appeal.phone == MOBILE
    (recording,) = appeal.recordings
    assert recording.duration_s == 40
    logged = records().scalar(sa.select(Call).where(Call.sid == call.sid))
    assert logged.outcome is CallOutcome.REQUEST_LEFT
    assert records().scalar(sa.select(Consent)).purpose == "appeal"
    (sms,) = fake_twilio.sent("POST", "/Messages.json")
    assert appeal.number in sms.data["Body"]


def test_the_appeal_number_is_read_digit_by_digit_twice(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("6").record(seconds=10, finish="#")

    (appeal,) = appeals(records)
    from ivr.speech import digits_words

    assert call.last_said.count(digits_words(appeal.number)) == 2


def test_repeated_recording_callbacks_and_actions_make_one_appeal(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("3").record(seconds=20, finish="#")
    call.finish(shuffle=True, duplicate=True)

    (appeal,) = appeals(records)
    assert appeal.topic == "health"
    assert records().scalar(sa.select(sa.func.count(Recording.id))) == 1


def test_the_recording_callback_before_the_action_creates_the_appeal_once(webhook, records):
    sid = new_call_sid()
    webhook("/twilio/voice", call_form(sid, CallStatus="ringing"))
    recording = {
        "RecordingSid": "RE" + "d" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "d" * 32,
        "RecordingDuration": "15",
    }
    ready = webhook(
        "/twilio/appeal/recording/ready?topic=social",
        call_form(sid, RecordingStatus="completed", **recording),
    )
    action = webhook(
        "/twilio/appeal/recorded?topic=social&attempt=1", call_form(sid, Digits="#", **recording)
    )

    assert ready.status_code == 204
    assert "зарегистрировано под номером" in action.get_data(as_text=True)
    (appeal,) = appeals(records)
    assert appeal.topic == "social"


def test_a_caller_hanging_up_mid_recording_still_leaves_one_appeal(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("2")
    call.record(seconds=25, finish="hangup")
    call.finish(shuffle=True, duplicate=True)

    (appeal,) = appeals(records)
    assert appeal.topic == "social"
    logged = records().scalar(sa.select(Call).where(Call.sid == call.sid))
    assert logged.outcome is CallOutcome.REQUEST_LEFT
    assert logged.callback is None  # not mistaken for an abandoned call


def test_an_empty_recording_gets_one_more_try_then_the_main_menu(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("5")

    call.record(seconds=1, finish="#")
    assert "Мы не услышали сообщения. Попробуйте ещё раз." in call.last_said
    assert call.waiting_for == "record"
    call.record(seconds=0, finish="timeout")

    assert "Мы не услышали сообщения." in call.last_said
    assert "Чтобы записаться на личный приём, нажмите 1." in call.last_said
    assert appeals(records) == []


def test_the_legacy_empty_recording_fall_through_is_handled(app, client, records):
    from simulator import FlaskTransport, Simulator
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL

    legacy = Simulator(
        FlaskTransport(client),
        AUTH_TOKEN,
        ACCOUNT_SID,
        BASE_URL,
        empty_recording_falls_through=True,
    )
    call = legacy.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("5").record(seconds=0, finish="timeout")

    assert "Мы не услышали сообщения. Попробуйте ещё раз." in call.last_said
    assert not call.errors


def test_a_withheld_caller_gives_a_contact_number(twilio, records):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()
    call.press("2").press("1").press("4").record(seconds=30, finish="#")

    assert "Введите, пожалуйста, номер телефона для связи" in call.last_said
    call.press("9024712233#").press("1")

    assert "Ваше обращение зарегистрировано под номером" in call.last_said
    (appeal,) = appeals(records)
    assert appeal.phone == MOBILE


@pytest.mark.parametrize("key", ["2", "9", "*", None])
def test_anything_but_consent_returns_to_the_main_menu(twilio, records, key):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2")
    call.silence() if key is None else call.press(key)

    assert "Чтобы записаться на личный приём, нажмите 1." in call.last_said
    assert records().scalar(sa.select(sa.func.count(Consent.id))) == 0


def test_wrong_keys_and_silence_at_the_topic_end_politely(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("8")
    assert "Такого пункта в меню нет." in call.last_said
    call.silence().press("7")

    assert call.ended
    assert "перезвонит" in call.last_said


@pytest.fixture
def own_topics(config):
    config["APPEAL_TOPICS"] = (
        '[{"code": "svo", "name": "Поддержка участников СВО"}, {"code": "other", "name": "Другое"}]'
    )


def test_configured_topics_are_offered(own_topics, twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1")
    assert "Поддержка участников СВО — нажмите 1. Другое — нажмите 2." in call.last_said

    call.press("1").record(seconds=9, finish="#")

    assert appeals(records)[0].topic == "svo"


def test_star_at_the_topic_returns_to_the_main_menu(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("*")

    assert "Чтобы записаться на личный приём, нажмите 1." in call.last_said
