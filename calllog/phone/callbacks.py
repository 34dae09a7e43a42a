"""Staff callbacks as the click-to-call bridge works them, bound to its outbound call."""

from __future__ import annotations

import sqlalchemy as sa

from calllog import callback_detection, callbacks
from calllog.events import add_event
from calllog.phone import CallContext
from models import AttemptResult, Callback, CallbackStatus, StaffUser


class PhoneCallbacks:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def find(self, callback_id: int, *, lock: bool = False) -> Callback | None:
        query = sa.select(Callback).where(Callback.id == callback_id)
        if lock:
            query = query.with_for_update(of=Callback)
        return self.context.session.scalar(query)

    def adopt(self, callback: Callback, line: str) -> None:
        callbacks.adopt_outbound(self.context.call, callback, line)

    def placed_by(self) -> str | None:
        return callbacks.dialled_by(self.context.call)

    def operator_by_phone(self, phone: str) -> str | None:
        """Who placed the call when the page has not logged it yet: the staff member called."""
        logins = self.context.session.scalars(
            sa.select(StaffUser.login).where(StaffUser.phone == phone, StaffUser.active).limit(2)
        ).all()
        return f"staff:{logins[0]}" if len(logins) == 1 else None

    def record_attempt(
        self, callback: Callback, result: AttemptResult, actor: str | None, note: str
    ) -> bool:
        """Record the attempt unless the item was closed meanwhile or Twilio retried."""
        context = self.context
        if callback.status is not CallbackStatus.PENDING:
            return False
        if any(attempt.call_id == context.call.id for attempt in callback.attempts):
            return False
        callbacks.record_attempt(
            context.session,
            callback,
            result,
            context.now,
            context.office.hours.next_working_day_start(context.now),
            note=note,
            actor=actor,
            call=context.call,
        )
        return True

    def citizen_talked(
        self, callback: Callback, seconds: int, actor: str | None, note: str
    ) -> AttemptResult | None:
        """The citizen leg was answered and bridged for ``seconds``: the attempt once
        Twilio's answering machine detection is known too."""
        context = self.context
        add_event(context.call, callback_detection.TALKED, str(seconds), context.now)
        return callback_detection.settle_answered_call(
            context.session,
            context.call,
            callback,
            context.now,
            context.office.hours.next_working_day_start(context.now),
            actor=actor,
            note=note,
        )

    def line_of(self, callback: Callback) -> str:
        return callbacks.callback_line(callback, self.context.office.lines)
