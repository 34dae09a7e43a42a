"""Transfers to a person: whether a staff member took the call on a screened leg.

``<Dial>``'s own ``DialCallStatus`` cannot tell: a screened leg answered by a voicemail, or
declined, may end ``completed``. The screening leg therefore records the acceptance on the
caller's call (the leg's parent), and the Dial action reads it back.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.calls import find_call
from calllog.events import add_event
from models import Call, CallEvent

ACCEPTED = "staff_accepted"


def record_acceptance(session: orm.Session, parent_sid: str, now: datetime) -> bool:
    """Note on the call ``parent_sid`` that a staff member pressed 1; False when unknown."""
    call = find_call(session, parent_sid)
    if call is None:
        return False
    add_event(call, ACCEPTED, "", now)
    return True


def was_accepted(session: orm.Session, call: Call) -> bool:
    """Whether a staff member accepted ``call`` on a screened leg."""
    found = sa.select(CallEvent.id).where(CallEvent.call_id == call.id, CallEvent.kind == ACCEPTED)
    return session.scalar(found.limit(1)) is not None
