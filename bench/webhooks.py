"""Webhook throughput: wrk on loopback against gunicorn, with the floor app as baseline.

    .venv/bin/python -m bench.webhooks URL [--duration S] [--connections 16] [--workers 4]

URL is a database the dataset generator filled (``python -m bench.dataset URL --calls N``).
Three runs of ``--duration`` seconds each, with the same gunicorn settings (four sync
workers, :mod:`bench.server`) and the same wrk threads and connections:

1. the floor app (:mod:`bench.floor`), which answers the greeting without any work;
2. new calls on ``/twilio/voice``, each with a fresh CallSid, so each one writes its call
   and its events; the pool holds more requests than the run can send, and a pool that
   runs out is an error (a reused CallSid writes nothing and would inflate the figure);
3. a key press, ``4`` (address and hours) on the main menu's Gather action, on the calls
   of run 2.

Then the database must hold one call for every CallSid posted and answered (the unique
CallSid makes it at most one; a request wrk cut off at the end may or may not have been
served).
"""

from __future__ import annotations

import argparse
import math
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

import db
from bench.measure import judged, ratio, report, verdict
from bench.server import ACCOUNT_SID, FLOOR_APP, WORKERS, serving
from bench.wrk import CONNECTIONS, SignedRequest, WrkResult, run_wrk, write_pool
from models import Call
from simulator import inbound_params

LINE = "+73422368229"
#: New-call and key-press throughput must reach this share of the floor's (issue 14's
#: table, on PostgreSQL); p99 must stay under the limit.
TARGET_RATIO = 0.25
TARGET_P99_MS = 40.0
#: A new-call pool holds this many times what the floor answered in the same time: the
#: service cannot answer more than the floor, so the pool cannot run out.
POOL_MARGIN = 1.5


def new_call(sid: str, caller: str) -> SignedRequest:
    """The first webhook of an inbound call, as Twilio sends it to the voice URL."""
    return SignedRequest("/twilio/voice", inbound_params(ACCOUNT_SID, sid, caller, LINE))


def key_press(sid: str, caller: str, key: str = "4") -> SignedRequest:
    """A key pressed in the main menu's Gather, on its action URL."""
    form = inbound_params(ACCOUNT_SID, sid, caller, LINE, status="in-progress")
    return SignedRequest("/twilio/menu?attempt=1", {**form, "Digits": key, "FinishedOnKey": ""})


def caller_of(index: int) -> str:
    return f"+7902{index % 10**7:07d}"


@dataclass(frozen=True)
class WebhookFigures:
    floor: WrkResult
    new_call: WrkResult
    key_press: WrkResult
    #: CallSids wrk sent, the last few perhaps cut off unanswered at the end of the run.
    posted_calls: int
    calls_found: int

    @property
    def records_missing(self) -> int:
        """Answered new calls without their call (each answer was sent after its commit)."""
        return max(0, self.new_call.requests - self.calls_found)

    @property
    def non_2xx(self) -> int:
        return sum(run.non_2xx for run in (self.floor, self.new_call, self.key_press))

    @property
    def failures(self) -> int:
        runs = (self.floor, self.new_call, self.key_press)
        return self.non_2xx + sum(run.apologies + run.socket_errors + run.timeouts for run in runs)


def run(
    url: str,
    folder: Path,
    *,
    duration: float = 10.0,
    connections: int = CONNECTIONS,
    workers: int = WORKERS,
) -> WebhookFigures:
    """Run the three measurements, check the records, print the ``bench:`` lines."""
    engine = db.create_engine(url, poolclass=sa.NullPool)
    calls_before = count_calls(engine)
    with serving(url, folder, app=FLOOR_APP, workers=workers) as floor_server:
        floor_requests = [new_call(fresh_sid(), caller_of(index)) for index in range(1000)]
        floor_pool = write_pool(floor_requests, folder / "floor.pool")
        floor = run_wrk(floor_server.url, floor_pool, duration=duration, connections=connections)
    pool_size = math.ceil(floor.rps * duration * POOL_MARGIN) + 1000
    sids = [fresh_sid() for _ in range(pool_size)]
    new_calls = [new_call(sid, caller_of(index)) for index, sid in enumerate(sids)]
    with serving(url, folder, workers=workers) as server:
        pool = write_pool(new_calls, folder / "new-calls.pool")
        new = run_wrk(server.url, pool, duration=duration, connections=connections)
        posted = [sids[index] for index in new.sent_indexes()] if not new.wrapped else sids
        presses = [key_press(sid, caller_of(index)) for index, sid in enumerate(posted)]
        pool = write_pool(presses, folder / "key-presses.pool")
        press = run_wrk(server.url, pool, duration=duration, connections=connections)
    found = calls_present(engine, posted)
    engine.dispose()
    figures = WebhookFigures(floor, new, press, len(posted), found)
    print_figures(figures, database=engine.dialect.name, calls_before=calls_before)
    return figures


def fresh_sid() -> str:
    return "CA" + secrets.token_hex(16)


def count_calls(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Call)) or 0


def calls_present(engine: sa.Engine, sids: Sequence[str], patience: float = 5.0) -> int:
    """How many of ``sids`` have their call; requests wrk left in flight get ``patience``."""
    deadline = time.monotonic() + patience
    while True:
        found = 0
        with engine.connect() as connection:
            for start in range(0, len(sids), 1000):
                chunk = sids[start : start + 1000]
                query = sa.select(sa.func.count()).where(Call.sid.in_(chunk))
                found += connection.scalar(query) or 0
        if found >= len(sids) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def print_figures(figures: WebhookFigures, *, database: str, calls_before: int) -> None:
    floor, new, press = figures.floor, figures.new_call, figures.key_press
    name = f"webhooks {database} calls={calls_before:,}"
    for label, result in (("floor", floor), ("new_call", new), ("key_press", press)):
        report(
            f"{name} {label}",
            rps=result.rps,
            p50_ms=result.p50_ms,
            p99_ms=result.p99_ms,
            requests=result.requests,
            non_2xx=result.non_2xx,
            apologies=result.apologies,
            socket_errors=result.socket_errors + result.timeouts,
        )
    new_ratio = ratio(new.rps, floor.rps)
    report(
        f"{name} new_call/floor",
        ratio=new_ratio,
        **judged(new_ratio, TARGET_RATIO),
    )
    press_ratio = ratio(press.rps, floor.rps)
    report(f"{name} key_press/floor", ratio=press_ratio, **judged(press_ratio, TARGET_RATIO))
    for label, result in (("new_call", new), ("key_press", press)):
        report(
            f"{name} {label} p99",
            p99_ms=result.p99_ms,
            **judged(result.p99_ms, TARGET_P99_MS, at_most=True, unit="ms"),
        )
    report(
        f"{name} records",
        calls_posted=figures.posted_calls,
        calls_answered=new.requests,
        calls_found=figures.calls_found,
        missing=figures.records_missing,
        pool_ran_out=new.wrapped,
        verdict=verdict(figures.records_missing == 0 and not new.wrapped),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("url", help="database URL (filled by python -m bench.dataset)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder:
        figures = run(
            args.url,
            Path(folder),
            duration=args.duration,
            connections=args.connections,
            workers=args.workers,
        )
    return 1 if figures.failures or figures.records_missing or figures.new_call.wrapped else 0


if __name__ == "__main__":
    raise SystemExit(main())
