"""JSON shapes of the API (§7): times in the office's offset, numbers as strings."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from models import Call


def iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def call_summary(call: Call, tz: tzinfo) -> dict[str, Any]:
    return {
        "sid": call.sid,
        "direction": call.direction,
        "line": call.line,
        "caller": call.caller,
        "caller_raw": None if call.caller else call.caller_raw,
        "status": call.status,
        "outcome": call.outcome.value if call.outcome else None,
        "started_at": iso(call.started_at, tz),
        "ended_at": iso(call.ended_at, tz),
        "duration_s": call.duration_s,
    }


def call_detail(call: Call, tz: tzinfo) -> dict[str, Any]:
    return call_summary(call, tz) | {
        "answered_at": iso(call.answered_at, tz),
        "appeals": [appeal.number for appeal in call.appeals],
        "appointments": [appointment.code for appointment in call.appointments],
        "callback": call.callback_id,
        "recordings": [recording.sid for recording in call.recordings],
        "events": [
            {"at": iso(event.at, tz), "kind": event.kind, "detail": event.detail}
            for event in call.events
        ],
    }
