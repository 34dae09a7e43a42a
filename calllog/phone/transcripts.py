"""Twilio's live transcription of requests and names, bound to one call."""

from __future__ import annotations

from calllog import transcripts
from calllog.phone import CallContext
from models import Appeal, Appointment, RecordingKind


def kind_of(name: str) -> RecordingKind:
    """``request-…`` transcribes a request, ``name-…`` a visitor's name."""
    return RecordingKind.NAME if name.startswith("name-") else RecordingKind.MESSAGE


class PhoneTranscripts:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def receive(self, name: str, appointment: Appointment | None = None) -> None:
        context = self.context
        if context.transcription is None:
            return
        transcripts.receive(
            context.session,
            context.call,
            name,
            kind_of(name),
            context.transcription,
            context.now,
            appointment,
        )

    def link_appeal(self, name: str, appeal: Appeal) -> None:
        context = self.context
        transcripts.link_appeal(context.session, context.call, name, appeal, context.now)
