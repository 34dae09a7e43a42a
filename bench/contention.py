"""Booking under contention: many callers confirm the last free slot at the same moment.

    .venv/bin/python -m bench.contention PG_URL [--callers 50] [--workers 4]

A reception session of three slots is added with two of them booked, so that its last slot
is the only free one (the other sessions keep theirs). Each of ``--callers`` calls is
driven through the simulator to the booking confirmation of that slot (key 1, the slot
chosen from the list, paging with 9 when it is not among the first three); then all the
confirmations (``1``) are released at once, a thread each, behind a barrier, to gunicorn
with several workers.

Exactly one caller may get the slot; every other must hear "Это время уже занято" and be
offered other free slots; no answer may be a 5xx or the apology. The p99 of the released
requests is compared with the same requests released the same way to the floor app.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from sqlalchemy import orm

import db
from bench.calls import APOLOGY_MARK, LINE
from bench.measure import Timings, ratio, report, verdict
from bench.server import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, FLOOR_APP, WORKERS, serving
from calllog import booking
from calllog.schedule import create_session
from models import Appointment, AppointmentStatus, BookingSource
from simulator import Call, HttpTransport, Reply, Simulator
from simulator.twiml import Gather, Record
from simulator.webhooks import WebhookClient

SLOT_TAKEN = "Это время уже занято"
#: The service offers slots at least two hours ahead (BOOKING_MIN_HOURS_AHEAD).
LEAD_TIME = timedelta(hours=2, minutes=30)
MAX_PAGES = 30


def last_free_slot(url: str) -> int:
    """Add a session of three slots soon after the booking lead time, two of them booked;
    the id of the third, the session's only free slot."""
    starts = (datetime.now(UTC) + LEAD_TIME).replace(second=0, microsecond=0)
    starts += timedelta(minutes=-starts.minute % 10)
    engine = db.create_engine(url, poolclass=sa.NullPool)
    with orm.Session(engine) as session:
        reception = create_session(
            session,
            expert="Петров Илья Сергеевич",
            title="депутат Законодательного собрания",
            place="г. Пермь, ул. Екатерининская, 210, кабинет 5",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            slot_minutes=10,
        )
        session.flush()
        first, second, last = sorted(reception.slots, key=lambda slot: slot.starts_at)
        for index, slot in enumerate((first, second)):
            booking.book(
                session,
                slot_id=slot.id,
                phone=f"+7950999000{index}",
                now=datetime.now(UTC),
                source=BookingSource.STAFF,
            )
        session.commit()
        slot_id = last.id
    engine.dispose()
    return slot_id


class TimedTransport(HttpTransport):
    """An :class:`HttpTransport` that times its POSTs once :attr:`timings` is set."""

    timings: Timings | None = None

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        started = time.perf_counter()
        reply = super().post(url, params, headers)
        if self.timings is not None:
            self.timings.samples.append(time.perf_counter() - started)
        return reply


def to_confirmation(server_url: str, caller: str, slot_id: int) -> tuple[Call, TimedTransport]:
    """A call that has reached the confirmation of ``slot_id``."""
    transport = TimedTransport(base_url=server_url)
    call = Simulator(transport, AUTH_TOKEN, ACCOUNT_SID, BASE_URL).incoming_call(caller, LINE)
    call.start().press("1")
    for _ in range(MAX_PAGES):
        if not isinstance(call.waiting, Gather):
            break
        action = urlsplit(call.leg.resolve(call.waiting.action))
        if action.path == "/twilio/booking/confirm":
            return call, transport
        if action.path == "/twilio/booking/expert":  # the experts, each by a slot of theirs
            experts = parse_qs(action.query).get("experts", [""])[0].split(".")
            call.press(str(experts.index(str(slot_id)) + 1) if str(slot_id) in experts else "1")
            continue
        shown = parse_qs(action.query).get("slots", [""])[0].split(".")
        call.press(str(shown.index(str(slot_id)) + 1) if str(slot_id) in shown else "9")
    raise RuntimeError(f"slot {slot_id} was never offered: {call.last_said[:200]}")


