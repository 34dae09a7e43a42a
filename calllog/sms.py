"""Text messages to citizens through Twilio: booking confirmations, appeal numbers, reminders.

:func:`send_sms` never raises: a message is a courtesy, and whatever the caller did before
(a booking, an appeal) stands without it. Call it only after the database commit, so a
message never tells of something that was rolled back. Numbers are masked in the logs.
The sending itself is :mod:`outbound.sms`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from calllog.lines import Line, line_for
from calllog.phones import is_mobile, mask
from models import Appointment
from outbound.sms import SmsError, send_message, sms_configured

log = logging.getLogger(__name__)


def send_sms(to: str, body: str, sender: str | None = None) -> str | None:
    """Send ``body`` to the mobile number ``to`` (E.164); the message SID, or None.

    ``sender`` is the ``sms_from`` of the line the message is about (:func:`line_sender`);
    None sends from the global sender. Nothing is sent when SMS is not configured
    (:func:`outbound.sms.sms_configured`) or ``to`` is not a mobile number; a failure is
    logged, not raised.
    """
    try:
        return try_sms(to, body, sender)
    except SmsError:
        return None


def try_sms(to: str, body: str, sender: str | None = None) -> str | None:
    """As :func:`send_sms`, but a failure is also raised (:class:`SmsError`), to be retried."""
    if not sms_configured(sender=sender):
        log.info("SMS not configured: skipped")
        return None
    if not is_mobile(to or ""):
        log.info("SMS to %s skipped: not a mobile number", mask(to))
        return None
    try:
        sid = send_message(to, body, sender)
    except SmsError as error:
        log.warning("SMS to %s failed: %s", mask(to), error)
        raise
    log.info("SMS to %s sent: %s", mask(to), sid)
    return sid


def sms_enabled(lines: Iterable[Line]) -> bool:
    """Whether any SMS can go: Twilio credentials and the global sender or a line's own."""
    return sms_configured() or any(sms_configured(sender=line.sms_from) for line in lines)


def line_sender(lines: Iterable[Line], number: str | None) -> str | None:
    """The ``sms_from`` of the line logged under ``number``; None (the global sender) when
    the line has none, is not configured, or is not known (a walk-in booked by staff)."""
    line = line_for(lines, number) if number else None
    return line.sms_from if line is not None else None


def appointment_sender(lines: Iterable[Line], appointment: Appointment) -> str | None:
    """The sender of SMS about ``appointment``: that of the line it was booked on by phone
    (its first inbound call); None (the global sender) for one booked by staff."""
    inbound = (call.line for call in appointment.calls if call.direction == "inbound")
    return line_sender(lines, next(inbound, None))
