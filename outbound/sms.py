"""Text messages through Twilio's REST API: the sending itself.

Which numbers get a message, and that a failure never undoes the caller's work, are the
caller's decisions (:mod:`calllog.sms`). Nothing here logs or quotes the number.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from twilio.base.exceptions import TwilioRestException

from outbound.twilio_rest import twilio_client

_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")


class SmsError(Exception):
    """A message was not sent; the text names no number (Twilio's own text may quote it)."""


def sms_configured(config: dict[str, Any] | None = None, sender: str | None = None) -> bool:
    """Whether SMS can be sent: Twilio credentials and a sender (``sender``, a line's own,
    or the global ``SMS_FROM`` / ``MESSAGING_SERVICE_SID``)."""
    config = current_app.config if config is None else config
    return bool(
        config.get("TWILIO_ACCOUNT_SID")
        and config.get("TWILIO_AUTH_TOKEN")
        and (sender or config.get("SMS_FROM") or config.get("MESSAGING_SERVICE_SID"))
    )


def send_message(to: str, body: str, sender: str | None = None) -> str:
    """Send ``body`` to ``to`` (E.164); the message SID, or :class:`SmsError`.

    The sender is ``sender`` (a line's ``sms_from``: a number, an alphanumeric sender or a
    messaging service SID ``MG…``) when given; otherwise ``SMS_FROM`` when set, otherwise
    the messaging service ``MESSAGING_SERVICE_SID``.
    """
    config = current_app.config
    sender = sender or config.get("SMS_FROM") or config["MESSAGING_SERVICE_SID"]
    sent_from: dict[str, str] = (
        {"messaging_service_sid": sender}
        if _MESSAGING_SERVICE.fullmatch(sender)
        else {"from_": sender}
    )
    try:
        message = twilio_client().messages.create(to=to, body=body, **sent_from)
    except TwilioRestException as error:
        # Twilio's message text may quote the number: keep only the codes.
        raise SmsError(f"Twilio error {error.code} (HTTP {error.status})") from None
    except Exception as error:  # a network failure: the caller decides what it undoes
        raise SmsError(type(error).__name__) from None
    return message.sid
