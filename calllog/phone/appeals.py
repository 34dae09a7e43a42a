"""Requests left by phone (key 2) and their status (key 3), bound to one call."""

from __future__ import annotations

from calllog import appeals, calls, recordings
from calllog.events import add_event
from calllog.phone import CallContext
from models import Appeal, AppealChannel, CallOutcome, RecordingKind


class PhoneAppeals:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def register(self, topic: str) -> Appeal | None:
        """The appeal for the recording in this request, created on first sight.

        None when there is no recording or it is under two seconds: nobody spoke.
        """
        context = self.context
        call = context.call
        recording = recordings.attach(
            context.session, call, context.recording, RecordingKind.MESSAGE, context.now
        )
        if recording is None or recording.duration_s < recordings.MIN_MESSAGE_S:
            return None
        if recording.appeal is None:
            recording.appeal = appeals.create_appeal(
                context.session,
                topic=topic,
                channel=AppealChannel.PHONE,
                phone=call.caller,
                now=context.now,
                call=call,
            )
            add_event(call, "appeal_registered", recording.appeal.number, context.now)
            calls.record_outcome(context.session, call, CallOutcome.REQUEST_LEFT, context.now)
        if recording.appeal.phone is None:
            recording.appeal.phone = call.caller
        return recording.appeal

    def own(self, appeal_id: int) -> Appeal | None:
        """The appeal, when this call registered it."""
        appeal = self.context.session.get(Appeal, appeal_id)
        return appeal if appeal is not None and appeal in self.context.call.appeals else None

    def set_contact(self, appeal: Appeal, phone: str) -> None:
        appeal.phone = phone

    def look_up(self, number: str) -> Appeal | None:
        """The appeal with this number, linked to the call that asked about it."""
        appeal = appeals.find_appeal(self.context.session, number)
        if appeal is not None and appeal not in self.context.call.appeals:
            self.context.call.appeals.append(appeal)
        return appeal

    def get(self, appeal_id: int) -> Appeal | None:
        return self.context.session.get(Appeal, appeal_id)