def release(count: int, send: Callable[[int], object]) -> None:
    """Call ``send(index)`` for every index, all at once: a thread each behind a barrier."""
    barrier = threading.Barrier(count)

    def one(index: int) -> None:
        barrier.wait()
        send(index)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@dataclass(frozen=True)
class ContentionFigures:
    callers: int
    booked_in_database: int
    winners: int
    offered_another: int
    failures: list[str]
    p99_ms: float
    floor_p99_ms: float


def outcome(call: Call, slot_id: int) -> str:
    """``booked``, ``offered`` (slot taken, other slots offered) or what went wrong."""
    reply = call.log[-1]
    if reply.status != 200 or APOLOGY_MARK in reply.body or call.errors:
        return f"answered {reply.status}: {reply.body[:120]!r}"
    waiting = call.waiting
    if isinstance(waiting, Record) and "/twilio/booking/name" in waiting.action:
        return "booked"
    if isinstance(waiting, Gather) and SLOT_TAKEN in call.last_said:
        action = urlsplit(call.leg.resolve(waiting.action))
        shown = parse_qs(action.query).get("slots", [""])[0].split(".")
        if action.path == "/twilio/booking/choose" and str(slot_id) not in shown and shown[0]:
            return "offered"
        if action.path == "/twilio/booking/expert":  # the expert's last slot: the experts again
            return "offered"
    return f"neither booked nor offered another slot: {call.last_said[:120]!r}"


def run(url: str, folder: Path, *, callers: int = 50, workers: int = WORKERS) -> ContentionFigures:
    slot_id = last_free_slot(url)
    first_number = int(time.time()) % 9 * 10**6  # callers without an appointment
    calls: list[tuple[Call, TimedTransport]] = []
    timings, floor_timings = Timings(), Timings()
    with serving(url, folder, workers=workers) as server:
        for index in range(callers):
            caller = f"+7951{first_number + index:07d}"
            calls.append(to_confirmation(server.url, caller, slot_id))
        for _, transport in calls:
            transport.timings = timings
        release(callers, lambda index: calls[index][0].press("1"))
    outcomes = [outcome(call, slot_id) for call, _ in calls]
    engine = db.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        booked = connection.scalar(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .where(
                Appointment.slot_id == slot_id, Appointment.status != AppointmentStatus.CANCELLED
            )
        )
    engine.dispose()
    confirmations = [call.log[-1] for call, _ in calls]
    with serving(url, folder, app=FLOOR_APP, workers=workers) as floor_server:
        client = WebhookClient(HttpTransport(base_url=floor_server.url), AUTH_TOKEN)
        release(
            callers,
            lambda index: floor_timings.time(
                lambda: client.send("POST", confirmations[index].url, confirmations[index].params)
            ),
        )
    figures = ContentionFigures(
        callers=callers,
        booked_in_database=booked or 0,
        winners=outcomes.count("booked"),
        offered_another=outcomes.count("offered"),
        failures=[o for o in outcomes if o not in ("booked", "offered")],
        p99_ms=timings.p99_ms,
        floor_p99_ms=floor_timings.p99_ms,
    )
    name = f"contention {engine.dialect.name} callers={callers} workers={workers}"
    correct = figures.booked_in_database == 1 == figures.winners and not figures.failures
    report(
        name,
        booked=figures.booked_in_database,
        winners=figures.winners,
        offered_another=figures.offered_another,
        failures=len(figures.failures),
        verdict=verdict(correct),
    )
    report(
        f"{name} latency",
        p50_ms=timings.p50_ms,
        p99_ms=figures.p99_ms,
        floor_p99_ms=figures.floor_p99_ms,
        ratio=ratio(figures.p99_ms, figures.floor_p99_ms),
    )
    for failure in figures.failures[:10]:
        print(f"  problem: {failure}")
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contention", description=__doc__)
    parser.add_argument("url", help="PostgreSQL database URL (filled by python -m bench.dataset)")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-contention-") as folder:
        figures = run(args.url, Path(folder), callers=args.callers, workers=args.workers)
    correct = figures.booked_in_database == 1 == figures.winners and not figures.failures
    return 0 if correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
