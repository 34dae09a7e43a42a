"""Searching the appeals by their text: ``python -m bench.search URL``.

On the dataset of ``bench.dataset`` (an appeal for every fifth call, each with the
transcript the line heard and, past registration, staff's summary, in generated Russian),
``GET /api/appeals?q=…`` and the appeals page are fetched through the real application,
``repeat`` times each, for words from common («отопление», thousands of appeals) to rare
pairs, and compared with a baseline of the same run: the API's first page of appeals
without a search. The search itself (the statement that finds and ranks the first page)
is also timed alone, on the app's engine. Then the SQL each search runs is explained.
Target: the search p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.measure import Timings, ratio, report, verdict
from bench.plans import Plan, captured, explain, show
from bench.staff_client import StaffClient, measure_signed_in
from calllog import appeal_search
from calllog.tokens import create_token
from models import Appeal, StaffRole

P50_MS = 50.0
#: From a word in most housing appeals to a rare pair; each in another form than written.
WORDS = ("отопление", "дороги", "лифта", "детские сады", "светофоры перекрёстка", "компенсацию")
ROW = re.compile(r'<td><a href="/appeals/\d+">')


@dataclass
class Result:
    name: str
    timings: Timings
    status: int
    rows: int
    plans: list[Plan]


def api_token(staff: StaffClient) -> dict[str, str]:
    with staff.app.extensions["sessionmaker"]() as session:
        now = staff.app.extensions["office"].now()
        _, secret = create_token(session, "bench-search", StaffRole.OPERATOR, now)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def time_get(staff: StaffClient, path: str, headers: dict[str, str], repeat: int) -> Result:
    timings = Timings()
    for _ in range(2):
        staff.client.get(path, headers=headers)
    reply = None
    for _ in range(repeat):
        reply = timings.time(lambda: staff.client.get(path, headers=headers))
    assert reply is not None
    if path.startswith("/api/"):
        rows = len(reply.get_json().get("items", [])) if reply.status_code == 200 else 0
    else:
        rows = len(ROW.findall(reply.get_data(as_text=True)))
    return Result(path, timings, reply.status_code, rows, [])


def time_search(staff: StaffClient, words: str, repeat: int) -> Timings:
    """The search statement alone: the ids of the first page, best match first."""
    timings = Timings()
    with staff.app.extensions["sessionmaker"]() as session:
        query = appeal_search.ranked(session, sa.select(Appeal), words)
        query = query.with_only_columns(Appeal.id).limit(51)
        for _ in range(2):
            session.scalars(query).all()
        for _ in range(repeat):
            timings.time(lambda: session.scalars(query).all())
    return timings


def run(url: str, *, repeat: int = 100, plans: bool = True, quiet: bool = False) -> list[Result]:
    """Time every search (and the baseline) ``repeat`` times; explain their SQL."""
    return measure_signed_in(url, _measure, repeat=repeat, plans=plans, quiet=quiet)


def _measure(
    staff: StaffClient, engine: sa.Engine, *, repeat: int, plans: bool, quiet: bool
) -> list[Result]:
    name = f"search {engine.dialect.name}"
    token = api_token(staff)
    with engine.connect() as connection:
        appeals = connection.scalar(sa.text("SELECT count(*) FROM appeal"))
    baseline = time_get(staff, "/api/appeals", token, repeat)
    if not quiet:
        report(f"{name}: baseline /api/appeals", appeals=appeals, p50_ms=baseline.timings.p50_ms)
    results = []
    for words in WORDS:
        alone = time_search(staff, words, repeat)
        if not quiet:
            report(
                f"{name}: search q={words!r}",
                p50_ms=alone.p50_ms,
                p99_ms=alone.p99_ms,
                target=f"p50<={P50_MS:g}ms",
                verdict=verdict(alone.p50_ms <= P50_MS),
            )
        for path, headers in (
            ("/api/appeals?" + urlencode({"q": words}), token),
            ("/appeals?" + urlencode({"q": words}), {}),
        ):
            result = time_get(staff, path, headers, repeat)
            if plans and path.startswith("/api/"):
                with captured(engine) as statements:
                    staff.client.get(path, headers=headers)
                result.plans = [explain(engine, sql, params) for sql, params in statements]
            results.append(result)
            if quiet:
                continue
            report(
                f"{name}: {'api' if path.startswith('/api/') else 'page'} q={words!r}",
                status=result.status,
                rows=result.rows,
                p50_ms=result.timings.p50_ms,
                p99_ms=result.timings.p99_ms,
                ratio_p50=ratio(result.timings.p50_ms, baseline.timings.p50_ms),
            )
    if plans and not quiet:
        for result in results:
            for plan in result.plans:
                show(result.name, plan)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="URL of a database made by bench.dataset")
    parser.add_argument("--repeat", type=int, default=100)
    arguments = parser.parse_args()
    run(arguments.url, repeat=arguments.repeat)


if __name__ == "__main__":
    main()
