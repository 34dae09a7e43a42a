"""A call's steps are written together, yet read, rolled back and ordered as if each had
been added to the session (``calllog.events``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.events import add_event
from models import Call, CallerKind, CallEvent
from tests.conftest import new_call_sid

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def a_call(session: orm.Session) -> Call:
    call = Call(
        sid=new_call_sid(),
        direction="inbound",
        line="+73422368229",
        caller="+79120000001",
        caller_raw="+79120000001",
        caller_kind=CallerKind.RUSSIAN,
        started_at=NOW,
    )
    session.add(call)
    return call


def steps(session: orm.Session, call: Call) -> list[str]:
    query = sa.select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    return list(session.scalars(query))


def test_steps_of_a_new_call_are_written_after_it_at_the_commit(records: Callable) -> None:
    session = records()
    call = a_call(session)
    add_event(call, "started", "line", NOW)
    add_event(call, "menu", "try 1", NOW)
    session.commit()

    assert steps(records(), call) == ["started", "menu"]


def test_a_read_in_the_same_transaction_sees_the_steps_added(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.flush()
    add_event(call, "key", "4", NOW)

    assert steps(session, call) == ["key"]


def test_a_read_without_autoflush_leaves_them_for_the_commit(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.flush()
    add_event(call, "key", "4", NOW)
    with session.no_autoflush:
        assert steps(session, call) == []
    session.commit()

    assert steps(records(), call) == ["key"]


def test_a_savepoint_rolled_back_drops_only_the_steps_added_in_it(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.flush()
    add_event(call, "before", "", NOW)
    savepoint = session.begin_nested()
    add_event(call, "inside", "", NOW)
    assert steps(session, call) == [], "nothing is written inside a savepoint"
    savepoint.rollback()
    with session.begin_nested():
        add_event(call, "released", "", NOW)
    session.commit()

    assert steps(records(), call) == ["before", "released"]


def test_a_rollback_drops_every_step_not_yet_written(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.commit()
    session.begin()
    add_event(call, "lost", "", NOW)
    session.rollback()
    add_event(call, "kept", "", NOW)
    session.commit()

    assert steps(records(), call) == ["kept"]


def test_loaded_steps_stay_true_and_in_the_order_added(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.commit()
    add_event(call, "first", "", NOW)
    assert [event.kind for event in call.events] == ["first"]
    add_event(call, "second", "", NOW)
    assert [event.kind for event in call.events] == ["first", "second"]
    session.commit()

    assert steps(records(), call) == ["first", "second"]


def test_steps_added_in_a_savepoint_released_are_written(records: Callable) -> None:
    session = records()
    call = a_call(session)
    session.commit()
    with session.begin_nested():
        session.add(a_call(session))  # the release flushes, in a transaction of its own
        add_event(call, "found", "", NOW)
    session.commit()

    assert steps(records(), call) == ["found"]
