"""``recordings sync``: bring home whatever the recording status callbacks left behind.

Idempotent and safe to run as often as you like (the worker runs it every five minutes): it
finds at Twilio the recordings whose callback never came, retries the copies whose backoff
is over, and deletes at Twilio what is stored here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.calls import find_call
from calllog.events import add_event
from calllog.recording_copies import Copier, _why
from models import Call, Recording, RecordingKind, RecordingState
from outbound.recording_media import RECORDING_SID

log = logging.getLogger(__name__)

#: A recording this young may still get its callback; ``sync`` leaves it to the callback.
CALLBACK_GRACE = timedelta(minutes=10)


@dataclass
class SyncReport:
    found: int = 0  # on Twilio, no row here: the callback never came
    copied: int = 0
    deleted: int = 0  # Twilio copies deleted
    failed: int = 0  # newly flagged for staff
    retried: int = 0  # failed ones made pending again (--retry-failed)
    waiting: int = 0  # still pending, to be tried later
    unknown: int = 0  # on Twilio for calls this service does not know (yet)
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.found + self.copied + self.deleted + self.failed + self.retried


def sync(
    session: orm.Session,
    now: datetime,
    copier: Copier,
    *,
    lookback_days: int = 30,
    retry_failed: bool = False,
) -> SyncReport:
    """Bring home whatever is left behind; idempotent (a second run changes nothing).

    1. Ask Twilio for the recordings it still holds (created in the last ``lookback_days``;
       0: all) and add a row for each completed one of a known call that has none.
    2. Copy every pending recording whose next try is due (and each left without a try
       for longer than the callback grace), deleting it at Twilio once stored.
    3. Delete at Twilio the stored recordings whose deletion failed before, and those
       Twilio still lists.
    """
    report = SyncReport()
    still_listed = _find_at_twilio(session, now, copier, lookback_days, report)
    if retry_failed:
        report.retried = _retry_failed(session, now)
    due = sa.or_(
        Recording.next_attempt_at <= now,
        sa.and_(Recording.next_attempt_at.is_(None), Recording.created_at <= now - CALLBACK_GRACE),
    )
    pending = session.scalars(
        sa.select(Recording.id)
        .where(Recording.state == RecordingState.PENDING, due)
        .order_by(Recording.id)
    ).all()
    for recording_id in pending:
        recording = session.get(Recording, recording_id)
        if recording is None:
            continue
        if copier.copy_home(session, recording, now):
            report.copied += 1
            if recording.deleted_from_twilio_at == now:
                report.deleted += 1
        elif recording.state is RecordingState.FAILED:
            report.failed += 1
    undeleted = session.scalars(
        sa.select(Recording)
        .where(
            Recording.state == RecordingState.STORED,
            # Not while the process that stored it is deleting it (``DELETE_GRACE``).
            sa.or_(Recording.next_attempt_at.is_(None), Recording.next_attempt_at <= now),
            sa.or_(Recording.id.in_(still_listed), Recording.deleted_from_twilio_at.is_(None)),
        )
        .order_by(Recording.id)
    ).all()
    for recording in undeleted:
        if recording.id in still_listed:
            recording.deleted_from_twilio_at = None
        if copier.delete_at_twilio(session, recording, now):
            report.deleted += 1
    report.waiting = (
        session.scalar(
            sa.select(sa.func.count(Recording.id)).where(Recording.state == RecordingState.PENDING)
        )
        or 0
    )
    session.commit()
    return report


def _find_at_twilio(
    session: orm.Session, now: datetime, copier: Copier, lookback_days: int, report: SyncReport
) -> set[int]:
    """Rows for Twilio's recordings that have none; the ids of stored ones still listed."""
    # In UTC: the twilio library writes the datetime as it is, with a "Z" after it.
    since = (now - timedelta(days=lookback_days)).astimezone(UTC) if lookback_days > 0 else None
    try:
        listed = copier.client.recordings.list(date_created_after=since, page_size=1000)
    except Exception as error:
        report.errors.append(f"listing recordings at Twilio failed: {_why(error)}")
        return set()
    still_listed: set[int] = set()
    for item in listed:
        sid = item.sid or ""
        if item.status != "completed" or not RECORDING_SID.fullmatch(sid):
            continue
        recording = session.scalar(sa.select(Recording).where(Recording.sid == sid))
        if recording is not None:
            if recording.state is RecordingState.STORED:
                still_listed.add(recording.id)
            continue
        created = item.date_created or now
        if created > now - CALLBACK_GRACE:
            continue  # its callback may be on the way
        call = find_call(session, item.call_sid or "")
        if call is None:
            report.unknown += 1
            continue
        if _add_found(session, call, sid, item, created, now):
            report.found += 1
    if report.unknown:
        log.warning(
            "%d recording(s) at Twilio belong to calls not in the database "
            "(spooled, or another application's)",
            report.unknown,
        )
    return still_listed


def _add_found(
    session: orm.Session, call: Call, sid: str, item: Any, created: datetime, now: datetime
) -> bool:
    try:
        duration = max(0, int(item.duration or 0))
    except ValueError:
        duration = 0
    recording = Recording(
        sid=sid,
        kind=RecordingKind.MESSAGE,
        twilio_url=None,
        duration_s=duration,
        state=RecordingState.PENDING,
        created_at=created,
        next_attempt_at=now,
    )
    try:
        with session.begin_nested():
            recording.call = call
            session.add(recording)
            add_event(call, "recording_found", sid, now)
    except sa.exc.IntegrityError:
        return False  # the callback arrived meanwhile
    session.commit()
    log.warning("recording %s had no callback: found at Twilio, copying it", sid)
    return True


def _retry_failed(session: orm.Session, now: datetime) -> int:
    count = session.execute(
        sa.update(Recording)
        .where(Recording.state == RecordingState.FAILED)
        .values(state=RecordingState.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return count
