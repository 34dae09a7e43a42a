"""Text messages to citizens through Twilio: booking confirmations, appeal numbers, reminders.

:func:`send_sms` never raises: a message is a courtesy, and whatever the caller did before
(a booking, an appeal) stands without it. Call it only after the database commit, so a
message never tells of something that was rolled back. Numbers are masked in the logs.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from twilio.base.exceptions import TwilioRestException

from calllog.phones import is_mobile, mask
from calllog.twilio_rest import twilio_client

log = logging.getLogger(__name__)


def sms_configured(config: dict[str, Any] | None = None) -> bool:
    """Whether SMS can be sent: Twilio credentials and a sender or a messaging service."""
    config = current_app.config if config is None else config
    return bool(
        config.get("TWILIO_ACCOUNT_SID")
        and config.get("TWILIO_AUTH_TOKEN")
        and (config.get("SMS_FROM") or config.get("MESSAGING_SERVICE_SID"))
    )


def send_sms(to: str, body: str) -> str | None:
    """Send ``body`` to the mobile number ``to`` (E.164); the message SID, or None.

    The sender is ``SMS_FROM`` (a number or a registered alphanumeric sender) when set,
    otherwise the messaging service ``MESSAGING_SERVICE_SID``. Nothing is sent when SMS
    is not configured or ``to`` is not a mobile number; a failure is logged, not raised.
    """
    config = current_app.config
    if not sms_configured(config):
        log.info("SMS not configured: skipped")
        return None
    if not is_mobile(to or ""):
        log.info("SMS to %s skipped: not a mobile number", mask(to))
        return None
    sender: dict[str, str] = (
        {"from_": config["SMS_FROM"]}
        if config.get("SMS_FROM")
        else {"messaging_service_sid": config["MESSAGING_SERVICE_SID"]}
    )
    try:
        message = twilio_client().messages.create(to=to, body=body, **sender)
    except TwilioRestException as error:
        # Twilio's message text may quote the number: log only the codes.
        log.warning(
            "SMS to %s failed: Twilio error %s (HTTP %s)", mask(to), error.code, error.status
        )
        return None
    except Exception as error:  # a network failure must not undo the caller's work
        log.warning("SMS to %s failed: %s", mask(to), type(error).__name__)
        return None
    log.info("SMS to %s sent: %s", mask(to), message.sid)
    return message.sid
