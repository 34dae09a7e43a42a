"""Real servers for the reliability tests: gunicorn, and PostgreSQL databases of their own.

Everything listens on 127.0.0.1 only. A :class:`Gunicorn` (the runner of
:mod:`bench.server`) serves ``app:create_app()`` with several sync workers, configured by
environment variables exactly as in production; its log goes to a file that the privacy
test reads. A :class:`PgServer` is the throwaway
server of ``bin/pg-test-server`` on a port of its own, which the fault tests stop and
start while calls are in flight.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy import orm

import db
from bench import server
from bench.server import production_environment
from calllog.migrate import upgrade_url
from calllog.schedule import create_session
from settings import ROOT
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, is_postgres

PG_SCRIPT = ROOT / "bin" / "pg-test-server"
#: The port of the reliability tests' own PostgreSQL, which they may stop and start.
FAULT_PG_PORT = int(os.environ.get("RELIABILITY_PG_PORT", "54395"))
#: Where every server log of the run is kept, for the privacy test to read.
SERVER_LOGS: list[Path] = []


def pg_binaries_present() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


# --- PostgreSQL -----------------------------------------------------------------------------


@dataclass
class PgServer:
    """``bin/pg-test-server`` on ``port``: started here, stopped and started by fault tests."""

    port: int

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PG_TEST_PORT": str(self.port),
            "PG_TEST_DATA": f"/tmp/reception-line-pg-{self.port}",
        }

    def start(self) -> None:
        subprocess.run([str(PG_SCRIPT), "start"], env=self.env, check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([str(PG_SCRIPT), "stop"], env=self.env, check=True, capture_output=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False


def database_on(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the PostgreSQL server of ``server_url``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(server_url: str) -> str:
    """A new, empty PostgreSQL database on the server of ``server_url``; its URL."""
    name = f"reception_rel_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_on(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return database_on(server_url, name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = sa.create_engine(database_on(url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@contextlib.contextmanager
def scratch_database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A migrated database of its own: on the PostgreSQL server of ``server_url``, dropped
    afterwards, or an SQLite file in ``folder`` when there is no server."""
    if server_url and is_postgres(server_url):
        url = create_database(server_url)
        try:
            upgrade_url(url)
            yield url
        finally:
            drop_database(url)
    else:
        url = f"sqlite:///{folder / 'reliability.sqlite3'}"
        upgrade_url(url)
        yield url


EXPERTS = (
    ("Иванова Мария Петровна", "депутат Законодательного собрания"),
    ("Соколов Андрей Викторович", "юрист приёмной"),
)
OFFICE = "г. Пермь, ул. Екатерининская, 210, кабинет 3"


def seed_schedule(url: str, start: datetime, days: int, slot_minutes: int = 10) -> int:
    """Reception sessions from the day after ``start`` for ``days`` days; the slot count."""
    engine = db.create_engine(url)
    slots = 0
    with orm.Session(engine) as session:
        day = start.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
        for offset in range(days):
            begins = day + timedelta(days=offset)
            for expert, title in EXPERTS:
                reception = create_session(
                    session,
                    expert=expert,
                    title=title,
                    place=OFFICE,
                    starts_at=begins,
                    ends_at=begins + timedelta(hours=9),
                    slot_minutes=slot_minutes,
                )
                slots += len(reception.slots)
        session.commit()
    engine.dispose()
    return slots


# --- gunicorn ------------------------------------------------------------------------------


def server_environment(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """What production sets (README "Running in production"), signed with the tests' token.

    Recordings are not copied and no SMS is sent: nothing may leave this machine.
    """
    return production_environment(
        database_url,
        folder,
        auth_token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        base_url=BASE_URL,
        **{"SECRET_KEY": "reliability-secret", **extra},
    )


class Gunicorn(server.Gunicorn):
    """The benchmarks' gunicorn runner, whose log the privacy test reads afterwards."""

    def start(self, timeout: float = 30.0) -> Gunicorn:
        SERVER_LOGS.append(self.log_path)
        super().start(timeout)
        return self


def appeal_numbers(engine: sa.Engine) -> Callable[[], list[str]]:
    """The latest appeal numbers, for callers who ask about one (key 3)."""

    def latest() -> list[str]:
        with engine.connect() as connection:
            query = sa.text("SELECT number FROM appeal ORDER BY id DESC LIMIT 200")
            return list(connection.scalars(query))

    return latest


def server_errors(log: Path) -> list[str]:
    """Error lines the service logged: an apology hides a bug from the caller, not from us."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if " ERROR " in line or "Traceback" in line]
