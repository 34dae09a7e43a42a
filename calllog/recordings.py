"""Recordings of callers' names and requests, attached once per RecordingSid."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.facts import RecordingFacts
from db import add_unless_exists
from models import Call, Recording, RecordingKind, RecordingState

# Shorter than this is an empty recording (§3.2): nobody spoke.
MIN_MESSAGE_S = 2


def attach(
    session: orm.Session,
    call: Call,
    facts: RecordingFacts | None,
    kind: RecordingKind,
    now: datetime,
) -> Recording | None:
    """The recording ``facts`` name, created on first sight; None when there is none.

    The Record action and the recording status callback both carry it, in either order
    and possibly twice, so the RecordingSid decides.
    """
    if facts is None:
        return None
    sid = facts.sid
    if not (sid.startswith("RE") and 2 < len(sid) <= 34):
        return None
    recording = _locked(session, sid)
    if recording is None:
        recording = Recording(
            sid=sid,
            call_id=call.id,
            kind=kind,
            twilio_url=facts.url,
            duration_s=facts.duration_s or 0,
            state=RecordingState.PENDING,
            created_at=now,
        )
        recording = add_unless_exists(session, recording, lambda: _locked(session, sid))
    if recording.twilio_url is None and facts.url:
        recording.twilio_url = facts.url[:300]
    if facts.duration_s is not None:
        recording.duration_s = max(recording.duration_s, facts.duration_s)
    return recording


def _locked(session: orm.Session, sid: str) -> Recording | None:
    """The recording row, locked until commit (PostgreSQL) and read afresh.

    Whoever holds it decides alone whether the recording still needs its appeal, so the
    Record action and the recording callback never both create one.
    """
    return session.scalar(
        sa.select(Recording)
        .where(Recording.sid == sid)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
