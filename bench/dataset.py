"""A call log of a million calls over two years, to measure the staff pages against.

``python -m bench.dataset URL [--calls N]`` migrates an empty database and fills it as two
years of the reception would have: calls peaking in office hours on three lines, their menu
paths, and what they produced (appeals with status histories, appointments in reception
sessions' slots, callbacks with attempts, recordings). Everything is scaled to the number
of calls: an appeal for every fifth call, an appointment for every twentieth, a callback
for every fiftieth. Rows go in with executemany on SQLite and COPY on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

import db
from bench.dataset_calendar import Callers, Slots, period, start_times, working_days
from bench.dataset_paths import outcome_plan
from bench.dataset_rows import Batch, Rows
from bench.measure import report
from calllog.hours import OfficeHours
from calllog.migrate import upgrade_url
from models import Base

DEFAULT_CALLS = 1_000_000
CHUNK = 25_000
#: Parents before children, as the foreign keys want them.
TABLE_ORDER = (
    "reception_session",
    "slot",
    "callback",
    "call",
    "call_event",
    "consent",
    "appeal",
    "appeal_status_change",
    "appointment",
    "call_appeal",
    "call_appointment",
    "recording",
    "callback_attempt",
    "transcript",
    "appeal_search",
)
#: The appeals' search index of SQLite, outside the models (see calllog.appeal_search).
SQLITE_FTS = "appeal_fts"


class BulkWriter:
    """Appends rows: Core executemany on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def write(self, batch: Batch, counts: Counter[str]) -> None:
        for name in TABLE_ORDER:
            rows = batch.get(name)
            if rows:
                table = Base.metadata.tables[name]
                if self.postgres:
                    self._copy(table, rows)
                else:
                    self.connection.execute(table.insert(), rows)
                counts[name] += len(rows)
        stems = batch.get(SQLITE_FTS)
        if stems and not self.postgres:
            self.connection.execute(
                sa.text("INSERT INTO appeal_fts (rowid, stems) VALUES (:rowid, :stems)"), stems
            )
        self.connection.commit()

    def _copy(self, table: sa.Table, rows: list[dict]) -> None:
        columns = list(rows[0])
        as_json = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, sa.JSON)]
        names = ", ".join(f'"{name}"' for name in columns)
        driver = self.connection.connection.driver_connection
        statement = f'COPY "{table.name}" ({names}) FROM STDIN'
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = list(row.values())
                for index in as_json:
                    values[index] = json.dumps(values[index])
                copy.write_row(values)

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids given here."""
        if not self.postgres:
            return
        for name in TABLE_ORDER:
            if "id" not in Base.metadata.tables[name].c:
                continue
            self.connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), max(id)) "
                f'FROM "{name}" HAVING max(id) IS NOT NULL'
            )
        self.connection.commit()


def analyze(engine: sa.Engine) -> None:
    """Statistics for the planner (and, on PostgreSQL, a visibility map for index-only scans)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        else:
            connection.exec_driver_sql("ANALYZE")


def generate(
    url: str, *, calls: int, seed: int = 1, now: datetime | None = None, quiet: bool = False
) -> dict[str, int]:
    """Migrate the empty database at ``url``, fill it with ``calls`` calls; rows per table."""
    began = time.perf_counter()
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    hours = OfficeHours()
    upgrade_url(url)
    first, _ = period(now)
    days = working_days(first.date(), (now + timedelta(days=31)).date(), hours)
    slots = Slots.make(days, Slots.experts_needed(calls // 20, len(days)))
    callers = Callers.make(rng, max(50, calls // 4))
    starts = start_times(rng, calls, now, hours)
    outcomes = outcome_plan(rng, calls)
    rows = Rows(rng, now, callers, slots, callbacks=calls // 50)
    counts: Counter[str] = Counter()
    engine = db.create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Outside a transaction: a lost bulk load is simply run again.
                driver = connection.connection.driver_connection
                driver.execute("PRAGMA synchronous=OFF")
                driver.execute("PRAGMA cache_size=-262144")
            if connection.scalar(sa.text('SELECT count(*) FROM "call"')):
                raise SystemExit(f"{url}: the database already holds calls; give an empty one")
            writer = BulkWriter(connection)
            writer.write({"reception_session": slots.sessions, "slot": slots.slots}, counts)
            for offset in range(0, calls, CHUNK):
                part = slice(offset, offset + CHUNK)
                writer.write(rows.batch(starts[part], outcomes[part]), counts)
                if not quiet and (offset // CHUNK) % 4 == 3:
                    done = min(offset + CHUNK, calls)
                    print(f"  {done:,} of {calls:,} calls, {time.perf_counter() - began:.0f} s")
            writer.finish()
        analyze(engine)
    finally:
        engine.dispose()
    result = {name: counts[name] for name in TABLE_ORDER}
    if not quiet:
        seconds = time.perf_counter() - began
        report(f"dataset {engine.dialect.name}", **result, seconds=seconds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="database URL, e.g. sqlite:////tmp/bench-1m.sqlite")
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    generate(arguments.url, calls=arguments.calls, seed=arguments.seed)


if __name__ == "__main__":
    main()
