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
