"""Call events: the ordered steps of a call's path through the menu."""

from __future__ import annotations

from datetime import datetime

from models import Call, CallEvent


def add_event(call: Call, kind: str, detail: str, now: datetime) -> CallEvent:
    """Append a step to the call's path through the menu."""
    event = CallEvent(kind=kind, detail=detail[:200], at=now)
    call.events.append(event)
    return event
