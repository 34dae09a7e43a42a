"""Every twilio REST client has a timeout: a slow Twilio never holds a request for ever."""

from __future__ import annotations

import pytest
import requests

from calllog.sms import send_sms
from settings import ConfigError
from tests.conftest import MOBILE


@pytest.fixture
def real_http(config):
    """The app with twilio's own HTTP client, as in production."""
    config.pop("TWILIO_HTTP_CLIENT")
    config["SMS_FROM"] = "PermPriem"
    return config


def test_the_http_layer_is_given_the_configured_timeout(real_http, app, monkeypatch):
    app.config["TWILIO_TIMEOUT_S"] = 4
    seen: list[object] = []

    def slow_network(session, request, **kwargs):
        seen.append(kwargs.get("timeout"))
        raise requests.ReadTimeout("Twilio took too long")

    monkeypatch.setattr(requests.Session, "send", slow_network)
    with app.app_context():
        assert send_sms(MOBILE, "Код записи: 4821") is None  # a timeout is a failed SMS

    assert seen == [4]


def test_the_default_timeout_is_well_inside_twilios_fifteen_seconds(real_http, app):
    from outbound.twilio_rest import twilio_client

    with app.app_context():
        assert 0 < twilio_client().http_client.timeout <= 10


def test_a_timeout_of_zero_is_refused(config):
    from app import create_app

    config["TWILIO_TIMEOUT_S"] = 0
    with pytest.raises(ConfigError, match="TWILIO_TIMEOUT_S"):
        create_app(config)
