"""The call log's operations as the voice menu asks for them (the desks of ``ivr.turn``).

Each desk is bound to one call in one request (the session, the call, the moment and the
recording the request carries); each method does one whole thing (a booking with its
consent, event and outcome, say) and flushes. The request commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import orm

from calllog.facts import RecordingFacts, TranscriptionFacts
from calllog.office import Office
from models import Call


@dataclass
class CallContext:
    """What every desk works on: one call, in one request, at one moment."""

    session: orm.Session
    call: Call
    office: Office
    now: datetime
    recording: RecordingFacts | None = None
    transcription: TranscriptionFacts | None = None
