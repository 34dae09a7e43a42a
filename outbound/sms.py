"""Text messages through Twilio's REST API: the sending itself.

Which numbers get a message, and that a failure never undoes the caller's work, are the
caller's decisions (:mod:`calllog.sms`). Nothing here logs or quotes the number.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from twilio.base.exceptions import TwilioRestException

from outbound.twilio_rest import twilio_client


class SmsError(Exception):
    """A message was not sent; the text names no number (Twilio's own text may quote it)."""


def sms_configured(config: dict[str, Any] | None = None) -> bool:
    """Whether SMS can be sent: Twilio credentials and a sender or a messaging service."""
    config = current_app.config if config is None else config
    return bool(
        config.get("TWILIO_ACCOUNT_SID")
        and config.get("TWILIO_AUTH_TOKEN")
        and (config.get("SMS_FROM") or config.get("MESSAGING_SERVICE_SID"))
    )


def send_message(to: str, body: str) -> str:
    """Send ``body`` to ``to`` (E.164); the message SID, or :class:`SmsError`.

    The sender is ``SMS_FROM`` (a number or a registered alphanumeric sender) when set,
    otherwise the messaging service ``MESSAGING_SERVICE_SID``.
    """
    config = current_app.config
    sender: dict[str, str] = (
        {"from_": config["SMS_FROM"]}
        if config.get("SMS_FROM")
        else {"messaging_service_sid": config["MESSAGING_SERVICE_SID"]}
    )
    try:
        message = twilio_client().messages.create(to=to, body=body, **sender)
    except TwilioRestException as error:
        # Twilio's message text may quote the number: keep only the codes.
        raise SmsError(f"Twilio error {error.code} (HTTP {error.status})") from None
    except Exception as error:  # a network failure: the caller decides what it undoes
        raise SmsError(type(error).__name__) from None
    return message.sid
