"""The period report (§1): callers, appeals, the share resolved, topics, lines, outcomes.

The office publishes figures like "2,097 applicants in six months, 840 resolved
positively (40%); housing and utilities 33%"; :func:`summary` gives exactly those for any
period, counted in the database (the log may hold millions of calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy import orm

from models import Appeal, AppealStatus, Call, CallHourTotal, UtcDateTime


@dataclass(frozen=True)
class Summary:
    since: date
    until: date
    calls: int
    callers: int
    by_line: dict[str, int]
    by_outcome: dict[str, int]
    appeals: int
    by_topic: dict[str, int]
    by_appeal_status: dict[str, int]
    calls_per_day: dict[date, dict[str, int]]

    @property
    def resolved(self) -> int:
        """Appeals resolved with practical help (решено положительно)."""
        return self.by_appeal_status.get(AppealStatus.PRACTICAL_HELP.value, 0)

    @property
    def resolved_share(self) -> float:
        """Resolved with practical help over all appeals of the period (840 of 2,097)."""
        return round(self.resolved / self.appeals, 4) if self.appeals else 0.0

    def share(self, count: int, total: int) -> float:
        return round(100 * count / total, 1) if total else 0.0


def summary(session: orm.Session, since: date, until: date, tz: tzinfo) -> Summary:
    """The figures for the local calendar days ``since`` to ``until``, both included."""
    start = datetime.combine(since, time(), tz)
    end = datetime.combine(until + timedelta(days=1), time(), tz)
    # Citizens' calls: the staff's own callbacks are counted as callback attempts.
    calls_in = sa.and_(Call.started_at >= start, Call.started_at < end, Call.direction == "inbound")
    appeals_in = sa.and_(Appeal.created_at >= start, Appeal.created_at < end)

    calls = 0
    by_line: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    per_day: dict[date, dict[str, int]] = {}
    call_counts = calls_from_totals(session, since, until, tz)
    if call_counts is None:
        call_counts = calls_one_by_one(session, since, until, tz)
    for day, line, outcome, count in call_counts:
        lines = per_day.setdefault(day, {})
        lines[line] = lines.get(line, 0) + count
        by_line[line] = by_line.get(line, 0) + count
        if outcome is not None:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + count
        calls += count
    # Grouping rather than count(DISTINCT ...): PostgreSQL hashes a GROUP BY, but sorts
    # every row for a DISTINCT aggregate.
    callers = sa.select(Call.caller).where(calls_in, Call.caller.is_not(None)).group_by(Call.caller)
    # The appeals by topic and status at once: one pass over the period's appeals.
    appeals = 0
    by_topic: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for topic, status, count in session.execute(
        sa.select(Appeal.topic, Appeal.status, sa.func.count())
        .where(appeals_in)
        .group_by(Appeal.topic, Appeal.status)
    ):
        appeals += count
        by_topic[topic] = by_topic.get(topic, 0) + count
        by_status[status.value] = by_status.get(status.value, 0) + count

    return Summary(
        since=since,
        until=until,
        calls=calls,
        callers=session.scalar(sa.select(sa.func.count()).select_from(callers.subquery())) or 0,
        by_line=dict(sorted(by_line.items())),
        by_outcome=dict(sorted(by_outcome.items())),
        appeals=appeals,
        by_topic=dict(sorted(by_topic.items())),
        by_appeal_status=dict(sorted(by_status.items())),
        calls_per_day=per_day,
    )


#: Inbound calls of one local day on one line that came to one outcome (its value, or None).
CallCount = tuple[date, str, str | None, int]


def calls_one_by_one(session: orm.Session, since: date, until: date, tz: tzinfo) -> list[CallCount]:
    """The period's inbound calls counted by local day, line and outcome, call by call."""
    start, end = _bounds(since, until, tz)
    inbound = sa.and_(Call.started_at >= start, Call.started_at < end, Call.direction == "inbound")
    query = _by_local_day(
        Call.started_at,
        Call.line,
        Call.outcome,
        sa.func.count(),
        inbound,
        since,
        until,
        tz,
        session.get_bind().dialect.name,
    )
    return _merged([session.execute(query)])


