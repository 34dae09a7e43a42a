"""Retention (152-FZ, art. 5 p. 7): personal data kept no longer than its purpose needs.

``flask --app app retention purge`` (:func:`purge`, also what a periodic task calls):

* recordings older than ``RETENTION_RECORDINGS_DAYS`` lose their audio (in the service's
  storage, and at Twilio if a copy is somehow still there), and their transcripts;
* calls, callbacks and appointments older than ``RETENTION_CALLS_DAYS`` lose the citizen's
  number (and notes, names); line, times, statuses and outcomes stay for the reports;
* appeals answered or closed more than ``RETENTION_APPEALS_DAYS`` after they came in (the
  archive's five years by default) lose the applicant's number, name, address, summary and
  the notes of their history; number, topic, dates and statuses stay.

0 days keeps for ever. The call and appeal records stay, with a note where audio went.
Running it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.forgetting import (
    ForgetAtTwilio,
    anonymise_appeal,
    anonymise_appointment,
    anonymise_callback,
    anonymise_calls,
    forget_recording,
)
from models import (
    Appeal,
    AppealStatus,
    AppealStatusChange,
    Appointment,
    Call,
    Callback,
    CallbackStatus,
    Recording,
    RecordingState,
)
from outbound.storage import Storage

log = logging.getLogger(__name__)

PURGED_NOTE = "аудиозапись удалена по истечении срока хранения"
#: Appeals still being considered are never anonymised, whatever their age.
OPEN_APPEAL = (AppealStatus.REGISTERED, AppealStatus.IN_REVIEW)
#: Rows anonymised per transaction.
BATCH = 500


@dataclass(frozen=True)
class RetentionAges:
    """How many days each kind of personal data is kept (0: for ever)."""

    recordings_days: int
    calls_days: int
    appeals_days: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionAges:
        return cls(
            recordings_days=int(config["RETENTION_RECORDINGS_DAYS"]),
            calls_days=int(config["RETENTION_CALLS_DAYS"]),
            appeals_days=int(config["RETENTION_APPEALS_DAYS"]),
        )


@dataclass
class PurgeReport:
    recordings: int = 0
    calls: int = 0
    callbacks: int = 0
    appointments: int = 0
    appeals: int = 0
    errors: int = 0

    def summary(self) -> str:
        return (
            f"purged {self.recordings} recording(s), anonymised {self.calls} call(s), "
            f"{self.callbacks} callback(s), {self.appointments} appointment(s), "
            f"{self.appeals} appeal(s)"
        )


def purge(
    session: orm.Session,
    now: datetime,
    storage: Storage,
    ages: RetentionAges,
    *,
    forget_at_twilio: ForgetAtTwilio | None = None,
) -> PurgeReport:
    """Delete expired audio and anonymise expired records; commits as it goes.

    A recording goes no later than its call is anonymised (the shorter age applies).
    A recording whose copy at Twilio or in the storage could not be deleted is left for
    the next run (counted in ``errors``).
    """
    report = PurgeReport()
    recording_cutoff = _cutoff(now, ages.recordings_days, ages.calls_days)
    if recording_cutoff is not None:
        expired = session.scalars(
            sa.select(Recording)
            .where(
                Recording.state != RecordingState.PURGED, Recording.created_at < recording_cutoff
            )
            .order_by(Recording.id)
        ).all()
        for recording in expired:
            if forget_recording(
                session, recording, now, storage, forget_at_twilio, "recording_purged"
            ):
                if recording.appeal is not None:
                    recording.appeal.history.append(
                        AppealStatusChange(at=now, status=recording.appeal.status, note=PURGED_NOTE)
                    )
                report.recordings += 1
            else:
                report.errors += 1
            session.commit()
    if ages.calls_days > 0:
        cutoff = now - timedelta(days=ages.calls_days)
        report.calls = _anonymise_calls(session, cutoff, now)
        report.callbacks = _each(
            session,
            sa.select(Callback)
            .where(
                Callback.anonymised_at.is_(None),
                Callback.status != CallbackStatus.PENDING,
                Callback.created_at < cutoff,
            )
            .order_by(Callback.id),
            lambda callback: anonymise_callback(callback, now),
        )
        report.appointments = _each(
            session,
            sa.select(Appointment)
            .where(Appointment.anonymised_at.is_(None), Appointment.created_at < cutoff)
            .order_by(Appointment.id),
            lambda appointment: anonymise_appointment(appointment, now),
        )
    if ages.appeals_days > 0:
        report.appeals = _each(
            session,
            sa.select(Appeal)
            .where(
                Appeal.anonymised_at.is_(None),
                Appeal.status.not_in(OPEN_APPEAL),
                Appeal.created_at < now - timedelta(days=ages.appeals_days),
            )
            .order_by(Appeal.id),
            lambda appeal: anonymise_appeal(appeal, now),
        )
    if report.summary() != PurgeReport().summary():
        log.info("retention: %s", report.summary())
    return report


def _anonymise_calls(session: orm.Session, cutoff: datetime, now: datetime) -> int:
    count = anonymise_calls(session, Call.started_at < cutoff, now)
    session.commit()
    return count


def _each(session: orm.Session, query: sa.Select[Any], change: Any) -> int:
    """Apply ``change`` to every row of ``query`` (which the change makes leave it), a batch
    per transaction; how many."""
    count = 0
    while rows := session.scalars(query.limit(BATCH)).all():
        for row in rows:
            change(row)
        count += len(rows)
        session.commit()
    return count


def _cutoff(now: datetime, recordings_days: int, calls_days: int) -> datetime | None:
    ages = [days for days in (recordings_days, calls_days) if days > 0]
    return now - timedelta(days=min(ages)) if ages else None
