"""Call events: the ordered steps of a call's path through the menu."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import orm

from models import Call, CallEvent


def add_event(call: Call, kind: str, detail: str, now: datetime) -> CallEvent:
    """Append a step to the call's path through the menu.

    The event joins the call's session without loading the call's earlier events: a
    webhook adds a step or two to a call that may already have dozens.
    """
    event = CallEvent(call=call, kind=kind, detail=detail[:200], at=now)
    session = orm.object_session(call)
    if session is not None:
        session.add(event)
    return event
