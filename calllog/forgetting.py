"""Forgetting a recording's audio, and a number's fields: shared by retention and erasure.

A recording is forgotten everywhere it may be: Twilio's copy first (if it was never
deleted there), then the service's own copy in the storage; the row stays, marked purged,
with its duration and checksum, and the call's timeline says why the audio went. Whatever
else is kept of the words (a transcript) goes with the audio, here.

The personal fields of each kind of record are listed once (``*_FIELDS``): what erasure
and retention set them to. A new column holding personal data is one more entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.events import add_event
from models import (
    Appeal,
    Appointment,
    Call,
    Callback,
    CallbackAttempt,
    Recording,
    RecordingState,
    Transcript,
)
from outbound.storage import Storage, StorageError

log = logging.getLogger(__name__)

#: Deletes Twilio's copy of recording ``sid``; None when done (or already gone), else why not.
ForgetAtTwilio = Callable[[str], str | None]

#: What anonymising sets each record's personal fields to.
APPOINTMENT_FIELDS: dict[str, Any] = {"phone": None, "visitor_name": None, "note": None}
CALLBACK_FIELDS: dict[str, Any] = {"phone": None}
ATTEMPT_FIELDS: dict[str, Any] = {"note": ""}
APPEAL_FIELDS: dict[str, Any] = {"phone": None, "name": None, "address": None, "transcript": None}


def clear(record: object, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(record, name, value)


def anonymise_calls(session: orm.Session, where: sa.ColumnElement[bool], now: datetime) -> int:
    """The number goes from the calls matching ``where``; line, times and outcome stay."""
    return session.execute(
        sa.update(Call)
        .where(where, Call.anonymised_at.is_(None))
        .values(caller=None, caller_raw="", anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def anonymise_callback(callback: Callback, now: datetime) -> None:
    """The number and the staff's notes go; an open callback is closed (nobody to call)."""
    clear(callback, CALLBACK_FIELDS)
    attempt: CallbackAttempt
    for attempt in callback.attempts:
        clear(attempt, ATTEMPT_FIELDS)
    callback.anonymised_at = now


def anonymise_appointment(appointment: Appointment, now: datetime) -> None:
    clear(appointment, APPOINTMENT_FIELDS)
    appointment.anonymised_at = now


def anonymise_appeal(appeal: Appeal, now: datetime) -> None:
    """What identifies the applicant goes; number, topic, dates and statuses stay."""
    clear(appeal, APPEAL_FIELDS)
    for change in appeal.history:
        change.note = ""
    appeal.anonymised_at = now


def forget_recording(
    session: orm.Session,
    recording: Recording,
    now: datetime,
    storage: Storage,
    forget_at_twilio: ForgetAtTwilio | None,
    event: str,
) -> bool:
    """Delete the recording's audio everywhere and mark it purged; False if a copy remains.

    ``event`` is the call's timeline entry saying why. A copy that could not be deleted
    leaves the recording as it was, for the next run; nothing is committed here.
    """
    if recording.deleted_from_twilio_at is None:
        error = forget_at_twilio(recording.sid) if forget_at_twilio else "Twilio is not configured"
        if error is not None:
            log.error("recording %s kept for now: %s", recording.sid, error)
            return False
        recording.deleted_from_twilio_at = now
    if recording.storage_key:
        try:
            storage.delete(recording.storage_key)
        except (StorageError, ValueError) as error:
            log.error("recording %s kept for now: %s", recording.sid, error)
            return False
    recording.state = RecordingState.PURGED
    recording.purged_at = now
    recording.storage_key = None
    recording.twilio_url = None
    recording.next_attempt_at = None
    _forget_transcripts(session, recording)
    add_event(recording.call, event, recording.sid, now)
    session.flush()
    return True


def _forget_transcripts(session: orm.Session, recording: Recording) -> None:
    """The machine transcripts of the recording's words go with its audio (what staff wrote
    on an appeal card stays with the appeal)."""
    session.execute(
        sa.delete(Transcript).where(
            Transcript.call_id == recording.call_id,
            Transcript.kind == recording.kind,
            sa.or_(Transcript.appeal_id.is_(None), Transcript.appeal_id == recording.appeal_id),
        )
    )


def lazy_forgetter(make: Callable[[], ForgetAtTwilio]) -> ForgetAtTwilio:
    """A :data:`ForgetAtTwilio` that builds its Twilio client only when first needed."""
    made: list[ForgetAtTwilio] = []

    def forget(sid: str) -> str | None:
        if not made:
            made.append(make())
        return made[0](sid)

    return forget
