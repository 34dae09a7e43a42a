"""Retention (152-FZ, art. 5 p. 7): recordings and callers' numbers are kept no longer than set.

``flask --app app retention purge`` deletes the audio of recordings older than
``RETENTION_RECORDINGS_DAYS`` (from the service's storage, and from Twilio if a copy is
somehow still there) and anonymises calls older than ``RETENTION_CALLS_DAYS``. The call
and appeal records stay, with a note that the audio was purged. 0 days keeps for ever.
Running it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.events import add_event
from models import AppealStatusChange, Call, Recording, RecordingState
from outbound.storage import Storage, StorageError

log = logging.getLogger(__name__)

PURGED_NOTE = "аудиозапись удалена по истечении срока хранения"


@dataclass
class PurgeReport:
    recordings: int = 0
    calls: int = 0
    errors: int = 0


def purge(
    session: orm.Session,
    now: datetime,
    storage: Storage,
    *,
    recordings_days: int,
    calls_days: int,
    forget_at_twilio: Callable[[str], str | None] | None = None,
) -> PurgeReport:
    """Delete expired audio and anonymise expired calls; commits per recording.

    A recording goes no later than its call is anonymised (the shorter age applies).
    ``forget_at_twilio(sid)`` deletes Twilio's copy of a recording not yet deleted there and
    returns None, or why it could not; such a recording is left for the next run (counted
    in ``errors``).
    """
    report = PurgeReport()
    recording_cutoff = _cutoff(now, recordings_days, calls_days)
    if recording_cutoff is not None:
        expired = session.scalars(
            sa.select(Recording)
            .where(
                Recording.state != RecordingState.PURGED, Recording.created_at < recording_cutoff
            )
            .order_by(Recording.id)
        ).all()
        for recording in expired:
            if _purge_recording(session, recording, now, storage, forget_at_twilio):
                report.recordings += 1
            else:
                report.errors += 1
    if calls_days > 0:
        report.calls = session.execute(
            sa.update(Call)
            .where(Call.started_at < now - timedelta(days=calls_days), Call.anonymised_at.is_(None))
            .values(caller=None, caller_raw="", anonymised_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    if report.recordings or report.calls:
        log.info(
            "retention: purged %d recording(s), anonymised %d call(s)",
            report.recordings,
            report.calls,
        )
    return report


def _cutoff(now: datetime, recordings_days: int, calls_days: int) -> datetime | None:
    ages = [days for days in (recordings_days, calls_days) if days > 0]
    return now - timedelta(days=min(ages)) if ages else None


def _purge_recording(
    session: orm.Session,
    recording: Recording,
    now: datetime,
    storage: Storage,
    forget_at_twilio: Callable[[str], str | None] | None,
) -> bool:
    if recording.deleted_from_twilio_at is None:
        error = forget_at_twilio(recording.sid) if forget_at_twilio else "Twilio is not configured"
        if error is not None:
            log.error("retention: recording %s kept for now: %s", recording.sid, error)
            return False
        recording.deleted_from_twilio_at = now
    if recording.storage_key:
        try:
            storage.delete(recording.storage_key)
        except (StorageError, ValueError) as error:
            log.error("retention: recording %s kept for now: %s", recording.sid, error)
            session.commit()
            return False
    recording.state = RecordingState.PURGED
    recording.purged_at = now
    recording.storage_key = None
    recording.next_attempt_at = None
    add_event(recording.call, "recording_purged", recording.sid, now)
    if recording.appeal is not None:
        recording.appeal.history.append(
            AppealStatusChange(at=now, status=recording.appeal.status, note=PURGED_NOTE)
        )
    session.commit()
    return True
