"""Everything the service holds about one phone number (152-FZ, art. 14), as records and JSON.

A citizen may ask what the reception keeps about them; the answer is gathered by the
number: the calls from it (and the staff's calls back to it) with their events and
consents, the appeals left from it or naming it as the contact, the appointments booked
from it or for it, the callbacks to it, the recordings of all of these and the SMS sent
about them. The same gathering says what an erasure (:mod:`calllog.erasure`) would touch.

An appeal another caller merely asked about (the status menu links the asking call to it)
is not this number's: an appeal belongs here when it names the number or holds a recording
made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.phones import to_e164
from models import (
    Appeal,
    Appointment,
    Call,
    Callback,
    Consent,
    Recording,
    Slot,
    call_appointment,
)

#: Why erasure keeps what it keeps (the report says it to the citizen).
KEPT_APPEAL = (
    "обращение хранится: его рассмотрение и ответ обязательны по 59-ФЗ (ст. 10, 12), а само "
    "обращение и документы по нему хранятся 5 лет (перечень типовых архивных документов, "
    "приказ Росархива от 20.12.2019 № 236, ст. 154); обработка без согласия допускается "
    "152-ФЗ (ст. 6 ч. 1 п. 2, ст. 9 ч. 2). По истечении срока данные обезличиваются"
)
KEPT_CONSENT = (
    "согласие хранится как доказательство его получения (152-ФЗ, ст. 9 ч. 3); "
    "номера телефона в нём нет"
)
KEPT_WITHOUT_NUMBER = (
    "запись остаётся без номера телефона и без аудио: дата, линия и итог нужны для учёта "
    "работы приёмной"
)


class NotAPhoneNumber(ValueError):
    """The text is not a phone number in any format the service understands."""


def phone_number(text: str) -> str:
    """The E.164 form of a number typed in any common format, or :class:`NotAPhoneNumber`."""
    e164 = to_e164(text)
    if e164 is None:
        raise NotAPhoneNumber("не номер телефона: введите, например, +7 902 471-22-33")
    return e164


@dataclass(frozen=True)
class Sms:
    """An SMS the service sent about a record (only reminders leave a trace today)."""

    kind: str
    appointment: Appointment
    sent_at: datetime


@dataclass(frozen=True, repr=False)
class PersonalData:
    """The records tied to one number, each list in time order."""

    phone: str
    calls: list[Call]
    appeals: list[Appeal]
    appointments: list[Appointment]
    callbacks: list[Callback]
    consents: list[Consent]
    recordings: list[Recording]
    sms: list[Sms]

    def __repr__(self) -> str:
        return f"PersonalData({self.counts()})"

    def counts(self) -> dict[str, int]:
        """How many of each, for the audit log (which never holds the records themselves)."""
        return {
            "calls": len(self.calls),
            "appeals": len(self.appeals),
            "appointments": len(self.appointments),
            "callbacks": len(self.callbacks),
            "consents": len(self.consents),
            "recordings": len(self.recordings),
            "sms": len(self.sms),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def calls_from(phone: str) -> sa.Select[tuple[int]]:
    """The ids of the calls from (or, for staff callbacks, to) ``phone``."""
    return sa.select(Call.id).where(sa.or_(Call.caller == phone, Call.caller_raw == phone))


def gather(session: orm.Session, phone: str) -> PersonalData:
    """Every record tied to ``phone`` (E.164)."""
    call_ids = calls_from(phone)
    calls = session.scalars(
        sa.select(Call)
        .where(Call.id.in_(call_ids))
        .options(
            orm.selectinload(Call.events),
            orm.selectinload(Call.appeals),
            orm.selectinload(Call.appointments),
        )
        .order_by(Call.started_at, Call.id)
    ).all()
    voiced = sa.select(Recording.appeal_id).where(
        Recording.call_id.in_(call_ids), Recording.appeal_id.is_not(None)
    )
    appeals = session.scalars(
        sa.select(Appeal)
        .where(sa.or_(Appeal.phone == phone, Appeal.id.in_(voiced)))
        .options(orm.selectinload(Appeal.history))
        .order_by(Appeal.created_at, Appeal.id)
    ).all()
    booked = sa.select(call_appointment.c.appointment_id).where(
        call_appointment.c.call_id.in_(call_ids)
    )
    appointments = session.scalars(
        sa.select(Appointment)
        .where(sa.or_(Appointment.phone == phone, Appointment.id.in_(booked)))
        .options(orm.selectinload(Appointment.slot).selectinload(Slot.session))
        .order_by(Appointment.created_at, Appointment.id)
    ).all()
    callbacks = session.scalars(
        sa.select(Callback)
        .where(Callback.phone == phone)
        .options(orm.selectinload(Callback.attempts))
        .order_by(Callback.created_at, Callback.id)
    ).all()
    consents = session.scalars(
        sa.select(Consent).where(Consent.call_id.in_(call_ids)).order_by(Consent.at, Consent.id)
    ).all()
    appeal_ids = [appeal.id for appeal in appeals]
    appointment_ids = [appointment.id for appointment in appointments]
    recordings = session.scalars(
        sa.select(Recording)
        .where(
            sa.or_(
                Recording.call_id.in_(call_ids),
                Recording.appeal_id.in_(appeal_ids),
                Recording.appointment_id.in_(appointment_ids),
            )
        )
        .order_by(Recording.created_at, Recording.id)
    ).all()
    sms = [
        Sms("reminder", appointment, appointment.reminder_sent_at)
        for appointment in appointments
        if appointment.reminder_sent_at is not None
    ]
    return PersonalData(
        phone=phone,
        calls=list(calls),
        appeals=list(appeals),
        appointments=list(appointments),
        callbacks=list(callbacks),
        consents=list(consents),
        recordings=list(recordings),
        sms=sms,
    )


def to_json(data: PersonalData, tz: tzinfo, now: datetime) -> dict[str, Any]:
    """The answer to the citizen's request as JSON: times in the office's offset."""

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None

    sid_of = {call.id: call.sid for call in data.calls}
    return {
        "phone": data.phone,
        "generated_at": iso(now),
        "calls": [
            {
                "sid": call.sid,
                "direction": call.direction,
                "line": call.line,
                "caller": call.caller,
                "started_at": iso(call.started_at),
                "ended_at": iso(call.ended_at),
                "duration_s": call.duration_s,
                "status": call.status,
                "outcome": call.outcome.value if call.outcome else None,
                "appeals": [appeal.number for appeal in call.appeals],
                "appointments": [appointment.code for appointment in call.appointments],
                "callback": call.callback_id,
                "events": [
                    {"at": iso(event.at), "kind": event.kind, "detail": event.detail}
                    for event in call.events
                ],
            }
            for call in data.calls
        ],
        "appeals": [
            {
                "number": appeal.number,
                "topic": appeal.topic,
                "channel": appeal.channel.value,
                "status": appeal.status.value,
                "phone": appeal.phone,
                "name": appeal.name,
                "address": appeal.address,
                "transcript": appeal.transcript,
                "created_at": iso(appeal.created_at),
                "answer_due": appeal.answer_due.isoformat(),
                "history": [
                    {"at": iso(change.at), "status": change.status.value, "note": change.note}
                    for change in appeal.history
                ],
                "kept_on_erasure": KEPT_APPEAL,
            }
            for appeal in data.appeals
        ],
        "appointments": [
            {
                "code": appointment.code,
                "starts_at": iso(appointment.slot.starts_at),
                "expert": appointment.slot.session.expert,
                "place": appointment.slot.session.place,
                "phone": appointment.phone,
                "visitor_name": appointment.visitor_name,
                "note": appointment.note,
                "status": appointment.status.value,
                "source": appointment.source.value,
                "created_at": iso(appointment.created_at),
                "cancelled_at": iso(appointment.cancelled_at),
            }
            for appointment in data.appointments
        ],
        "callbacks": [
            {
                "id": callback.id,
                "phone": callback.phone,
                "reasons": callback.reasons,
                "status": callback.status.value,
                "created_at": iso(callback.created_at),
                "due_at": iso(callback.due_at),
                "closed_at": iso(callback.closed_at),
                "attempts": [
                    {"at": iso(attempt.at), "result": attempt.result.value, "note": attempt.note}
                    for attempt in callback.attempts
                ],
            }
            for callback in data.callbacks
        ],
        "consents": [
            {
                "call": sid_of.get(consent.call_id),
                "purpose": consent.purpose,
                "prompt_version": consent.prompt_version,
                "at": iso(consent.at),
                "kept_on_erasure": KEPT_CONSENT,
            }
            for consent in data.consents
        ],
        "recordings": [
            {
                "sid": recording.sid,
                "call": recording.call.sid,
                "kind": recording.kind.value,
                "duration_s": recording.duration_s,
                "created_at": iso(recording.created_at),
                "audio_kept": recording.storage_key is not None,
                "appeal": recording.appeal.number if recording.appeal else None,
                "appointment": recording.appointment.code if recording.appointment else None,
            }
            for recording in data.recordings
        ],
        "sms": [
            {"kind": sms.kind, "appointment": sms.appointment.code, "sent_at": iso(sms.sent_at)}
            for sms in data.sms
        ],
    }
