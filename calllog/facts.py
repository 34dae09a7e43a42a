"""What Twilio reports of a call and of a recording, typed.

The Twilio adapter (``twilio_turn.form``) reads Twilio's form fields once and hands the
call log these values; nothing in ``calllog`` reads a raw webhook field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallFacts:
    """Who called which number, and how far the call has got."""

    sid: str
    from_raw: str | None = None  # ``From`` as given: a number, a SIP URI, «anonymous»…
    to: str | None = None
    called: str | None = None
    forwarded_from: str | None = None
    direction: str = "inbound"
    status: str = ""
    sequence: int | None = None
    duration_s: int | None = None


@dataclass(frozen=True)
class RecordingFacts:
    """A recording named by a Record action or a recording status callback."""

    sid: str
    url: str | None = None
    duration_s: int | None = None  # None when the request does not say
    status: str = ""  # ``completed`` or ``failed`` on a status callback, else empty


@dataclass(frozen=True)
class TranscriptionFacts:
    """One status callback of Twilio's live transcription (``<Start><Transcription>``).

    ``event`` is ``started``, ``content``, ``stopped`` or ``error``; a ``content`` event
    carries one utterance (``text``, its ``confidence`` from 0 to 1), ``final`` when the
    recogniser will not revise it, numbered by ``sequence`` within the transcription.
    """

    sid: str
    event: str
    sequence: int | None = None
    text: str = ""
    confidence: float | None = None
    final: bool = True
    error_code: str = ""
