"""What Twilio's live transcription heard of a request or a name (``TRANSCRIPTION=twilio``).

A transcription is named when it starts (``request-…`` or ``name-…``, unique in its call);
its status callbacks and the recording's appeal or appointment meet on that name, in any
order and as often as Twilio sends them: the :class:`~models.Transcript` row is created
by whichever comes first, and every later one only adds what is new.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog import appeal_search
from calllog.facts import TranscriptionFacts
from db import add_unless_exists
from models import Appeal, Appointment, Call, RecordingKind, Transcript, TranscriptState

#: Below this confidence staff are told the text may be wrong (Twilio's 0–1 scale).
LOW_CONFIDENCE = 0.7
SOURCE_TWILIO = "twilio"
SOURCE_STAFF = "staff"


def find(session: orm.Session, call: Call, name: str) -> Transcript | None:
    """The call's transcript of that name, locked until commit (PostgreSQL), read afresh."""
    return session.scalar(
        sa.select(Transcript)
        .where(Transcript.call_id == call.id, Transcript.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def obtain(
    session: orm.Session, call: Call, name: str, kind: RecordingKind, now: datetime
) -> Transcript:
    """The call's transcript of that name, created on first sight."""
    transcript = find(session, call, name)
    if transcript is None:
        transcript = Transcript(
            call_id=call.id,
            name=name,
            kind=kind,
            state=TranscriptState.STARTED,
            segments={},
            created_at=now,
            updated_at=now,
        )
        transcript = add_unless_exists(session, transcript, lambda: find(session, call, name))
    return transcript


def receive(
    session: orm.Session,
    call: Call,
    name: str,
    kind: RecordingKind,
    facts: TranscriptionFacts,
    now: datetime,
    appointment: Appointment | None = None,
) -> Transcript:
    """Apply one status callback: idempotent, whatever came before it.

    A final utterance is kept under its sequence number (a repeat changes nothing, a late
    one takes its place); ``stopped`` ends it unless it failed; ``error`` marks it failed
    and keeps what was heard before. A partial (not final) utterance is not kept.
    """
    transcript = obtain(session, call, name, kind, now)
    if transcript.sid is None and facts.sid:
        transcript.sid = facts.sid
    if appointment is not None and transcript.appointment_id is None:
        transcript.appointment = appointment
    if facts.event == "content" and facts.final and facts.text and facts.sequence is not None:
        key = str(facts.sequence)
        if key not in transcript.segments:
            transcript.segments = transcript.segments | {key: [facts.text, facts.confidence]}
            _assemble(transcript)
            transcript.updated_at = now
            if transcript.appeal is not None:
                appeal_search.index(session, transcript.appeal)
    elif facts.event == "stopped" and transcript.state is TranscriptState.STARTED:
        transcript.state = TranscriptState.STOPPED
        transcript.updated_at = now
    elif facts.event == "error" and transcript.state is not TranscriptState.FAILED:
        transcript.state = TranscriptState.FAILED
        transcript.error_code = facts.error_code or None
        transcript.updated_at = now
    return transcript


def _assemble(transcript: Transcript) -> None:
    """The text in the order it was said, and its confidence weighted by length."""
    ordered = [transcript.segments[key] for key in sorted(transcript.segments, key=int)]
    transcript.text = " ".join(text for text, _ in ordered) or None
    weighed = [(len(text), confidence) for text, confidence in ordered if confidence is not None]
    total = sum(length for length, _ in weighed)
    transcript.confidence = (
        round(sum(length * confidence for length, confidence in weighed) / total, 3)
        if total
        else None
    )


def link_appeal(session: orm.Session, call: Call, name: str, appeal: Appeal, now: datetime) -> None:
    """The request recorded under transcription ``name`` became ``appeal``."""
    transcript = obtain(session, call, name, RecordingKind.MESSAGE, now)
    if transcript.appeal_id is None:
        transcript.appeal = appeal
        appeal_search.index(session, appeal)


def heard(transcripts: list[Transcript]) -> Transcript | None:
    """The transcript with words in it, latest first; None when nothing was heard."""
    with_text = [transcript for transcript in transcripts if transcript.text]
    return with_text[-1] if with_text else None


def appeal_text(appeal: Appeal) -> tuple[str | None, str | None]:
    """The appeal's text and where it comes from: staff's summary when they wrote one,
    else what the transcription heard; ``(None, None)`` when there is neither."""
    if appeal.transcript:
        return appeal.transcript, SOURCE_STAFF
    machine = heard(appeal.transcripts)
    if machine is not None:
        return machine.text, SOURCE_TWILIO
    return None, None
