"""A pooled PostgreSQL connection the server closed is replaced before a request uses it,
without a round trip on every checkout (``db.create_engine``)."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import db
from tests.conftest import is_postgres

BACKEND = "SELECT pg_backend_pid()"


@pytest.fixture
def engine_of_the_service(database_url: str) -> Iterator[sa.Engine]:
    if not is_postgres(database_url):
        pytest.skip(
            "SQLite has no server to close a connection: set TEST_DATABASE_URL "
            '(eval "$(bin/pg-test-server start)") to run this on PostgreSQL'
        )
    engine = db.create_engine(database_url, pool_size=1)
    yield engine
    engine.dispose()


def backend_of(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql(BACKEND).scalar_one()


def test_a_connection_the_server_ended_is_replaced_unseen(
    engine_of_the_service: sa.Engine, engine: sa.Engine
) -> None:
    pooled = backend_of(engine_of_the_service)
    socket = engine_of_the_service.pool._pool.queue[0].dbapi_connection.fileno()
    with engine.connect() as admin:
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({pooled})")
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(50) and time.monotonic() < deadline:
        pass

    assert backend_of(engine_of_the_service) != pooled


def test_a_healthy_connection_is_handed_out_without_a_ping(
    engine_of_the_service: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = backend_of(engine_of_the_service)
    pings: list[object] = []
    monkeypatch.setattr(engine_of_the_service.dialect, "do_ping", pings.append)

    assert backend_of(engine_of_the_service) == backend
    assert pings == []
