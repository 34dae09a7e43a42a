"""No double booking across workers and hosts (§10): callers confirm at the same moment.

Each thread is a worker of its own, with its own connection and transaction that it
commits, so these tests commit for real (not inside the ``app`` fixture's savepoints)
and delete what they created afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event, orm

import db
from calllog import booking
from calllog.booking import SlotTaken
from calllog.migrate import upgrade_url
from calllog.schedule import create_session
from models import Appointment, AppointmentStatus, BookingSource, ReceptionSession, Slot
from tests.conftest import OPEN_TIME, PERM, is_postgres

CALLERS = 24
NOW = OPEN_TIME
RECEPTION_AT = datetime(2026, 12, 9, 10, 0, tzinfo=PERM)


@pytest.fixture
def postgresql_url(database_url: str) -> str:
    if not is_postgres(database_url):
        pytest.skip(
            "row locking needs PostgreSQL: set TEST_DATABASE_URL "
            '(eval "$(bin/pg-test-server start)") to run this variant'
        )
    return database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A database file of its own, built by the migrations: SQLite runs this on any setup."""
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    upgrade_url(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def workers(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """An engine with a connection open for every caller, so that they start together."""
    url = request.getfixturevalue(f"{request.param}_url")
    engine = db.create_engine(url, pool_size=CALLERS, max_overflow=0)
    connections = [engine.raw_connection() for _ in range(CALLERS)]
    for connection in connections:
        connection.close()  # back to the pool, still connected
    yield engine
    engine.dispose()


@pytest.fixture
def slot_ids(workers: sa.Engine) -> Iterator[list[int]]:
    """A reception with a slot per caller, committed; removed with its appointments after."""
    with orm.Session(workers) as session:
        reception = create_session(
            session,
            expert="Эксперт для теста гонки",
            title="юрист",
            place="Пермь, ул. Екатерининская, 210",
            starts_at=RECEPTION_AT,
            ends_at=RECEPTION_AT + timedelta(minutes=10 * CALLERS),
            slot_minutes=10,
        )
        session.commit()
        reception_id, ids = reception.id, [slot.id for slot in reception.slots]
    yield ids
    with orm.Session(workers) as session, session.begin():
        session.execute(sa.delete(Appointment).where(Appointment.slot_id.in_(ids)))
        session.execute(sa.delete(Slot).where(Slot.id.in_(ids)))
        session.execute(sa.delete(ReceptionSession).where(ReceptionSession.id == reception_id))


@pytest.fixture
def failed_statements(workers: sa.Engine) -> list[str]:
    """Every statement the database refused, such as a unique index violation."""
    failed: list[str] = []
    event.listen(workers, "handle_error", lambda context: failed.append(str(context.statement)))
    return failed


def confirm_all_at_once(
    engine: sa.Engine, slot_for_caller: list[int], phone: str | None = None
) -> list[str | Exception]:
    """Each caller books its slot in its own transaction, all released together; every
    caller from a number of its own, or all from ``phone``.

    Returns, per caller, the booking code it got or the exception it met.
    """
    barrier = threading.Barrier(len(slot_for_caller), timeout=60)
    results: list[str | Exception] = [RuntimeError("never finished")] * len(slot_for_caller)

    def confirm(n: int) -> None:
        # The transaction begins after the barrier: SQLite may begin it by taking the write lock.
        with orm.Session(engine) as session:
            try:
                barrier.wait()
                appointment = booking.book(
                    session,
                    slot_id=slot_for_caller[n],
                    phone=phone or f"+7902555{n:04d}",
                    now=NOW,
                    source=BookingSource.PHONE,
                )
                code = appointment.code
                session.commit()
                results[n] = code
            except Exception as exc:
                session.rollback()
                results[n] = exc

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(len(slot_for_caller))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def active_codes(engine: sa.Engine, slot_ids: list[int]) -> list[str]:
    with orm.Session(engine) as session:
        query = sa.select(Appointment.code).where(
            Appointment.slot_id.in_(slot_ids), Appointment.status != AppointmentStatus.CANCELLED
        )
        return list(session.scalars(query))


def test_one_slot_confirmed_by_every_caller_at_once_is_booked_once(
    workers, slot_ids, failed_statements
):
    results = confirm_all_at_once(workers, [slot_ids[0]] * CALLERS)

    codes = [result for result in results if isinstance(result, str)]
    others = [r for r in results if not isinstance(r, str | SlotTaken)]
    assert others == []
    assert len(codes) == 1
    assert sum(isinstance(result, SlotTaken) for result in results) == CALLERS - 1
    assert active_codes(workers, slot_ids) == codes
    # The lock made the others wait and then see the booking; none failed at the index.
    assert failed_statements == []


def test_different_slots_confirmed_at_once_are_all_booked(workers, slot_ids):
    results = confirm_all_at_once(workers, slot_ids[:CALLERS])

    assert [r for r in results if not isinstance(r, str)] == []
    assert len(set(results)) == CALLERS
    assert sorted(active_codes(workers, slot_ids)) == sorted(results)


def test_one_number_confirming_different_slots_at_once_keeps_one_appointment(workers, slot_ids):
    """Defect 4 (§12): the phone menu's one upcoming appointment per number holds in the
    database: the confirmations queue on the number's lock, each moving the one before."""
    results = confirm_all_at_once(workers, slot_ids[:CALLERS], phone="+79025550000")

    assert [r for r in results if not isinstance(r, str)] == []
    assert len(active_codes(workers, slot_ids)) == 1
