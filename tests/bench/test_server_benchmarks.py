"""Smoke runs of the server benchmarks at small scale: correctness only, never timing.

Each test calls the function its ``python -m bench.…`` command runs, against gunicorn on
a database of its own: an SQLite file, or a PostgreSQL database on the server of
``TEST_DATABASE_URL``. Figures are printed (``-s``) but not judged here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bench import calls, contention, webhooks
from bench.wrk import WRK
from tests.reliability import harness


@pytest.fixture
def bench_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database with a month of reception sessions ahead."""
    with harness.scratch_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        harness.seed_schedule(url, datetime.now(ZoneInfo("Asia/Yekaterinburg")), days=25)
        yield url


@pytest.mark.skipif(not Path(WRK).exists(), reason=f"wrk is not installed at {WRK}")
def test_webhook_throughput_run_answers_every_request_and_logs_every_call(
    bench_database: str, tmp_path: Path
) -> None:
    figures = webhooks.run(bench_database, tmp_path / "run", duration=2)

    assert figures.new_call.requests > 0
    assert figures.key_press.requests > 0
    assert figures.failures == 0  # no non-2xx, no apology, no socket error
    assert figures.new_call.wrapped == 0
    # Every answered call is logged; the few wrk cut off at the end may or may not be.
    assert figures.new_call.requests <= figures.calls_found <= figures.posted_calls
    assert figures.records_missing == 0


def test_whole_calls_run_leaves_every_record(bench_database: str, tmp_path: Path) -> None:
    figures = calls.run(bench_database, tmp_path / "run", calls=20, threads=4)

    assert figures.calls == 20
    assert figures.errors == 0
    assert figures.missing == []


def test_contention_run_books_the_last_slot_once(bench_database: str, tmp_path: Path) -> None:
    callers = 20 if bench_database.startswith("postgresql") else 10
    figures = contention.run(bench_database, tmp_path / "run", callers=callers)

    assert figures.failures == []
    assert figures.booked_in_database == 1
    assert figures.winners == 1
    assert figures.offered_another == callers - 1
