"""Transfers and outbound calls a real Twilio account accepts (issue 12, defect 5).

The caller hears ringing while staff are screened (``answerOnBridge``), the staff leg has
a caller ID Twilio accepts, at most ten staff phones, and outbound calls go from a number
the account owns or has verified, configured per line and checked by ``twilio configure``.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from app import create_app
from settings import ConfigError
from tests.conftest import LINE, MOBILE, call_form, new_call_sid
from tests.test_cli import LOCAL_PN, invoke, output_of

TWILIO_NUMBER = "+73422000101"
LINES_WITH_CALLER_ID = json.dumps(
    [{"number": LINE, "name": "общественную приёмную", "caller_id": TWILIO_NUMBER}]
)


def person_dial(webhook, caller: str) -> ElementTree.Element:
    sid = new_call_sid()
    webhook("/twilio/voice", call_form(sid, caller))
    reply = webhook("/twilio/menu?attempt=1", call_form(sid, caller, Digits="0"))
    dial = ElementTree.fromstring(reply.data).find("Dial")
    assert dial is not None
    return dial


def test_the_caller_hears_ringing_while_staff_are_screened(webhook):
    dial = person_dial(webhook, MOBILE)

    assert dial.get("answerOnBridge") == "true"
    assert dial.get("callerId") == MOBILE


@pytest.mark.parametrize("caller", ["anonymous", "12", "+266696687"])
def test_a_withheld_or_invalid_caller_id_is_replaced_by_the_lines_number(webhook, caller):
    assert person_dial(webhook, caller).get("callerId") == LINE


def test_the_staff_leg_uses_the_lines_configured_caller_id(config, request):
    config["RECEPTION_LINES"] = LINES_WITH_CALLER_ID
    webhook = request.getfixturevalue("webhook")

    assert person_dial(webhook, "anonymous").get("callerId") == TWILIO_NUMBER


def test_more_than_ten_staff_phones_are_refused_at_start(config):
    config["STAFF_PHONES"] = ",".join(f"+791200000{n:02d}" for n in range(1, 12))

    with pytest.raises(ConfigError, match="at most ten"):
        create_app(config)


def test_ten_staff_phones_are_accepted(config):
    config["STAFF_PHONES"] = ",".join(f"+791200000{n:02d}" for n in range(1, 11))

    assert len(create_app(config).extensions["office"].staff_phones) == 10


def test_a_caller_id_that_is_not_a_number_is_refused_at_start(config):
    config["RECEPTION_LINES"] = json.dumps(
        [{"number": LINE, "name": "приёмную", "caller_id": "reception"}]
    )

    with pytest.raises(ConfigError, match="caller_id"):
        create_app(config)


def test_configure_accepts_lines_whose_numbers_are_on_the_account(runner, fake_twilio):
    fake_twilio.numbers = dict(LOCAL_PN)

    result = invoke(runner, "twilio", "configure")

    assert result.exit_code == 0, output_of(result)
    assert "caller ID" in result.stdout


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_configure_refuses_a_caller_id_the_account_cannot_use(config, fake_twilio, request):
    config["RECEPTION_LINES"] = (
        '[{"number": "+73422368229", "name": "приёмную", "aliases": ["+14155550100"]}]'
    )
    fake_twilio.numbers = {"+14155550100": "PN" + "7" * 32}
    runner = request.getfixturevalue("runner")

    result = runner.invoke(args=["twilio", "configure"])

    assert result.exit_code != 0
    assert "+73422368229" in output_of(result)
    assert "caller_id" in output_of(result)
    assert "Traceback" not in output_of(result)


def test_configure_accepts_a_verified_caller_id(config, fake_twilio, request):
    config["RECEPTION_LINES"] = (
        '[{"number": "+73422368229", "name": "приёмную", "aliases": ["+14155550100"]}]'
    )
    fake_twilio.numbers = {"+14155550100": "PN" + "7" * 32}
    fake_twilio.verified_caller_ids = ["+73422368229"]
    runner = request.getfixturevalue("runner")

    result = invoke(runner, "twilio", "configure")

    assert result.exit_code == 0, output_of(result)
    assert fake_twilio.sent("GET", "/OutgoingCallerIds.json")


def test_configure_accepts_a_configured_caller_id_on_the_account(config, fake_twilio, request):
    config["RECEPTION_LINES"] = json.dumps(
        [
            {
                "number": "+73422368229",
                "name": "приёмную",
                "aliases": ["+14155550100"],
                "caller_id": "+14155550100",
            }
        ]
    )
    fake_twilio.numbers = {"+14155550100": "PN" + "7" * 32}
    runner = request.getfixturevalue("runner")

    result = invoke(runner, "twilio", "configure")

    assert result.exit_code == 0, output_of(result)


# --- the Dial action judged from what the service recorded (defect 6) ---------------------


def dialled(webhook, sid: str, status: str = "completed", seconds: int | None = 12):
    extra = {"DialCallStatus": status, "DialCallSid": new_call_sid()}
    if seconds is not None:
        extra["DialCallDuration"] = str(seconds)
    return webhook("/twilio/person/dialled", call_form(sid, MOBILE, **extra))


def staff_leg(sid: str, parent: str, **extra: str) -> dict[str, str]:
    form = call_form(sid, MOBILE, Direction="outbound-dial", ParentCallSid=parent, **extra)
    return form | {"To": "+79120000001", "Called": "+79120000001"}


def outcome_of(records, sid: str):
    import sqlalchemy as sa

    from models import Call

    return records().scalar(sa.select(Call).where(Call.sid == sid))


def test_a_completed_dial_nobody_accepted_is_no_transfer(webhook, records):
    sid = new_call_sid()
    webhook("/twilio/voice", call_form(sid))
    webhook("/twilio/menu?attempt=1", call_form(sid, Digits="0"))
    child = new_call_sid()
    webhook("/twilio/person/screen", staff_leg(child, sid))
    webhook("/twilio/person/accept", staff_leg(child, sid, Digits="2"))

    reply = dialled(webhook, sid, "completed", 12)

    assert "все сотрудники заняты" in reply.get_data(as_text=True)
    call = outcome_of(records, sid)
    assert call.outcome.value == "callback_requested"
    assert call.callback.reasons == ["person_no_answer"]


def test_a_dial_the_staff_accepted_is_a_transfer(webhook, records):
    sid = new_call_sid()
    webhook("/twilio/voice", call_form(sid))
    webhook("/twilio/menu?attempt=1", call_form(sid, Digits="0"))
    child = new_call_sid()
    webhook("/twilio/person/screen", staff_leg(child, sid))
    accepted = webhook("/twilio/person/accept", staff_leg(child, sid, Digits="1"))
    assert "<Hangup" not in accepted.get_data(as_text=True)  # bridged

    dialled(webhook, sid, "completed", 95)

    call = outcome_of(records, sid)
    assert call.outcome.value == "transferred"
    assert call.callback is None
    assert [e.kind for e in call.events if e.kind == "staff_accepted"] == ["staff_accepted"]
    assert outcome_of(records, child) is None  # the staff leg is no call of the log


def test_an_accepted_dial_without_talk_time_is_no_transfer(webhook, records):
    sid = new_call_sid()
    webhook("/twilio/voice", call_form(sid))
    webhook("/twilio/menu?attempt=1", call_form(sid, Digits="0"))
    child = new_call_sid()
    webhook("/twilio/person/accept", staff_leg(child, sid, Digits="1"))

    dialled(webhook, sid, "completed", 0)

    assert outcome_of(records, sid).outcome.value == "callback_requested"


def test_a_staff_voicemail_reported_completed_queues_a_callback(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("0").dial(answer=True, staff_keys=None)

    assert dict(call.log[-1].params)["DialCallStatus"] == "completed"  # as Twilio reports it
    assert "сейчас все сотрудники заняты" in call.last_said
    call.finish()
    assert outcome_of(records, call.sid).callback.reasons == ["person_no_answer"]


def test_the_staff_member_is_connected_even_when_the_acceptance_cannot_be_noted(app, webhook):
    from tests.conftest import database_down

    with database_down(app):
        reply = webhook(
            "/twilio/person/accept", staff_leg(new_call_sid(), new_call_sid(), Digits="1")
        )

    assert reply.status_code == 200
    assert "<Hangup" not in reply.get_data(as_text=True)
