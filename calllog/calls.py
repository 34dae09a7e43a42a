"""The call log: one Call per CallSid, its ordered events, status and outcome.

Services take the session and flush; the request that calls them commits once.
Twilio retries, repeats and reorders its requests, so every function here is idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from calllog import callbacks
from calllog.events import add_event
from calllog.facts import CallFacts
from calllog.phones import Caller, mask, parse_caller
from db import insert_unless_exists
from models import Call, CallOutcome

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# A call status Twilio reports, in the order a call goes through them.
STATUS_ORDER = ("queued", "initiated", "ringing", "in-progress")
KNOWN_STATUSES = FINAL_STATUSES | frozenset(STATUS_ORDER)
# The status of a call's first request, when it is not logged yet.
FIRST_STATUSES = frozenset({"queued", "initiated", "ringing"})


#: Built once: a statement kept keeps its cache key, which a webhook would otherwise
#: work out again on every request.
CALL_BY_SID = sa.select(Call).where(Call.sid == sa.bindparam("sid"))


def find_call(session: orm.Session, sid: str) -> Call | None:
    return session.scalar(CALL_BY_SID, {"sid": sid})


def start_call(
    session: orm.Session, facts: CallFacts, line: str, now: datetime, *, answered: bool = False
) -> tuple[Call, bool]:
    """The call ``facts`` name, created on its first webhook; ``(call, created)``.

    ``answered``: this request is one the service answers with TwiML, so Twilio answers
    the call now (it asks for TwiML while the call rings, and picks up on the answer):
    the call's ``answered_at`` is set if it was not yet. Recording and status callbacks
    do not answer a call; an ``in-progress`` status callback sets it too (:func:`apply_status`).

    Twilio may retry the first request, or the status callback may come first; either way
    there is one row per CallSid. A call's first request (``ringing``) inserts at once,
    ``ON CONFLICT DO NOTHING``; a later one reads first, as its call is almost always
    there. Either way a lost race only means reading the row that won.
    """
    sid = facts.sid
    if facts.status not in FIRST_STATUSES and (call := find_call(session, sid)) is not None:
        _complete(call, facts, line, now if answered else None)
        return call, False
    caller = parse_caller(facts.from_raw)
    row = _new_call(facts, line, caller, now)
    if answered:
        row["answered_at"] = now
    call = insert_unless_exists(session, Call, row)
    if call is None:
        call = find_call(session, sid)
        if call is None:
            raise LookupError(f"call {sid} was neither inserted nor found")
        _complete(call, facts, line, now if answered else None)
        return call, False
    add_event(call, "started", f"line {line}", now)
    # The line is masked too: a call to a number that is not one of ours (a staff call
    # back to a citizen, or a forwarding we do not know) is logged under that number.
    if log.isEnabledFor(logging.INFO):
        log.info("call %s started on %s from %s", sid, mask(line), mask(caller.e164 or caller.raw))
    return call, True


def _complete(call: Call, facts: CallFacts, line: str, answered_at: datetime | None) -> None:
    """Fill in who called which line, when the call was first logged from a callback
    that does not carry them (a recording callback has no ``From`` or ``To``), and when
    it was answered, if this request answers it first."""
    if call.answered_at is None and answered_at is not None:
        call.answered_at = answered_at
    if not call.line and line:
        call.line = line[:64]
    if not call.caller_raw and facts.from_raw:
        caller = parse_caller(facts.from_raw)
        call.caller, call.caller_raw, call.caller_kind = caller.e164, caller.raw[:64], caller.kind


def _new_call(facts: CallFacts, line: str, caller: Caller, now: datetime) -> dict[str, Any]:
    return {
        "sid": facts.sid,
        "direction": (facts.direction or "inbound")[:16],
        "line": line[:64],
        "caller": caller.e164,
        "caller_raw": caller.raw[:64],
        "caller_kind": caller.kind,
        "started_at": now,
        "status": facts.status if facts.status in STATUS_ORDER else None,
    }


def record_outcome(session: orm.Session, call: Call, outcome: CallOutcome, now: datetime) -> None:
    """Note that ``outcome`` happened; the call keeps the strongest one.

    A call already closed as ``abandoned`` (its status callback overtook the last webhook,
    as when a caller hangs up while recording) is corrected, and the callback queued only
    because it looked abandoned is withdrawn.
    """
    add_event(call, "outcome", outcome.value, now)
    if call.outcome is not None and call.outcome.strength >= outcome.strength:
        return
    if call.outcome is CallOutcome.ABANDONED:
        callbacks.withdraw(session, call, "abandoned")
    call.outcome = outcome


def apply_status(
    session: orm.Session,
    call: Call,
    facts: CallFacts,
    now: datetime,
    callback_due: datetime,
) -> bool:
    """Apply a status callback; return whether it changed anything.

    A final status is never overwritten, and a non-final one only moves the call forward
    (Twilio's ``SequenceNumber`` orders them when they arrive out of order).
    """
    status, sequence = facts.status, facts.sequence
    if call.status in FINAL_STATUSES or status not in KNOWN_STATUSES:
        return False
    if status not in FINAL_STATUSES:
        if not _moves_forward(call, status, sequence):
            return False
        call.status = status
        call.status_sequence = sequence
        if status == "in-progress" and call.answered_at is None:
            call.answered_at = now
        add_event(call, "status", status, now)
        return True
    call.status = status
    call.status_sequence = sequence
    call.ended_at = now
    call.duration_s = facts.duration_s
    add_event(call, "ended", status, now)
    # Outcomes describe what a citizen's call came to; a staff callback has its attempt.
    if call.outcome is None and call.direction == "inbound":
        call.outcome = CallOutcome.ABANDONED
        add_event(call, "outcome", CallOutcome.ABANDONED.value, now)
        if call.caller:
            callbacks.request(session, call.caller, "abandoned", call, now, callback_due)
    return True


def _moves_forward(call: Call, status: str, sequence: int | None) -> bool:
    if sequence is not None and call.status_sequence is not None:
        return sequence > call.status_sequence
    if call.status in STATUS_ORDER:
        return STATUS_ORDER.index(status) > STATUS_ORDER.index(call.status)
    return True
