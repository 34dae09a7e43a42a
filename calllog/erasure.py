"""Erasure when a citizen withdraws consent (152-FZ, art. 9 p. 2, art. 21 p. 5).

Processing stops and the data goes, except what a law requires to keep:

* calls from the number (and staff calls back to it), its callbacks and appointments stay
  as the reception's record of work, without the number (and without names and notes);
  an open callback is closed, there being nobody to call;
* recordings not tied to an appeal lose their audio (in the storage and at Twilio), with
  their transcripts;
* consents stay as they are: proof that consent was given (art. 9 p. 3), they hold no number;
* appeals stay whole, recordings included: 59-FZ requires them to be considered and
  answered, and the archive keeps them five years; retention anonymises them afterwards.

:func:`plan` says what would go and what stays (the confirmation page shows it);
:func:`erase` does it. A second run finds nothing left to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import orm

from calllog import audit
from calllog.forgetting import (
    ForgetAtTwilio,
    anonymise_appointment,
    anonymise_callback,
    anonymise_calls,
    forget_recording,
)
from calllog.personal_data import PersonalData, gather
from models import (
    Appeal,
    Appointment,
    Call,
    Callback,
    CallbackStatus,
    Consent,
    Recording,
    RecordingState,
)
from outbound.storage import Storage

#: The call timeline's entry for audio deleted by an erasure.
ERASED_EVENT = "recording_erased"
#: A reason is a ground (a request's number and date), never a phone number.
REASON_LENGTH = 100
PHONE_LIKE = re.compile(r"\d(?:[\s()+-]*\d){6,}")


class BadReason(ValueError):
    """The reason is empty, too long, or holds something like a phone number."""


def check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise BadReason("укажите основание: например, «заявление об отзыве согласия № 15»")
    if len(text) > REASON_LENGTH:
        raise BadReason(f"основание длиннее {REASON_LENGTH} знаков")
    if PHONE_LIKE.search(text):
        raise BadReason("в основании не должно быть номера телефона")
    return text


@dataclass
class ErasurePlan:
    """What an erasure of one number changes, and what it keeps."""

    data: PersonalData
    calls: list[Call]
    callbacks: list[Callback]
    appointments: list[Appointment]
    recordings: list[Recording]
    kept_appeals: list[Appeal]
    kept_consents: list[Consent]

    @property
    def nothing_to_erase(self) -> bool:
        return not (self.calls or self.callbacks or self.appointments or self.recordings)


@dataclass
class ErasureReport:
    calls: int = 0
    callbacks: int = 0
    appointments: int = 0
    recordings: int = 0
    kept_appeals: int = 0
    kept_consents: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """In Russian, counts only: also the audit entry's text."""
        return (
            f"звонков без номера: {self.calls}, обратных звонков: {self.callbacks}, "
            f"записей на приём: {self.appointments}, аудиозаписей удалено: {self.recordings}; "
            f"оставлено обращений: {self.kept_appeals}, согласий: {self.kept_consents}"
            + (f"; не удалось удалить аудиозаписей: {len(self.errors)}" if self.errors else "")
        )


def plan(session: orm.Session, phone: str) -> ErasurePlan:
    """What erasing ``phone`` (E.164) would do, without doing it."""
    data = gather(session, phone)
    return ErasurePlan(
        data=data,
        calls=data.calls,
        callbacks=[c for c in data.callbacks if c.anonymised_at is None],
        appointments=[a for a in data.appointments if a.anonymised_at is None],
        recordings=[
            r
            for r in data.recordings
            if r.appeal_id is None and r.state is not RecordingState.PURGED
        ],
        kept_appeals=data.appeals,
        kept_consents=data.consents,
    )


def erase(
    session: orm.Session,
    to_erase: ErasurePlan,
    now: datetime,
    storage: Storage,
    *,
    actor: str,
    reason: str,
    forget_at_twilio: ForgetAtTwilio | None = None,
) -> ErasureReport:
    """Carry out ``to_erase`` and write its audit entry (counts and the ground only).

    Flushes, and leaves the commit to the caller, except that each deleted audio file is
    committed at once (a file cannot come back with a rollback). A recording whose copy
    could not be deleted is left as it was, with the number on its call and appointment,
    and reported; running again finishes it.
    """
    reason = check_reason(reason)
    report = ErasureReport(
        kept_appeals=len(to_erase.kept_appeals), kept_consents=len(to_erase.kept_consents)
    )
    failed: list[Recording] = []
    for recording in to_erase.recordings:
        if forget_recording(session, recording, now, storage, forget_at_twilio, ERASED_EVENT):
            report.recordings += 1
        else:
            failed.append(recording)
        session.commit()
    report.errors = [recording.sid for recording in failed]
    # What a recording still held hangs from keeps the number, so that the next run finds it.
    held_calls = {recording.call_id for recording in failed}
    held_appointments = {recording.appointment_id for recording in failed}
    for callback in to_erase.callbacks:
        if callback.status is CallbackStatus.PENDING:
            callback.status = CallbackStatus.GAVE_UP
            callback.closed_at = now
        anonymise_callback(callback, now)
    appointments = [a for a in to_erase.appointments if a.id not in held_appointments]
    for appointment in appointments:
        anonymise_appointment(appointment, now)
    report.callbacks = len(to_erase.callbacks)
    report.appointments = len(appointments)
    session.flush()
    ids = [call.id for call in to_erase.calls if call.id not in held_calls]
    report.calls = anonymise_calls(session, Call.id.in_(ids), now) if ids else 0
    for call in to_erase.calls:
        session.expire(call)
    audit.record(
        session, actor, "erase", "personal_data", now, f"{report.summary()}; основание: {reason}"
    )
    session.flush()
    return report
