"""What any branch of the voice menu writes about its call."""

from __future__ import annotations

import sqlalchemy as sa

from calllog import callbacks, calls, transfers
from calllog.events import add_event
from calllog.phone import CallContext
from models import CallOutcome, Consent


class PhoneCallLog:
    """Events, outcomes, consents and callbacks of one call (``ivr.turn.CallLog`` but SMS,
    which the adapter sends once the request is committed)."""

    def __init__(self, context: CallContext) -> None:
        self.context = context

    def event(self, kind: str, detail: str = "") -> None:
        add_event(self.context.call, kind, detail, self.context.now)

    def outcome(self, outcome: CallOutcome) -> None:
        context = self.context
        calls.record_outcome(context.session, context.call, outcome, context.now)

    def consent(self, purpose: str, version: str) -> None:
        give_consent(self.context, purpose, version)

    def request_callback(self, reason: str, phone: str | None = None) -> None:
        context = self.context
        number = phone or context.call.caller
        if number is None:
            raise ValueError("no number to call back")
        due = context.office.hours.next_working_time(context.now)
        callbacks.request(context.session, number, reason, context.call, context.now, due)

    def staff_took_call(self) -> bool:
        return transfers.was_accepted(self.context.session, self.context.call)

    def withdraw_callback(self, reason: str) -> None:
        callbacks.withdraw(self.context.session, self.context.call, reason)


def give_consent(context: CallContext, purpose: str, version: str) -> None:
    """Keep the caller's consent, with the exact wording they agreed to (152-FZ).

    Twilio may deliver the key press twice: the same consent is kept once.
    """
    call = context.call
    given = sa.select(Consent.id).where(
        Consent.call_id == call.id,
        Consent.purpose == purpose,
        Consent.prompt_version == version,
    )
    if context.session.scalar(given.limit(1)) is not None:
        return
    context.session.add(
        Consent(call_id=call.id, purpose=purpose, prompt_version=version, at=context.now)
    )
    add_event(call, "consent", purpose, context.now)
