"""The staff pages on a million calls: ``python -m bench.queries URL``.

Each page is fetched through the real application by a signed-in supervisor, ``repeat``
times, and compared with a baseline of the same run: the sign-in page, which does no
database work beyond loading the signed-in user. Then the SQL each page runs is explained.
Targets: p50 < 20 ms and p99 < 60 ms for a page, 300 ms for the half-year report.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.measure import Timings, ratio, report, verdict
from bench.plans import Plan, captured, explain, show
from bench.staff_client import StaffClient, measure_signed_in
from calllog.call_queries import CallFilters, calls_query, encode_cursor
from calllog.phones import national
from models import Call
from staff.web.calls import PAGE_SIZE

PAGE_P50_MS, PAGE_P99_MS, REPORT_MS = 20.0, 60.0, 300.0
DEEP_PAGE = 1000
ROW_MARKERS = {
    "calls": re.compile(r'href="/calls/CA'),
    "callbacks": re.compile(r'<td class="phone"><a href="/callbacks/\d+"'),
    "report": re.compile(r"<svg"),
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    rows: str  # which ROW_MARKERS counts its rows
    target_ms: tuple[float, float] = (PAGE_P50_MS, PAGE_P99_MS)


@dataclass
class Result:
    page: Page
    timings: Timings
    status: int
    rows: int
    plans: list[Plan]


def calls_url(**args: str) -> str:
    return "/calls?" + urlencode({"since": "", "until": "", **args})


def staff_pages(staff: StaffClient) -> list[Page]:
    """The pages to time, their arguments taken from the data (a real caller, today...)."""
    office = staff.app.extensions["office"]
    today = office.now().astimezone(office.clock.tz).date()
    with staff.app.extensions["sessionmaker"]() as session:
        caller = session.scalar(  # the most frequent caller: the longest list to search
            sa.select(Call.caller)
            .where(Call.caller.is_not(None))
            .group_by(Call.caller)
            .order_by(sa.func.count().desc(), Call.caller)
            .limit(1)
        )
        # The cursor of page 1,000 (of the last page, in a smaller log) names the row just
        # before it: the last of the page before, as "Дальше" would have.
        calls = session.scalar(sa.select(sa.func.count()).select_from(Call)) or 0
        deep_page = max(2, min(DEEP_PAGE, calls // PAGE_SIZE))
        deep = calls_query(CallFilters(), office.clock.tz).with_only_columns(
            Call.started_at, Call.id
        )
        boundary = session.execute(deep.offset((deep_page - 1) * PAGE_SIZE - 1).limit(1)).one()
    if caller is None:
        raise SystemExit("no calls with a caller: generate the dataset first")
    month_ago = today - timedelta(days=30)
    return [
        Page("calls_today", "/calls", "calls"),
        Page("calls_all", calls_url(), "calls"),
        Page("calls_line", calls_url(line="+73422367992"), "calls"),
        Page("calls_outcome", calls_url(outcome="booked"), "calls"),
        Page("calls_status", calls_url(status="failed"), "calls"),
        Page(
            "calls_week",
            calls_url(since=str(month_ago - timedelta(days=6)), until=str(month_ago)),
            "calls",
        ),
        Page(
            "calls_line_outcome_week",
            calls_url(
                line="+73422368458",
                outcome="request_left",
                since=str(month_ago - timedelta(days=6)),
                until=str(month_ago),
            ),
            "calls",
        ),
        Page(f"calls_page_{deep_page}", calls_url(cursor=encode_cursor(*boundary)), "calls"),
        Page("phone_full", calls_url(caller=national(caller)), "calls"),
        Page("phone_last7", calls_url(caller=caller[-7:]), "calls"),
        Page("phone_last4", calls_url(caller=caller[-4:]), "calls"),
        Page("callbacks", "/callbacks", "callbacks"),
        Page(
            "report_half_year",
            f"/reports?since={today - timedelta(days=182)}&until={today}",
            "report",
            (REPORT_MS, REPORT_MS),
        ),
    ]


def time_page(staff: StaffClient, path: str, repeat: int) -> tuple[Timings, int, str]:
    timings = Timings()
    for _ in range(2):  # warm the caches, as a page read twice an hour is
        staff.client.get(path)
    reply = None
    for _ in range(repeat):
        reply = timings.time(lambda: staff.client.get(path))
    assert reply is not None
    return timings, reply.status_code, reply.get_data(as_text=True)


def run(url: str, *, repeat: int = 100, plans: bool = True, quiet: bool = False) -> list[Result]:
    """Time every staff page (and the baseline) ``repeat`` times; explain their SQL."""
    return measure_signed_in(url, _measure, repeat=repeat, plans=plans, quiet=quiet)


def _measure(
    staff: StaffClient, engine: sa.Engine, *, repeat: int, plans: bool, quiet: bool
) -> list[Result]:
    name = f"queries {engine.dialect.name}"
    baseline, _, _ = time_page(staff, "/login", repeat)
    if not quiet:
        report(f"{name}: baseline /login", p50_ms=baseline.p50_ms, p99_ms=baseline.p99_ms)
    results = []
    for page in staff_pages(staff):
        timings, status, html = time_page(staff, page.path, repeat)
        rows = len(ROW_MARKERS[page.rows].findall(html))
        explained: list[Plan] = []
        if plans:
            with captured(engine) as statements:
                staff.client.get(page.path)
            explained = [explain(engine, sql, parameters) for sql, parameters in statements]
        results.append(Result(page, timings, status, rows, explained))
        if quiet:
            continue
        p50_target, p99_target = page.target_ms
        met = timings.p50_ms <= p50_target and timings.p99_ms <= p99_target
        report(
            f"{name}: {page.name}",
            status=status,
            rows=rows,
            p50_ms=timings.p50_ms,
            p99_ms=timings.p99_ms,
            ratio_p50=ratio(timings.p50_ms, baseline.p50_ms),
            target=f"p50<={p50_target:g}ms,p99<={p99_target:g}ms",
            verdict=verdict(met),
        )
    if plans and not quiet:
        for result in results:
            for plan in result.plans:
                show(result.page.name, plan)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="URL of a database made by bench.dataset")
    parser.add_argument("--repeat", type=int, default=100)
    arguments = parser.parse_args()
    run(arguments.url, repeat=arguments.repeat)


if __name__ == "__main__":
    main()
