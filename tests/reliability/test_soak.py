"""Soak: thousands of whole calls against gunicorn, then the invariants over the database.

Calls go through the Twilio-faithful simulator over HTTP to ``gunicorn 'app:create_app()'``
with four sync workers, eight callers at a time, mixed across every branch of the menu
with random hang-ups at every step; 10% of webhooks are delivered twice, status callbacks
are shuffled, recording callbacks come before and after the Record action (see
:mod:`tests.reliability.driver`). The database is a PostgreSQL database of its own when
the suite runs on PostgreSQL (``TEST_DATABASE_URL``), else an SQLite file.

The short run belongs to the normal suite; the 10,000-call run is marked ``slow`` and
run by ``bin/test-reliability`` (CI).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import db
from tests.reliability import harness, invariants
from tests.reliability.driver import Soak
from tests.reliability.harness import appeal_numbers, server_errors

SIZES = [
    pytest.param(300, id="300-calls"),
    pytest.param(10_000, id="10000-calls", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("calls", SIZES)
def test_soak_keeps_every_call_and_request(
    calls: int, reliability_database: str, tmp_path: Path, report: Callable[..., None]
) -> None:
    engine = db.create_engine(reliability_database, poolclass=sa.NullPool)
    log = tmp_path / "gunicorn.log"
    env = harness.server_environment(reliability_database, tmp_path)
    started = time.monotonic()
    with harness.Gunicorn(env, log, workers=4) as server:
        soak = Soak(server.url, calls, threads=8, refresh_appeals=appeal_numbers(engine)).run()
    wall = time.monotonic() - started
    found = invariants.check(engine, soak.traces)
    engine.dispose()
    errors = server_errors(log)
    simulator_errors = [error for trace in soak.traces for error in trace.errors]
    stats = soak.stats
    report(
        calls=len(soak.traces),
        requests=stats.requests,
        duplicated=stats.duplicates,
        recording_callbacks_first=stats.early_recording_callbacks,
        hangup_actions_last=stats.deferred,
        hung_up=sum(trace.hung_up for trace in soak.traces),
        requests_spoken=found.counts.get("requests_spoken", 0),
        appeals=found.counts["appeals"],
        active_appointments=found.counts["active_appointments"],
        pending_callbacks=found.counts["pending_callbacks"],
        abandoned_known=found.counts.get("abandoned_known", 0),
        records_checked=found.records_checked,
        violations=len(found.violations),
        problems=len(stats.problems) + len(simulator_errors) + len(errors),
        wall_s=round(wall, 1),
        database="postgresql" if reliability_database.startswith("postgresql") else "sqlite",
    )
    assert len(soak.traces) == calls
    assert stats.problems == [], "\n".join(stats.problems[:20])
    assert simulator_errors == [], "\n".join(simulator_errors[:20])
    assert found.violations == [], "\n".join(found.violations[:30])
    assert errors == [], "\n".join(errors[:20])
    # Every branch was taken, and every kind of trouble happened.
    for outcome in ("booked", "request_left", "transferred", "callback_requested", "abandoned"):
        assert found.counts.get(f"outcome_{outcome}", 0) > 0, outcome
    assert stats.duplicates > 0
    assert stats.early_recording_callbacks > 0
    assert stats.deferred > 0
