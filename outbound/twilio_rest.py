"""The twilio REST client, built from configuration; tests plug in a fake ``HttpClient``."""

from __future__ import annotations

from flask import current_app
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


def twilio_client() -> Client:
    """A client for Twilio's REST API whose requests time out after ``TWILIO_TIMEOUT_S``.

    Tests plug in a fake ``HttpClient`` as ``TWILIO_HTTP_CLIENT``.
    """
    config = current_app.config
    if not (config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]):
        raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed for Twilio's API")
    return Client(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=config.get("TWILIO_HTTP_CLIENT")
        or TwilioHttpClient(timeout=config["TWILIO_TIMEOUT_S"]),
    )