def calls_from_totals(
    session: orm.Session, since: date, until: date, tz: tzinfo
) -> list[CallCount] | None:
    """:func:`calls_one_by_one`, read from the hourly totals of the ended calls
    (``models.CallHourTotal``) and counting only the calls not ended yet one by one.

    None when the period's local days are not whole UTC hours at one offset from UTC
    (every Russian time zone since 2014 is).
    """
    offset = _fixed_whole_hour_offset(since, until, tz)
    if offset is None:
        return None
    start, end = _bounds(since, until, tz)
    dialect = session.get_bind().dialect.name

    def local_day(at: sa.ColumnElement[datetime]) -> sa.ColumnElement:
        if dialect == "sqlite":
            return sa.func.date(at, f"{offset // timedelta(minutes=1):+d} minutes")
        return sa.cast(sa.func.timezone("UTC", at) + sa.literal(offset, sa.Interval()), sa.Date)

    total, day = CallHourTotal, local_day(CallHourTotal.hour)
    ended = (
        sa.select(day, total.line, total.outcome, sa.func.sum(total.calls))
        .where(total.hour >= start, total.hour < end)
        .group_by(day, total.line, total.outcome)
    )
    day = local_day(Call.started_at)
    not_ended = (
        sa.select(day, Call.line, Call.outcome, sa.func.count())
        .where(
            Call.started_at >= start,
            Call.started_at < end,
            Call.ended_at.is_(None),
            Call.direction == "inbound",
        )
        .group_by(day, Call.line, Call.outcome)
    )
    connection = session.connection()
    return _merged([connection.execute(ended), connection.execute(not_ended)])


def _bounds(since: date, until: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(since, time(), tz)
    return start, datetime.combine(until + timedelta(days=1), time(), tz)


def _fixed_whole_hour_offset(since: date, until: date, tz: tzinfo) -> timedelta | None:
    """The local time's offset from UTC over the days ``since`` to ``until``, if it is the
    same all along and a whole number of hours."""
    days = ((since + timedelta(days=n)) for n in range((until - since).days + 2))
    offsets = {datetime.combine(day, time(), tz).utcoffset() or timedelta() for day in days}
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return offset if offset % timedelta(hours=1) == timedelta() else None


def _merged(results: list[sa.Result]) -> list[CallCount]:
    """Rows of (local day, line, outcome, count) added up, without empty totals."""
    counts: dict[tuple[date, str, str | None], int] = {}
    for result in results:
        for local_day, line, outcome, count in result:
            day = local_day if isinstance(local_day, date) else date.fromisoformat(local_day)
            value = getattr(outcome, "value", outcome) or None
            key = (day, line, value)
            counts[key] = counts.get(key, 0) + int(count)
    return sorted(
        ((day, line, outcome, count) for (day, line, outcome), count in counts.items() if count),
        key=lambda row: (row[0], row[1], row[2] or ""),
    )


def _by_local_day(
    at: sa.ColumnElement[datetime],
    line: sa.ColumnElement[str],
    outcome: sa.ColumnElement,
    count: sa.ColumnElement[int],
    where: sa.ColumnElement[bool],
    since: date,
    until: date,
    tz: tzinfo,
    dialect: str,
) -> sa.Select:
    """``count`` of the rows ``where`` selects, by the office's calendar day of ``at``,
    ``line`` and ``outcome``.

    SQLite computes each row's local date (as text); an expression like that would make
    PostgreSQL expect a group per row and sort them all, so there the rows are joined
    to the period's local days instead: one index range per day, counted in a hash table.
    """
    start, _ = _bounds(since, until, tz)
    if dialect == "sqlite":
        # Russian time zones have kept one offset all year since 2014, so the offset at
        # the start of the period holds for all of it.
        minutes = int((start.utcoffset() or timedelta()).total_seconds() // 60)
        day = sa.func.date(at, f"{minutes:+d} minutes")
        return sa.select(day, line, outcome, count).where(where).group_by(day, line, outcome)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    local_days = (
        sa.values(
            sa.column("day", sa.Date),
            sa.column("day_start", UtcDateTime()),
            sa.column("day_end", UtcDateTime()),
            name="local_day",
        )
        .data([(day, *_bounds(day, day, tz)) for day in days])
        .cte("local_day")
    )
    day = local_days.c.day
    return (
        sa.select(day, line, outcome, count)
        .join_from(
            local_days, at.table, sa.and_(at >= local_days.c.day_start, at < local_days.c.day_end)
        )
        .where(where)
        .group_by(day, line, outcome)
    )
