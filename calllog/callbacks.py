"""The callback queue: citizens to call back, at most one open item per phone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.events import add_event
from calllog.lines import Line, line_for
from calllog.phones import parse_caller
from models import AttemptResult, Call, Callback, CallbackAttempt, CallbackStatus

NO_ANSWER_DAYS_BEFORE_GIVING_UP = 3
#: Attempts on which nobody was reached: three days of them close the item.
UNANSWERED = frozenset({AttemptResult.NO_ANSWER, AttemptResult.VOICEMAIL})
# Twilio's Direction of a call placed through the REST API: staff calling a citizen back.
OUTBOUND = "outbound-api"
DIALLED_BY = "callback_dial"


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
        _after_unanswered(callback, now, next_working_day)
    session.flush()
    return attempt


def _after_unanswered(callback: Callback, now: datetime, next_working_day: datetime) -> None:
    unanswered_days = {
        a.at.astimezone(now.tzinfo).date() for a in callback.attempts if a.result in UNANSWERED
    }
    if len(unanswered_days) >= NO_ANSWER_DAYS_BEFORE_GIVING_UP:
        _close(callback, CallbackStatus.GAVE_UP, now)
    else:
        callback.due_at = next_working_day


def correct_attempt(
    session: orm.Session,
    callback: Callback,
    attempt: CallbackAttempt,
    result: AttemptResult,
    now: datetime,
    next_working_day: datetime,
) -> bool:
    """Staff correct what an attempt's result was (a voicemail that was a person, say);
    the item is closed or opened again as its attempts now say. False when reopening it
    would give the phone a second open item."""
    attempt.result = result
    results = {a.result for a in callback.attempts}
    if AttemptResult.REACHED in results:
        _close(callback, CallbackStatus.DONE, now)
    elif AttemptResult.WRONG_NUMBER in results:
        _close(callback, CallbackStatus.GAVE_UP, now)
    else:
        if callback.status is not CallbackStatus.PENDING:
            other = open_callback(session, callback.phone)
            if other is not None and other is not callback:
                return False
            callback.status, callback.closed_at = CallbackStatus.PENDING, None
        _after_unanswered(callback, now, next_working_day)
    session.flush()
    return True


def _close(callback: Callback, status: CallbackStatus, now: datetime) -> None:
    callback.status = status
    callback.closed_at = now


def log_outbound_call(
    session: orm.Session,
    sid: str,
    callback: Callback,
    line: str,
    now: datetime,
    actor: str | None = None,
) -> Call:
    """Log the staff's call through Twilio to the citizen of ``callback``, from ``line``.

    The page that placed the call logs it once Twilio has given its CallSid, but the
    call's first webhook may come first and log it from its own parameters: either way
    there is one row, an outbound call on ``line`` to the citizen, linked to the callback,
    with who placed it as its ``callback_dial`` event.
    """
    call = session.scalar(sa.select(Call).where(Call.sid == sid))
    if call is None:
        caller = parse_caller(callback.phone)
        call = Call(
            sid=sid,
            direction=OUTBOUND,
            line=line[:64],
            caller=caller.e164,
            caller_raw=caller.raw[:64],
            caller_kind=caller.kind,
            started_at=now,
            status="queued",
        )
        try:
            with session.begin_nested():
                session.add(call)
        except sa.exc.IntegrityError:
            call = session.scalar(sa.select(Call).where(Call.sid == sid))
            if call is None:
                raise
        else:
            add_event(call, "started", f"line {line}", now)
    adopt_outbound(call, callback, line)
    if not any(event.kind == DIALLED_BY for event in call.events):
        add_event(call, DIALLED_BY, actor or "", now)
    session.flush()
    return call


def adopt_outbound(call: Call, callback: Callback, line: str) -> None:
    """Make ``call`` what it is: outbound from ``line`` to the citizen, for ``callback``.

    Logged from a webhook of its own, an outbound call looks like a call from the line
    to the operator's phone.
    """
    caller = parse_caller(callback.phone)
    call.direction = OUTBOUND
    call.line = line[:64]
    call.caller, call.caller_raw, call.caller_kind = caller.e164, caller.raw[:64], caller.kind
    call.callback = callback


def dialled_by(call: Call) -> str | None:
    """Who placed an outbound call, as its ``callback_dial`` event says."""
    for event in call.events:
        if event.kind == DIALLED_BY:
            return event.detail or None
    return None


def callback_line(callback: Callback, lines: Sequence[Line]) -> str:
    """The line to call the citizen back from: that of their latest call, else the first.

    Only a configured line will do (Twilio calls from numbers the account holds); a call
    logged under another number does not count.
    """
    for call in sorted(callback.calls, key=lambda c: (c.started_at, c.id), reverse=True):
        line = line_for(lines, call.line)
        if line is not None:
            return line.number
    return lines[0].number
