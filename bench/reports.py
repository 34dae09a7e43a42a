"""The half-year report on a million calls: ``python -m bench.reports URL``.

The report page is fetched through the real application by a signed-in supervisor,
``repeat`` times (target: p50 < 300 ms); ``cpu_ms`` is this process's CPU time per page
(all the work on SQLite, all but the server's on PostgreSQL), which a loaded machine
inflates less than the wall time. Then parts of it are timed alone: the calls by day,
line and outcome read from the hourly totals (what the page does) and counted call by
call (what it did before the totals: the baseline of the same run), and the whole
summary (with the distinct callers and the appeals). Both ways of counting the calls
must agree, or the benchmark stops.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import sqlalchemy as sa

from bench.measure import Timings, judged, ratio, report
from bench.queries import time_page
from bench.staff_client import StaffClient, measure_signed_in
from calllog.reports import calls_from_totals, calls_one_by_one, summary

REPORT_MS = 300.0
HALF_YEAR = timedelta(days=182)


@dataclass
class Result:
    calls: int
    status: int
    page: Timings
    parts: dict[str, Timings]


def run(url: str, *, repeat: int = 30, quiet: bool = False) -> Result:
    """Time the half-year report page and its parts ``repeat`` times each."""
    return measure_signed_in(url, _measure, repeat=repeat, quiet=quiet)


def _measure(staff: StaffClient, engine: sa.Engine, *, repeat: int, quiet: bool) -> Result:
    name = f"reports {engine.dialect.name}"
    office = staff.app.extensions["office"]
    tz = office.clock.tz
    until = office.now().astimezone(tz).date()
    since = until - HALF_YEAR
    cpu = time.process_time()
    page, status, _ = time_page(staff, f"/reports?since={since}&until={until}", repeat)
    cpu_ms = (time.process_time() - cpu) * 1000 / (repeat + 2)  # time_page warms up twice
    with staff.app.extensions["sessionmaker"]() as session:
        from_totals = calls_from_totals(session, since, until, tz)
        one_by_one = calls_one_by_one(session, since, until, tz)
        if from_totals != one_by_one:
            raise SystemExit(f"{name}: the totals and the calls disagree")
        calls = sum(row[3] for row in one_by_one)
        parts = {
            "totals": partial(calls_from_totals, session, since, until, tz),
            "one_by_one": partial(calls_one_by_one, session, since, until, tz),
            "summary": partial(summary, session, since, until, tz),
        }
        timings = {part: _timed(work, repeat) for part, work in parts.items()}
    if quiet:
        return Result(calls, status, page, timings)
    report(
        f"{name}: half_year page",
        calls=calls,
        status=status,
        p50_ms=page.p50_ms,
        p99_ms=page.p99_ms,
        cpu_ms=cpu_ms,
        **judged(page.p50_ms, REPORT_MS, at_most=True, unit="ms"),
    )
    report(
        f"{name}: half_year calls by day, line and outcome",
        totals_p50_ms=timings["totals"].p50_ms,
        one_by_one_p50_ms=timings["one_by_one"].p50_ms,
        ratio=ratio(timings["one_by_one"].p50_ms, timings["totals"].p50_ms),
        summary_p50_ms=timings["summary"].p50_ms,
    )
    return Result(calls, status, page, timings)


def _timed(work: partial, repeat: int) -> Timings:
    timings = Timings()
    work()
    for _ in range(repeat):
        timings.time(work)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="URL of a database made by bench.dataset")
    parser.add_argument("--repeat", type=int, default=30)
    arguments = parser.parse_args()
    run(arguments.url, repeat=arguments.repeat)


if __name__ == "__main__":
    main()
