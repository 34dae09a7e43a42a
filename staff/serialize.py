"""JSON shapes of the API (§7): times in the office's offset, numbers as strings."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from calllog import transcripts
from models import (
    Appeal,
    AppealStatusChange,
    Appointment,
    Call,
    Callback,
    CallbackAttempt,
    ReceptionSession,
)


def iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def call_summary(call: Call, tz: tzinfo) -> dict[str, Any]:
    return {
        "sid": call.sid,
        "direction": call.direction,
        "line": call.line,
        "caller": call.caller,
        "status": call.status,
        "outcome": call.outcome.value if call.outcome else None,
        "started_at": iso(call.started_at, tz),
        "ended_at": iso(call.ended_at, tz),
        "duration_s": call.duration_s,
    }


def call_detail(call: Call, tz: tzinfo) -> dict[str, Any]:
    """One call with exactly the fields of §7 (no raw caller ID: phone numbers are E.164)."""
    return call_summary(call, tz) | {
        "appeals": [appeal.number for appeal in call.appeals],
        "appointments": [appointment.code for appointment in call.appointments],
        "callback": call.callback_id,
        "events": [
            {"at": iso(event.at, tz), "kind": event.kind, "detail": event.detail}
            for event in call.events
        ],
    }


def appeal_json(appeal: Appeal, tz: tzinfo) -> dict[str, Any]:
    return {
        "number": appeal.number,
        "topic": appeal.topic,
        "status": appeal.status.value,
        "channel": appeal.channel.value,
        "phone": appeal.phone,
        "created_at": iso(appeal.created_at, tz),
        "answer_due": appeal.answer_due.isoformat(),
        "register_due": appeal.register_due.isoformat(),
        "registered_at": iso(appeal.registered_at, tz) if appeal.registered_at else None,
        "registered_by": appeal.registered_by,
        "anonymous": appeal.anonymous,
        "recordings": [
            {
                "sid": recording.sid,
                "kind": recording.kind.value,
                "duration_s": recording.duration_s,
                "state": recording.state.value,
            }
            for recording in appeal.recordings
        ],
        "calls": [call.sid for call in appeal.calls],
        "history": [_history_json(change, tz) for change in appeal.history],
        "name": appeal.name,
        "address": appeal.address,
        **transcript_json(appeal),
    }


def transcript_json(appeal: Appeal) -> dict[str, Any]:
    """``transcript``: staff's summary when they wrote one, else what the line heard;
    ``transcript_source`` says which (``staff``, ``twilio``, or null with no text)."""
    text, source = transcripts.appeal_text(appeal)
    return {"transcript": text, "transcript_source": source}


def _history_json(change: AppealStatusChange, tz: tzinfo) -> dict[str, Any]:
    return {
        "at": iso(change.at, tz),
        "status": change.status.value,
        "note": change.note,
        "by": change.actor,
    }


def session_json(reception: ReceptionSession, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": reception.id,
        "expert": reception.expert,
        "title": reception.title,
        "place": reception.place,
        "outreach": reception.outreach,
        "starts_at": iso(reception.starts_at, tz),
        "ends_at": iso(reception.ends_at, tz),
        "slot_minutes": reception.slot_minutes,
        "slot_count": len(reception.slots),
    }


def appointment_json(appointment: Appointment, tz: tzinfo) -> dict[str, Any]:
    reception = appointment.slot.session
    return {
        "code": appointment.code,
        "starts_at": iso(appointment.slot.starts_at, tz),
        "expert": reception.expert,
        "place": reception.place,
        "phone": appointment.phone,
        "status": appointment.status.value,
        "call": appointment.calls[0].sid if appointment.calls else None,
        "source": appointment.source.value,
    }


def callback_json(callback: Callback, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": callback.id,
        "phone": callback.phone,
        "reasons": list(callback.reasons),
        "status": callback.status.value,
        "due_at": iso(callback.due_at, tz),
        "calls": [call.sid for call in callback.calls],
        "attempts": [_attempt_json(attempt, tz) for attempt in callback.attempts],
    }


def _attempt_json(attempt: CallbackAttempt, tz: tzinfo) -> dict[str, Any]:
    return {
        "at": iso(attempt.at, tz),
        "result": attempt.result.value,
        "note": attempt.note,
        "by": attempt.actor,
    }
