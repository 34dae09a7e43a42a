"""Each webhook's form, read once into a typed :class:`Webhook`.

This is the one place that knows Twilio's field names. Control characters (NUL above
all, which PostgreSQL refuses in text) carry nothing a caller said; they are dropped once
the signature has been checked. A request without a well-formed ``CallSid`` or with an
overlong field is not one Twilio sends for our TwiML: 400.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from calllog.facts import CallFacts, RecordingFacts, TranscriptionFacts
from ivr.speech_input import keys_from_speech

CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MAX_FIELD_LENGTH = 2000
# A transcription's utterance comes as JSON in one field and may be long: a caller who
# speaks for a minute without a pause is one utterance.
LONG_FIELDS = {"TranscriptionData": 40_000}
TRANSCRIPTION_EVENTS = {
    f"transcription-{event}": event for event in ("started", "content", "stopped", "error")
}
MAX_DIGITS = 40
CONTROL_CHARACTERS = dict.fromkeys([*range(32), 127])
HANGUP = "hangup"  # Twilio's Digits on a Record action after the caller hung up


class NotAWebhook(ValueError):
    """The form is not one Twilio sends for a call."""


@dataclass(frozen=True)
class Webhook:
    """One webhook of a call: who, which line, and what the caller just did."""

    call: CallFacts
    digits: str = ""  # keys pressed (or said); "" on a Gather's no-input fall-through
    hung_up: bool = False
    dial_status: str = ""
    dial_seconds: int = 0  # DialCallDuration: how long the dialled party was connected
    parent_call_sid: str = ""  # ParentCallSid: on a child leg of a <Dial>, the caller's call
    answered_by: str = ""  # AnsweredBy of an answering machine detection callback
    recording: RecordingFacts | None = None
    transcription: TranscriptionFacts | None = None
    form: Mapping[str, str] = field(default_factory=dict)  # as received, for the spool


def clean(raw: Mapping[str, str]) -> dict[str, str]:
    """The form without control characters; :class:`NotAWebhook` when it is not a call's."""
    form = {key: value.translate(CONTROL_CHARACTERS) for key, value in raw.items()}
    if not CALL_SID.fullmatch(form.get("CallSid", "")):
        raise NotAWebhook("CallSid missing or malformed")
    if any(len(value) > LONG_FIELDS.get(key, MAX_FIELD_LENGTH) for key, value in form.items()):
        raise NotAWebhook("field too long")
    return form


def parse(raw: Mapping[str, str], *, timed_out: bool = False) -> Webhook:
    """Read a call's webhook; ``timed_out`` marks a Gather's no-input fall-through (our
    ``?timeout=1``), which carries no keys whatever its form says."""
    form = clean(raw)
    digits = "" if timed_out else keys_pressed(form)
    return Webhook(
        call=call_facts(form),
        digits=digits,
        hung_up=form.get("Digits") == HANGUP,
        dial_status=form.get("DialCallStatus", ""),
        dial_seconds=_count(form.get("DialCallDuration")) or 0,
        answered_by=form.get("AnsweredBy", "")[:40],
        parent_call_sid=parent
        if CALL_SID.fullmatch(parent := form.get("ParentCallSid", ""))
        else "",
        recording=recording_facts(form),
        transcription=transcription_facts(form),
        form=form,
    )


def keys_pressed(form: Mapping[str, str]) -> str:
    digits = form.get("Digits", "")[:MAX_DIGITS]
    if not digits and form.get("SpeechResult"):
        digits = keys_from_speech(form["SpeechResult"])
    return digits


def call_facts(form: Mapping[str, str]) -> CallFacts:
    return CallFacts(
        sid=form.get("CallSid", ""),
        from_raw=form.get("From"),
        to=form.get("To"),
        called=form.get("Called"),
        forwarded_from=form.get("ForwardedFrom"),
        direction=form.get("Direction") or "inbound",
        status=form.get("CallStatus", ""),
        sequence=_count(form.get("SequenceNumber")),
        duration_s=_count(form.get("CallDuration")),
    )


def recording_facts(form: Mapping[str, str]) -> RecordingFacts | None:
    """The recording a Record action or a recording callback names; None without one."""
    sid = form.get("RecordingSid", "")
    if not sid:
        return None
    duration = form.get("RecordingDuration")
    return RecordingFacts(
        sid=sid,
        url=form.get("RecordingUrl") or None,
        duration_s=_seconds(duration) if duration else None,
        status=form.get("RecordingStatus", ""),
    )


def transcription_facts(form: Mapping[str, str]) -> TranscriptionFacts | None:
    """The live transcription's event a status callback reports; None on any other request.

    ``TranscriptionData`` is JSON (``{"transcript": …, "confidence": …}``); an utterance
    that cannot be read is an event without text, never an error for the call.
    """
    event = TRANSCRIPTION_EVENTS.get(form.get("TranscriptionEvent", ""))
    sid = form.get("TranscriptionSid", "")[:34]
    if event is None:
        return None
    text, confidence = _utterance(form.get("TranscriptionData", ""))
    return TranscriptionFacts(
        sid=sid,
        event=event,
        sequence=_count(form.get("SequenceId")),
        text=text,
        confidence=confidence,
        final=form.get("Final", "true").lower() != "false",
        error_code=form.get("TranscriptionErrorCode", "")[:16],
    )


def _utterance(data: str) -> tuple[str, float | None]:
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        return "", None
    if not isinstance(parsed, dict):
        return "", None
    text = parsed.get("transcript")
    confidence = parsed.get("confidence")
    if not isinstance(text, str):
        text = ""
    readable = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    if readable and math.isfinite(confidence):
        confidence = max(0.0, min(float(confidence), 1.0))
    else:
        confidence = None
    return " ".join(text.split()), confidence


def _count(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < 2**31 else None


def _seconds(value: str) -> int:
    try:
        return max(0, min(int(value), 86_400))
    except ValueError:
        return 0
