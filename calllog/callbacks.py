"""The callback queue: citizens to call back, at most one open item per phone."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.events import add_event
from models import AttemptResult, Call, Callback, CallbackAttempt, CallbackStatus

NO_ANSWER_DAYS_BEFORE_GIVING_UP = 3


def open_callback(session: orm.Session, phone: str) -> Callback | None:
    return session.scalar(
        sa.select(Callback).where(
            Callback.phone == phone, Callback.status == CallbackStatus.PENDING
        )
    )


def request(
    session: orm.Session,
    phone: str,
    reason: str,
    call: Call | None,
    now: datetime,
    due_at: datetime,
) -> Callback:
    """Queue a callback to ``phone``, merging ``reason`` into its open one if there is one."""
    callback = open_callback(session, phone)
    if callback is None:
        callback = Callback(
            phone=phone,
            reasons=[reason],
            status=CallbackStatus.PENDING,
            created_at=now,
            due_at=due_at,
        )
        try:
            with session.begin_nested():
                session.add(callback)
        except sa.exc.IntegrityError:
            # Another request opened one for this phone at the same moment: merge into it.
            callback = open_callback(session, phone)
            if callback is None:
                raise
    if reason not in callback.reasons:
        callback.reasons = [*callback.reasons, reason]
    if call is not None:
        call.callback = callback
        add_event(call, "callback_queued", reason, now)
    return callback


def withdraw(session: orm.Session, call: Call, reason: str) -> None:
    """Take back ``reason`` that ``call`` added, when the call turned out otherwise.

    Nothing is withdrawn once staff have worked the item or another call gave the same
    reason; an item left without reasons is removed.
    """
    callback = call.callback
    if callback is None or callback.status is not CallbackStatus.PENDING or callback.attempts:
        return
    if reason not in callback.reasons:
        return
    others = [other for other in callback.calls if other is not call]
    if reason == "abandoned" and any(other.outcome == "abandoned" for other in others):
        return
    callback.reasons = [r for r in callback.reasons if r != reason]
    if not callback.reasons:
        for linked in callback.calls:
            linked.callback = None
        session.delete(callback)


def record_attempt(
    session: orm.Session,
    callback: Callback,
    result: AttemptResult,
    now: datetime,
    next_working_day: datetime,
    *,
    note: str = "",
    actor: str | None = None,
    call: Call | None = None,
) -> CallbackAttempt:
    """Record a try to reach the citizen and move the item on (§4 of the specification)."""
    attempt = CallbackAttempt(
        at=now,
        result=result,
        note=note.strip()[:500],
        actor=actor[:100] if actor else None,
        call_id=call.id if call is not None else None,
    )
    callback.attempts.append(attempt)
    if result is AttemptResult.REACHED:
        _close(callback, CallbackStatus.DONE, now)
    elif result is AttemptResult.WRONG_NUMBER:
        _close(callback, CallbackStatus.GAVE_UP, now)
    else:
        unanswered_days = {
            a.at.astimezone(now.tzinfo).date()
            for a in callback.attempts
            if a.result is AttemptResult.NO_ANSWER
        }
        if len(unanswered_days) >= NO_ANSWER_DAYS_BEFORE_GIVING_UP:
            _close(callback, CallbackStatus.GAVE_UP, now)
        else:
            callback.due_at = next_working_day
    session.flush()
    return attempt


def _close(callback: Callback, status: CallbackStatus, now: datetime) -> None:
    callback.status = status
    callback.closed_at = now
