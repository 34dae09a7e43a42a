"""Recordings of callers' names and requests, attached once per RecordingSid."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from db import add_unless_exists
from models import Call, Recording, RecordingKind, RecordingState

# Shorter than this is an empty recording (§3.2): nobody spoke.
MIN_MESSAGE_S = 2


def duration_of(params: Mapping[str, str]) -> int:
    try:
        return max(0, min(int(params.get("RecordingDuration", "0")), 86_400))
    except ValueError:
        return 0


def attach(
    session: orm.Session,
    call: Call,
    params: Mapping[str, str],
    kind: RecordingKind,
    now: datetime,
) -> Recording | None:
    """The recording named in ``params``, created on first sight; None when there is none.

    The Record action and the recording status callback both carry it, in either order
    and possibly twice, so the RecordingSid decides.
    """
    sid = params.get("RecordingSid", "")
    if not (sid.startswith("RE") and 2 < len(sid) <= 34):
        return None
    recording = _locked(session, sid)
    if recording is None:
        recording = Recording(
            sid=sid,
            call_id=call.id,
            kind=kind,
            twilio_url=(params.get("RecordingUrl") or None),
            duration_s=duration_of(params),
            state=RecordingState.PENDING,
            created_at=now,
        )
        recording = add_unless_exists(session, recording, lambda: _locked(session, sid))
    if recording.twilio_url is None and params.get("RecordingUrl"):
        recording.twilio_url = params["RecordingUrl"][:300]
    if params.get("RecordingDuration"):
        recording.duration_s = max(recording.duration_s, duration_of(params))
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
