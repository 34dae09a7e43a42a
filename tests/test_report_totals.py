"""The period report read from the hourly totals (``call_hour_total``) says exactly what
counting the calls one by one says, however the calls got there."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command

import db
from calllog import calls, reports
from calllog.facts import CallFacts
from calllog.forgetting import anonymise_calls
from calllog.migrate import alembic_config
from models import Call, CallHourTotal, CallOutcome
from tests.conftest import LINE, OPEN_TIME, PERM

OTHER_LINE = "+73422367992"
TODAY = OPEN_TIME.date()  # a Wednesday, 11:00 in Perm
DAYS = [TODAY - timedelta(days=n) for n in (3, 2, 1, 0)]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PERM)


class Calls:
    """Calls driven through the call log's own functions, as the webhooks drive them."""

    def __init__(self, session) -> None:
        self.session = session
        self.made = 0

    def start(self, started: datetime, line: str = LINE, caller: str = "+79024712233") -> Call:
        self.made += 1
        facts = CallFacts(sid=f"CA{self.made:032d}", from_raw=caller, to=line, status="ringing")
        call, created = calls.start_call(self.session, facts, line, started)
        assert created
        return call

    def status(self, call: Call, status: str, when: datetime, sequence: int) -> None:
        facts = CallFacts(sid=call.sid, status=status, sequence=sequence, duration_s=60)
        calls.apply_status(self.session, call, facts, when, when + timedelta(hours=2))

    def end(self, call: Call, when: datetime, status: str = "completed") -> None:
        self.status(call, "in-progress", call.started_at, 1)
        self.status(call, status, when, 2)


def expected(session, since: date, until: date, tz: tzinfo = PERM) -> list[reports.CallCount]:
    """The period's inbound calls grouped in Python from the calls themselves."""
    counted: Counter[tuple[date, str, str | None]] = Counter()
    for call in session.scalars(sa.select(Call).execution_options(populate_existing=True)):
        day = call.started_at.astimezone(tz).date()
        if call.direction == "inbound" and since <= day <= until:
            counted[day, call.line, call.outcome.value if call.outcome else None] += 1
    return sorted(
        ((day, line, outcome, n) for (day, line, outcome), n in counted.items()),
        key=lambda row: (row[0], row[1], row[2] or ""),
    )


def totals_as_kept(session) -> Counter[tuple[datetime, str, str]]:
    rows = session.execute(sa.select(CallHourTotal).where(CallHourTotal.calls != 0)).scalars()
    return Counter({(row.hour, row.line, row.outcome): row.calls for row in rows})


def totals_from_scratch(session) -> Counter[tuple[datetime, str, str]]:
    counted: Counter[tuple[datetime, str, str]] = Counter()
    for call in session.scalars(sa.select(Call).execution_options(populate_existing=True)):
        if call.direction == "inbound" and call.ended_at is not None:
            hour = call.started_at.replace(minute=0, second=0, microsecond=0)
            counted[hour, call.line, call.outcome.value if call.outcome else ""] += 1
    return counted


@pytest.fixture
def varied(records):
    """Four days of calls ending and changing in every way the log allows."""
    session = records()
    log = Calls(session)
    rng = random.Random(14)
    outcomes = list(CallOutcome)
    for _ in range(120):
        day = rng.choice(DAYS)
        started = at(day, rng.randrange(0, 11 if day == TODAY else 24), rng.randrange(60))
        call = log.start(
            started, rng.choice([LINE, OTHER_LINE]), f"+7902471{rng.randrange(40):04d}"
        )
        if rng.random() < 0.6:
            calls.record_outcome(session, call, rng.choice(outcomes), started)
        if rng.random() < 0.85:  # the rest have not ended (yet, or their callback was lost)
            log.end(call, started + timedelta(minutes=3), rng.choice(["completed", "no-answer"]))
            if rng.random() < 0.3:  # the final status again, then one that came late
                log.status(call, "completed", started + timedelta(minutes=4), 2)
                log.status(call, "ringing", started + timedelta(minutes=4), 0)
        if rng.random() < 0.25:  # an outcome after the end: the status callback overtook it
            calls.record_outcome(session, call, rng.choice(outcomes), started)
    session.flush()

    # A call across midnight in Perm: counted on the day it began.
    midnight = log.start(at(DAYS[1], 23, 58))
    log.end(midnight, at(DAYS[2], 0, 3))
    calls.record_outcome(session, midnight, CallOutcome.INFO, at(DAYS[2], 0, 2))
    # Today, still going: the current day's figures include it.
    log.start(at(TODAY, 10, 55))
    # Logged first by a callback that named no line; the line comes after the end.
    no_line = log.start(at(DAYS[0], 12), line="")
    log.end(no_line, at(DAYS[0], 12, 5))
    late = CallFacts(sid=no_line.sid, from_raw="+79024712233", to=LINE, status="completed")
    calls.start_call(session, late, LINE, at(DAYS[0], 12, 6))
    # Turned out to be a staff call back after it ended; changed by a Core statement.
    outbound = log.start(at(DAYS[2], 15))
    log.end(outbound, at(DAYS[2], 15, 10))
    session.flush()
    session.execute(sa.update(Call).where(Call.id == outbound.id).values(direction="outbound"))
    # Anonymised by retention or erasure: the number goes, the call stays counted.
    anonymise_calls(session, Call.started_at < at(DAYS[1], 0), OPEN_TIME)
    # Deleted (nothing deletes calls today; the totals would follow).
    gone = log.start(at(DAYS[3], 9))
    log.end(gone, at(DAYS[3], 9, 1))
    session.flush()
    session.delete(gone)
    session.commit()
    return session


