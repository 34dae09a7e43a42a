"""``twilio configure``'s check of every line's SMS sender against the Twilio account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twilio.base.exceptions import TwilioRestException

from calllog.lines import Line, is_messaging_service


@dataclass(frozen=True)
class SenderCheck:
    """What ``twilio configure`` says of one line's SMS sender; ``usable`` False fails it."""

    usable: bool
    message: str


def check_sms_sender(client: Any, line: Line) -> SenderCheck:
    """Whether Twilio sends the line's SMS from its ``sms_from``.

    A number must be one of the account's, with SMS among its capabilities; a messaging
    service must exist on the account. An alphanumeric sender cannot be checked through
    the REST API (it is registered with Twilio and the carriers), so it passes, said so.
    A line without ``sms_from`` uses the global sender, which is not the line's to check.
    """
    sender = line.sms_from
    if sender is None:
        return SenderCheck(True, "SMS from the global SMS_FROM or MESSAGING_SERVICE_SID")
    if is_messaging_service(sender):
        if _service_exists(client, sender):
            return SenderCheck(True, f"SMS from messaging service {sender}")
        return SenderCheck(False, f"SMS sender {sender}: no such messaging service on the account")
    if not sender.startswith("+"):
        return SenderCheck(
            True,
            f"SMS from the alphanumeric sender {sender} (not checkable through the API: it must "
            "be registered with Twilio for Russian mobiles)",
        )
    numbers = client.incoming_phone_numbers.list(phone_number=sender, limit=1)
    if numbers and (numbers[0].capabilities or {}).get("sms"):
        return SenderCheck(True, f"SMS from {sender}")
    why = "cannot send SMS (voice only)" if numbers else "is not a number of this Twilio account"
    return SenderCheck(False, f"SMS sender {sender} {why}")


def _service_exists(client: Any, sid: str) -> bool:
    try:
        client.messaging.v1.services(sid).fetch()
    except TwilioRestException as error:
        if error.status == 404:
            return False
        raise
    return True
