"""A week of demonstration calls, placed through the simulator as Twilio would place them.

Every call is a signed webhook conversation with the running application (bookings, requests,
status checks, information, transfers, unanswered transfers, abandoned calls, calls out of
hours); while a call runs, the office clock reads the call's own moment in the past week, so
the log, the appeals and the appointments are dated as if the calls had really come in.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Flask

from calllog.office import Office
from clock import Clock
from db import get_session
from models import Appeal
from models import Call as CallRow
from simulator.call import Call
from simulator.simulator import Simulator
from simulator.transport import FlaskTransport

#: The staff phones transfers ring during the demonstration week.
DEMO_STAFF_PHONES = ("+79120000001", "+79120000002")
#: What callers do, with their weights: a working day's mix at a public reception.
IN_HOURS = {
    "booking": 22,
    "request": 20,
    "status": 9,
    "info": 9,
    "transfer": 16,
    "no_answer": 8,
    "abandoned": 12,
}
OUT_OF_HOURS = {"request": 4, "info": 2, "abandoned": 2, "callback_out_of_hours": 3}


class CallClock(Clock):
    """The office clock during a demonstration call: its start plus the call's seconds."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start.tzinfo)  # type: ignore[arg-type]
        self.start = start
        self.call: Call | None = None

    def now(self) -> datetime:
        seconds = self.call.clock.seconds if self.call is not None else 0.0
        return self.start + timedelta(seconds=seconds)


@dataclass
class Week:
    """What the week's calls left behind, for the summary and for later calls."""

    kinds: Counter[str] = field(default_factory=Counter)
    appeals: dict[str, str] = field(default_factory=dict)  # a mobile -> its appeal's number

    def summary(self) -> str:
        return ", ".join(f"{kind} {count}" for kind, count in sorted(self.kinds.items()))


def caller_numbers(rng: random.Random, count: int) -> list[str]:
    """Russian caller IDs: mostly mobiles, some Perm landlines."""
    numbers = []
    for _ in range(count):
        if rng.random() < 0.8:
            numbers.append(
                f"+79{rng.choice(('02', '12', '19', '22', '64'))}{rng.randrange(10**7):07d}"
            )
        else:
            numbers.append(f"+7342{rng.randrange(2000000, 3000000):07d}")
    return numbers


def call_moments(
    office: Office, first: date, last: datetime, rng: random.Random, per_day: int
) -> list[tuple[datetime, bool]]:
    """Moments of calls from ``first`` up to ``last``, with whether the office was open."""
    tz = office.clock.tz
    moments = []
    day = first
    while day <= last.date():
        open_day = bool(office.hours.intervals(day))
        count = per_day if open_day else per_day // 8
        for _ in range(count):
            if open_day and rng.random() < 0.88:
                start, end = rng.choice(office.hours.intervals(day))
                minutes = int((end - start).total_seconds() // 60) - 12
                at = start + timedelta(
                    minutes=rng.randrange(max(minutes, 1)), seconds=rng.randrange(60)
                )
            else:
                at = datetime.combine(day, time(rng.choice((7, 8, 19, 20, 21))), tz)
                at += timedelta(minutes=rng.randrange(60))
            if at < last:
                moments.append((at, office.hours.is_open(at)))
        day += timedelta(days=1)
    return sorted(moments)


@contextmanager
def office_in_the_past(app: Flask, start: datetime) -> Iterator[CallClock]:
    """The app's office with a clock that reads the demonstration moment, and staff phones."""
    real = app.extensions["office"]
    clock = CallClock(start)
    app.extensions["office"] = replace(real, clock=clock, staff_phones=DEMO_STAFF_PHONES)
    try:
        yield clock
    finally:
        app.extensions["office"] = real


def place_calls(
    app: Flask, simulator: Simulator, moments: list[tuple[datetime, bool]], rng: random.Random
) -> Week:
    """Place one simulated call at each moment; a caller now and then calls again."""
    week = Week()
    if not moments:
        return week
    office = app.extensions["office"]
    line_numbers = [line.number for line in office.lines]
    callers = caller_numbers(rng, len(moments))
    with office_in_the_past(app, moments[0][0]) as clock:
        for (at, open_now), caller in zip(moments, callers, strict=True):
            weights = IN_HOURS if open_now else OUT_OF_HOURS
            kind = rng.choices(list(weights), list(weights.values()))[0]
            if kind == "status":  # an applicant calls again about the appeal
                if week.appeals:
                    caller = rng.choice(list(week.appeals))
                else:
                    kind = "info"
            call = simulator.incoming_call(from_=caller, to=_line(line_numbers, kind, rng))
            clock.start, clock.call = at, call
            call.start()
            SCRIPTS[kind](call, rng, week, caller)
            call.finish()
            clock.call = None
            week.kinds[kind] += 1
    return week


def _line(numbers: list[str], kind: str, rng: random.Random) -> str:
    """The main line mostly; the booking line for half the bookings, the information line
    for half the questions (when the office has them)."""
    if kind == "booking" and rng.random() < 0.5:
        return numbers[min(1, len(numbers) - 1)]
    if kind == "info" and rng.random() < 0.5:
        return numbers[-1]
    return numbers[0]


def booking(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("1")
    if "Выберите специалиста" in call.last_said:
        call.press(str(rng.randint(1, 2)))
    if call.waiting_for != "gather" or "Нажмите 1:" not in call.last_said:
        return  # no free time, or an appointment held already: the caller hangs up
    call.press(str(rng.randint(1, 3)))
    if call.waiting_for == "gather":
        call.press("1")  # consent
    if call.waiting_for == "record":
        call.record(seconds=rng.randint(3, 6), finish="#")
    while call.waiting_for == "gather" and "нажмите 1" in call.last_said.lower():
        call.press("1")


def request(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("2")
    call.press("1")  # consent
    call.press(str(rng.randint(1, 7)))
    if call.waiting_for != "record":
        return
    hangs_up = rng.random() < 0.1
    call.record(seconds=rng.randint(15, 90), finish="hangup" if hangs_up else "#")
    number = get_session().scalar(
        sa.select(Appeal.number).join(Appeal.calls).where(CallRow.sid == call.sid)
    )
    if number and not caller.startswith("+7342"):
        week.appeals[caller] = number


def status(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("3")
    call.press(f"{week.appeals[caller]}#")


def info(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("4")


def transfer(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("0")
    if call.waiting_for == "dial":
        call.dial(answer=True, staff_keys="1", talk_seconds=rng.randint(40, 420))


def no_answer(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("0")
    if call.waiting_for == "dial":
        call.dial(answer=False)


def abandoned(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.clock.advance(rng.randint(2, 15))
    call.hangup()


def callback_out_of_hours(call: Call, rng: random.Random, week: Week, caller: str) -> None:
    call.press("0")


SCRIPTS: dict[str, Callable[[Call, random.Random, Week, str], None]] = {
    "booking": booking,
    "request": request,
    "status": status,
    "info": info,
    "transfer": transfer,
    "no_answer": no_answer,
    "abandoned": abandoned,
    "callback_out_of_hours": callback_out_of_hours,
}


def demo_simulator(app: Flask, auth_token: str) -> Simulator:
    return Simulator(
        FlaskTransport(app.test_client()),
        auth_token,
        app.config["TWILIO_ACCOUNT_SID"],
        base_url=app.config["PUBLIC_BASE_URL"] or "http://localhost",
    )
