"""Call events: the ordered steps of a call's path through the menu.

A webhook adds a step or two to its call, and the profile of a new call showed the unit
of work spending a third of the request on inserting them. So a step is kept beside the
session and written with the others in one ``INSERT`` when the session next reads (where
it would autoflush) or commits, after the session's own flush, so they follow the call
they belong to. A savepoint rolled back drops the steps added in it, a rollback all of
them; nothing is written inside a savepoint, which might yet roll back with them.
"""

from __future__ import annotations

import weakref
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event, orm

from models import Call, CallEvent

#: ``session.info`` keys: the steps not written yet, and their count when each savepoint
#: began (by savepoint: one ends before its rollback is announced).
PENDING = "calllog.pending_events"
MARKS = "calllog.pending_events_marks"


def add_event(call: Call, kind: str, detail: str, now: datetime) -> None:
    """Append a step to the call's path through the menu.

    A call whose steps are loaded gets the step through the relationship, so that the
    loaded list stays true; the steps pending before it are written first, in order.
    """
    session = orm.object_session(call)
    step = {"kind": kind, "detail": detail[:200], "at": now}
    if session is None:
        CallEvent(call=call, **step)  # joins a session with the call
    elif "events" in sa.inspect(call).dict:
        write_pending(session)
        session.add(CallEvent(call=call, **step))
    else:
        session.info.setdefault(PENDING, []).append((call, step))


def write_pending(session: orm.Session) -> None:
    """Write the steps added since the last write, in one ``INSERT``; not inside a
    savepoint, which might yet roll back with steps added before it."""
    if session.in_nested_transaction() or not session.info.get(PENDING):
        return
    pending = session.info.pop(PENDING)
    session.flush()  # a new call gets its id, and steps added the ORM way go first
    rows = [{"call_id": call.id, **step} for call, step in pending]
    session.connection().execute(sa.insert(CallEvent.__table__), rows)


@event.listens_for(orm.Session, "do_orm_execute")
def _write_before_reading(state: orm.ORMExecuteState) -> None:
    session = state.session
    if (
        session.info.get(PENDING)
        and session.autoflush
        and state.execution_options.get("autoflush", True)
    ):
        write_pending(session)


@event.listens_for(orm.Session, "before_commit")
def _write_before_commit(session: orm.Session) -> None:
    write_pending(session)


@event.listens_for(orm.Session, "after_transaction_create")
def _mark_savepoint(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    if transaction.nested:
        pending = session.info.setdefault(PENDING, [])
        marks = session.info.setdefault(MARKS, weakref.WeakKeyDictionary())
        marks[transaction] = len(pending)


@event.listens_for(orm.Session, "after_soft_rollback")
def _drop_rolled_back(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    pending = session.info.get(PENDING)
    if pending and transaction.nested:
        del pending[session.info[MARKS].pop(transaction, len(pending)) :]


@event.listens_for(orm.Session, "after_transaction_end")
def _forget_transaction(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    if transaction.parent is None:  # not a savepoint, nor a flush's own subtransaction
        session.info.pop(PENDING, None)  # written at the commit, or rolled back
