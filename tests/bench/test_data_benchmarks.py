"""The data benchmarks at a small scale: they run, and what they build and read is right.

Correctness only, never timing: the generator's counts and invariants, every staff page
answered with rows, the export whole and parseable. On SQLite, or on the PostgreSQL
server of ``TEST_DATABASE_URL`` in a scratch database of its own.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import db
from bench import dataset, export, queries, reports, search, webhook_cpu
from models import Call
from staff.web.export_words import RUSSIAN_COLUMNS
from tests.reliability.harness import scratch_database

CALLS = 3_000
#: Pages whose filters may match nothing in a log this small (today is one day of 730).
MAY_BE_EMPTY = {"calls_today", "calls_week", "calls_line_outcome_week"}


@pytest.fixture(scope="module")
def bench_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("bench")
    with scratch_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        counts = dataset.generate(url, calls=CALLS, quiet=True)
        assert counts["call"] == CALLS
        yield url


@pytest.fixture(scope="module")
def engine(bench_url: str) -> Iterator[sa.Engine]:
    engine = db.create_engine(bench_url)
    yield engine
    engine.dispose()


def scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.scalar(sa.text(sql))


def test_the_dataset_is_scaled_to_the_calls(engine: sa.Engine) -> None:
    expected = {"call": CALLS, "appeal": CALLS // 5, "appointment": CALLS // 20}
    expected["callback"] = CALLS // 50
    for table, count in expected.items():
        assert scalar(engine, f'SELECT count(*) FROM "{table}"') == count, table
    assert scalar(engine, "SELECT count(*) FROM call_appeal") == CALLS // 5
    assert scalar(engine, "SELECT count(*) FROM call_appointment") == CALLS // 20
    assert (
        scalar(engine, 'SELECT count(*) FROM "call" WHERE callback_id IS NOT NULL') == CALLS // 50
    )
    assert scalar(engine, 'SELECT count(DISTINCT line) FROM "call"') == 3
    abandoned_or_info = scalar(
        engine, "SELECT count(*) FROM \"call\" WHERE outcome IN ('abandoned', 'info')"
    )
    assert abandoned_or_info == pytest.approx(CALLS / 3, rel=0.05)


def test_every_call_has_events_and_the_two_years_end_now(engine: sa.Engine) -> None:
    assert (
        scalar(
            engine,
            'SELECT count(*) FROM "call" c WHERE NOT EXISTS '
            "(SELECT 1 FROM call_event e WHERE e.call_id = c.id AND e.kind = 'started')",
        )
        == 0
    )
    with engine.connect() as connection:
        first, last = connection.execute(
            sa.select(sa.func.min(Call.started_at), sa.func.max(Call.started_at))
        ).one()
    now = datetime.now(UTC)
    assert now - timedelta(days=2 * 366 + 1) < first < last <= now


def test_one_active_appointment_per_slot_and_one_open_callback_per_phone(
    engine: sa.Engine,
) -> None:
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM (SELECT slot_id FROM appointment WHERE status != 'cancelled' "
            "GROUP BY slot_id HAVING count(*) > 1) AS twice",
        )
        == 0
    )
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM (SELECT phone FROM callback WHERE status = 'pending' "
            "GROUP BY phone HAVING count(*) > 1) AS twice",
        )
        == 0
    )


def test_every_appeal_has_its_history_ending_in_its_status(engine: sa.Engine) -> None:
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM appeal a WHERE a.status != (SELECT h.status FROM "
            "appeal_status_change h WHERE h.appeal_id = a.id ORDER BY h.id DESC LIMIT 1)",
        )
        == 0
    )
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM appeal a WHERE NOT EXISTS "
            "(SELECT 1 FROM appeal_status_change h WHERE h.appeal_id = a.id)",
        )
        == 0
    )
    assert (
        scalar(
            engine, "SELECT count(*) FROM callback WHERE status != 'pending' AND closed_at IS NULL"
        )
        == 0
    )


def test_the_reversed_caller_is_the_callers_digits_backwards(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        pairs = connection.execute(
            sa.text('SELECT caller, caller_reversed FROM "call" WHERE caller IS NOT NULL LIMIT 50')
        ).all()
    assert pairs
    assert all(reversed_ == caller[:0:-1] for caller, reversed_ in pairs)


def test_every_staff_page_answers_with_rows(bench_url: str) -> None:
    results = queries.run(bench_url, repeat=2, quiet=True)

    assert {result.page.name for result in results} >= {"calls_all", "callbacks", "phone_last4"}
    for result in results:
        assert result.status == 200, result.page.name
        assert result.plans, result.page.name
        if result.page.name not in MAY_BE_EMPTY:
            assert result.rows > 0, result.page.name


def test_the_report_benchmark_reads_totals_that_agree_with_the_calls(bench_url: str) -> None:
    # bench.reports stops if the totals and the calls one by one disagree.
    result = reports.run(bench_url, repeat=1, quiet=True)

    assert result.status == 200
    assert result.calls > 0
    assert set(result.parts) == {"totals", "one_by_one", "summary"}


def test_the_webhook_cpu_benchmark_logs_every_call_it_measures(tmp_path: Path) -> None:
    # A database of its own: the calls it makes would change the other tests' dataset.
    with scratch_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        figures = webhook_cpu.run(url, requests=10, quiet=True)
        engine = db.create_engine(url)
        try:
            logged = scalar(engine, 'SELECT count(*) FROM "call"')
        finally:
            engine.dispose()

    assert set(figures) == {"forbidden", "new_call", "key_press", "best_new_call"}
    assert all(spent > 0 for spent in figures.values())
    assert logged == 10 + webhook_cpu.WARM_UP


def test_every_search_finds_appeals_ranked(bench_url: str, engine: sa.Engine) -> None:
    results = search.run(bench_url, repeat=2, quiet=True)

    assert len(results) == 2 * len(search.WORDS)
    for result in results:
        assert result.status == 200, result.name
        assert result.rows > 0, result.name
    assert scalar(engine, "SELECT count(*) FROM appeal_search") == CALLS // 5
    assert scalar(engine, "SELECT count(*) FROM transcript WHERE appeal_id IS NOT NULL") == (
        CALLS // 5
    )


def test_the_export_has_every_call_and_parses(
    bench_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    out = tmp_path / "calls.csv"

    result = export.run(bench_url, out=out, quiet=True)

    assert result.rows == CALLS
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert tuple(rows[0]) == RUSSIAN_COLUMNS  # the file staff download
    with engine.connect() as connection:
        sids = set(connection.scalars(sa.text('SELECT sid FROM "call"')))
    assert len(rows) == CALLS + 1
    assert {row[0] for row in rows[1:]} == sids


def test_the_codes_variant_of_the_export_is_measured_too(bench_url: str, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"

    result = export.run(bench_url, variant="codes", out=out, quiet=True)

    assert result.rows == CALLS
    header = out.read_text(encoding="utf-8-sig").split("\r\n", 1)[0]
    assert header.startswith("sid;")
