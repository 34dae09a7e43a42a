"""Text messages to citizens through Twilio: booking confirmations, appeal numbers, reminders.

:func:`send_sms` never raises: a message is a courtesy, and whatever the caller did before
(a booking, an appeal) stands without it. Call it only after the database commit, so a
message never tells of something that was rolled back. Numbers are masked in the logs.
The sending itself is :mod:`outbound.sms`.
"""

from __future__ import annotations

import logging

from calllog.phones import is_mobile, mask
from outbound.sms import SmsError, send_message, sms_configured

log = logging.getLogger(__name__)


def send_sms(to: str, body: str) -> str | None:
    """Send ``body`` to the mobile number ``to`` (E.164); the message SID, or None.

    Nothing is sent when SMS is not configured (:func:`outbound.sms.sms_configured`) or
    ``to`` is not a mobile number; a failure is logged, not raised.
    """
    try:
        return try_sms(to, body)
    except SmsError:
        return None


def try_sms(to: str, body: str) -> str | None:
    """As :func:`send_sms`, but a failure is also raised (:class:`SmsError`), to be retried."""
    if not sms_configured():
        log.info("SMS not configured: skipped")
        return None
    if not is_mobile(to or ""):
        log.info("SMS to %s skipped: not a mobile number", mask(to))
        return None
    try:
        sid = send_message(to, body)
    except SmsError as error:
        log.warning("SMS to %s failed: %s", mask(to), error)
        raise
    log.info("SMS to %s sent: %s", mask(to), sid)
    return sid
