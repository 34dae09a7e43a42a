"""Who answered a staff callback placed from the application (§12).

The citizen's leg runs Twilio's answering machine detection. Its callback (``AnsweredBy``)
and the Dial action (the talk time) arrive separately and in either order; each is kept as
an event on the operator's call, and whichever comes second records the attempt: a person
who talked 20 s or more is ``reached``, a machine or a fax a ``voicemail``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.callbacks import record_attempt
from calllog.calls import find_call
from calllog.events import add_event
from models import AttemptResult, Call, Callback, CallbackStatus, CallEvent

#: §12: a callback is reached when a person answered and the talk lasted this long.
REACHED_AFTER_TALK_S = 20
#: Twilio's ``AnsweredBy`` values for a machine or a fax: a voicemail attempt.
MACHINE_ANSWERS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)
#: Events on a click-to-call call: Twilio's ``AnsweredBy`` and the bridged talk time.
ANSWERED_BY = "answered_by"
TALKED = "citizen_talk"


def note_answered_by(
    session: orm.Session,
    call_sid: str,
    callback_id: int,
    answered_by: str,
    now: datetime,
    next_working_day: datetime,
    *,
    actor: str | None,
    note: str,
) -> AttemptResult | None:
    """Keep Twilio's ``AnsweredBy`` for the citizen leg of click-to-call ``call_sid`` (for
    ``callback_id``) and record the attempt if the talk time is known already."""
    callback = session.scalar(
        sa.select(Callback).where(Callback.id == callback_id).with_for_update(of=Callback)
    )
    call = find_call(session, call_sid)
    if callback is None or call is None or call.callback_id != callback.id:
        return None
    add_event(call, ANSWERED_BY, answered_by[:40] or "unknown", now)
    return settle_answered_call(
        session, call, callback, now, next_working_day, actor=actor, note=note
    )


def answered_result(answered_by: str, talk_seconds: int) -> AttemptResult:
    """§12: ``reached`` only when a person answered and talked 20 s or more; a machine or
    a fax is a ``voicemail``; anything else (a short talk, detection unsure) ``no_answer``,
    which the operator may correct."""
    if answered_by in MACHINE_ANSWERS:
        return AttemptResult.VOICEMAIL
    if answered_by == "human" and talk_seconds >= REACHED_AFTER_TALK_S:
        return AttemptResult.REACHED
    return AttemptResult.NO_ANSWER


def settle_answered_call(
    session: orm.Session,
    call: Call,
    callback: Callback,
    now: datetime,
    next_working_day: datetime,
    *,
    actor: str | None,
    note: str,
) -> AttemptResult | None:
    """Record the attempt of an answered click-to-call ``call`` once both Twilio's
    ``AnsweredBy`` (its detection callback) and the talk time (the Dial action) are known,
    whichever came second; None while one is missing or when the attempt exists."""
    session.flush()
    details = dict(
        session.execute(
            sa.select(CallEvent.kind, CallEvent.detail)
            .where(CallEvent.call_id == call.id, CallEvent.kind.in_((ANSWERED_BY, TALKED)))
            .order_by(CallEvent.id.desc())
        ).all()
    )
    if ANSWERED_BY not in details or TALKED not in details:
        return None
    if callback.status is not CallbackStatus.PENDING:
        return None
    if any(attempt.call_id == call.id for attempt in callback.attempts):
        return None
    talk = int(details[TALKED]) if details[TALKED].isdigit() else 0
    result = answered_result(details[ANSWERED_BY], talk)
    record_attempt(
        session, callback, result, now, next_working_day, note=note, actor=actor, call=call
    )
    return result
