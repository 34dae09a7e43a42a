"""SMS through Twilio's REST API (the fake HttpClient): only to mobiles, never raising."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from twilio.http.response import Response

from calllog.sms import send_sms
from tests.conftest import MOBILE

LANDLINE = "+73422123456"
SENDER = "PermPriem"
SERVICE = "MG" + "2" * 32
MESSAGE_SID = "SM" + "f" * 32


@pytest.fixture
def sms_log(caplog):
    """The log of the test; afterwards, check that no full number got into it."""
    caplog.set_level(logging.INFO)
    yield caplog
    for number in (MOBILE, MOBILE.lstrip("+"), MOBILE[2:], LANDLINE, LANDLINE[2:]):
        assert number not in caplog.text


def send(app, to: str = MOBILE, body: str = "Код записи: 4821") -> str | None:
    with app.app_context():
        return send_sms(to, body)


def test_sends_from_the_configured_sender(app, fake_twilio, sms_log):
    app.config["SMS_FROM"] = SENDER

    assert send(app) == MESSAGE_SID

    [sent] = fake_twilio.sent("POST", "/Messages.json")
    assert sent.data == {"To": MOBILE, "From": SENDER, "Body": "Код записи: 4821"}
    assert "+7902*****33" in sms_log.text


def test_sends_through_the_messaging_service(app, fake_twilio, sms_log):
    app.config["MESSAGING_SERVICE_SID"] = SERVICE

    assert send(app) == MESSAGE_SID

    [sent] = fake_twilio.sent("POST", "/Messages.json")
    assert sent.data == {"To": MOBILE, "MessagingServiceSid": SERVICE, "Body": "Код записи: 4821"}


@pytest.mark.parametrize("to", [LANDLINE, "", "not a number"])
def test_only_mobiles_get_a_message(app, fake_twilio, sms_log, to):
    app.config["SMS_FROM"] = SENDER

    assert send(app, to) is None

    assert fake_twilio.requests == []
    assert "not a mobile number" in sms_log.text


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"SMS_FROM": SENDER, "TWILIO_AUTH_TOKEN": None},
        {"MESSAGING_SERVICE_SID": SERVICE, "TWILIO_ACCOUNT_SID": None},
    ],
)
def test_nothing_is_sent_when_sms_is_not_configured(app, fake_twilio, sms_log, settings):
    app.config.update(settings)

    assert send(app) is None

    assert fake_twilio.requests == []
    lines = [record.getMessage() for record in sms_log.records if record.name == "calllog.sms"]
    assert lines == ["SMS not configured: skipped"]


def test_a_twilio_error_is_logged_not_raised(app, fake_twilio, sms_log):
    app.config["SMS_FROM"] = SENDER

    def fail(method, url, data):
        error = {"code": 21211, "message": f"The 'To' number {MOBILE} is invalid", "status": 500}
        return Response(500, json.dumps(error))

    fake_twilio.routes[("POST", "/Messages.json")] = fail

    assert send(app) is None

    assert len(fake_twilio.sent("POST", "/Messages.json")) == 1
    [warning] = [r for r in sms_log.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == "SMS to +7902*****33 failed: Twilio error 21211 (HTTP 500)"


def test_a_network_failure_is_logged_not_raised(app, fake_twilio, sms_log):
    app.config["SMS_FROM"] = SENDER

    def unreachable(method, url, data):
        raise requests.ConnectionError(f"cannot reach api.twilio.com to text {MOBILE}")

    fake_twilio.routes[("POST", "/Messages.json")] = unreachable

    assert send(app) is None

    [warning] = [r for r in sms_log.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == "SMS to +7902*****33 failed: ConnectionError"