@pytest.mark.parametrize(
    ("since", "until"),
    [(DAYS[0], TODAY), (DAYS[1], DAYS[1]), (DAYS[2], DAYS[2]), (TODAY, TODAY), (DAYS[1], DAYS[2])],
)
def test_the_totals_say_what_the_calls_say(varied, since, until):
    from_totals = reports.calls_from_totals(varied, since, until, PERM)

    assert from_totals == expected(varied, since, until)
    assert from_totals == reports.calls_one_by_one(varied, since, until, PERM)


def test_the_totals_are_kept_exactly(varied):
    assert totals_as_kept(varied) == totals_from_scratch(varied)


def test_the_report_reads_the_totals_and_says_what_it_said_before(varied):
    figures = reports.summary(varied, DAYS[0], TODAY, PERM)
    rows = expected(varied, DAYS[0], TODAY)

    assert figures.calls == sum(n for *_, n in rows)
    by_outcome: Counter[str] = Counter()
    for _, _, outcome, n in rows:
        if outcome:
            by_outcome[outcome] += n
    assert figures.by_outcome == dict(sorted(by_outcome.items()))
    assert figures.calls_per_day[DAYS[1]] == {
        line: sum(n for day, ln, _, n in rows if day == DAYS[1] and ln == line)
        for line in sorted({ln for day, ln, _, _ in rows if day == DAYS[1]})
    }
    callers = {
        call.caller
        for call in varied.scalars(sa.select(Call))
        if call.caller and call.direction == "inbound"
    }
    assert figures.callers == len(callers)


def test_a_time_zone_off_the_hour_is_counted_call_by_call(varied):
    india = ZoneInfo("Asia/Kolkata")  # UTC+5:30: its days do not begin on a UTC hour

    assert reports.calls_from_totals(varied, DAYS[0], TODAY, india) is None
    figures = reports.summary(varied, DAYS[0], TODAY, india)
    assert figures.calls == sum(n for *_, n in expected(varied, DAYS[0], TODAY, india))


def test_the_migration_counts_the_calls_already_logged(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'totals.sqlite3'}")
    insert = sa.text(
        "INSERT INTO call (sid, direction, line, caller_raw, caller_kind, started_at,"
        " ended_at, outcome) VALUES (:sid, :direction, :line, '', 'withheld', :started,"
        " :ended, :outcome)"
    )
    rows = [  # (direction, line, started, ended, outcome)
        ("inbound", LINE, "2026-12-01 05:10:00.000000", "2026-12-01 05:12:00.000000", "info"),
        ("inbound", LINE, "2026-12-01 05:50:00.000000", "2026-12-01 05:52:00.000000", "info"),
        ("inbound", LINE, "2026-12-01 05:55:00.000000", "2026-12-01 05:56:00.000000", None),
        ("inbound", LINE, "2026-12-01 06:00:00.000000", None, None),  # not ended
        ("outbound", LINE, "2026-12-01 06:00:00.000000", "2026-12-01 06:09:00.000000", None),
    ]
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "c4e8a1f2d3b6")
            for n, (direction, line, started, ended, outcome) in enumerate(rows):
                values = {"direction": direction, "line": line, "started": started}
                connection.execute(
                    insert, {"sid": f"CA{n}", **values, "ended": ended, "outcome": outcome}
                )
            command.upgrade(config, "head")
            kept = sa.text("SELECT hour, line, outcome, calls FROM call_hour_total ORDER BY 1, 3")
            assert connection.execute(kept).all() == [
                ("2026-12-01 05:00:00.000000", LINE, "", 1),
                ("2026-12-01 05:00:00.000000", LINE, "info", 2),
            ]
            # A statement the application never makes is counted too.
            connection.execute(
                sa.text(
                    "UPDATE call SET ended_at = started_at, outcome = 'booked' WHERE sid = 'CA3'"
                )
            )
            assert connection.execute(kept).all()[-1] == (
                "2026-12-01 06:00:00.000000",
                LINE,
                "booked",
                1,
            )
    finally:
        engine.dispose()
