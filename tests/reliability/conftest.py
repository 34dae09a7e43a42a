"""The reliability tests' figures: each test reports its counts, the run prints them.

A test asks for the ``report`` fixture and calls ``report(calls=..., requests=...)``.
The counts travel in the test report's ``user_properties`` (so they also reach the
controlling process under pytest-xdist), and the end of the session prints one
``reliability:`` line per test and a total, whatever ``-s`` or ``-q`` say:

    reliability: test_soak[300-calls]: calls=300 requests=3,112 ... wall_s=41
    reliability: total: calls=..., examples=..., faults=..., records_checked=...
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.reliability import harness

#: Every log record of the session from the moment this file is loaded (the start of
#: collection): ``(logger name, formatted record)``, read by ``test_privacy.py``.
LOG_RECORDS: list[tuple[str, str]] = []


class _KeepEveryRecord(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LOG_RECORDS.append((record.name, self.format(record)))
        except Exception:  # a record that cannot be formatted is not ours to judge
            LOG_RECORDS.append((record.name, str(record.msg)))


logging.getLogger().addHandler(_KeepEveryRecord())

#: The test that reads every log of the run goes last.
LAST = "test_the_logs_of_the_whole_run_hold_no_personal_data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.name == LAST]
    items[:] = [item for item in items if item.name != LAST] + last


PROPERTY = "reliability"
#: Figures added up into the total line.
TOTALS = ("calls", "requests", "examples", "faults", "records_checked", "violations", "problems")

_reported: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The in-process tests' database: one of their own (and of each ``pytest -n`` worker),
    on the PostgreSQL server of ``TEST_DATABASE_URL`` or in an SQLite file."""
    folder = tmp_path_factory.mktemp("reliability-db")
    with harness.scratch_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        yield url


@pytest.fixture
def reliability_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, with a month of reception sessions ahead:
    on the PostgreSQL server of ``TEST_DATABASE_URL`` (dropped afterwards), else SQLite."""
    with harness.scratch_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        harness.seed_schedule(url, datetime.now(ZoneInfo("Asia/Yekaterinburg")), days=25)
        yield url


@pytest.fixture
def report(record_property: Callable[[str, object], None]) -> Callable[..., None]:
    """``report(name=count, ...)``: figures for the run's ``reliability:`` summary."""

    def add(**counts: Any) -> None:
        record_property(PROPERTY, counts)

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":
        return
    merged: dict[str, Any] = {}
    for name, value in report.user_properties:
        if name == PROPERTY and isinstance(value, dict):
            for key, count in value.items():
                if isinstance(count, int | float) and isinstance(merged.get(key), int | float):
                    merged[key] += count
                else:
                    merged[key] = count
    if merged:
        _reported[report.nodeid.split("::")[-1]] = merged


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _reported:
        return
    terminalreporter.section("reliability figures")
    totals: dict[str, float] = {}
    for test, counts in sorted(_reported.items()):
        figures = " ".join(f"{key}={_format(value)}" for key, value in counts.items())
        terminalreporter.write_line(f"reliability: {test}: {figures}")
        for key in TOTALS:
            if isinstance(counts.get(key), int | float):
                totals[key] = totals.get(key, 0) + counts[key]
    figures = " ".join(f"{key}={_format(int(value))}" for key, value in totals.items())
    terminalreporter.write_line(f"reliability: total: {figures}")
