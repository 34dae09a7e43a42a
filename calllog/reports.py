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

from models import Appeal, AppealStatus, Call, CallOutcome, UtcDateTime


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

    def counts(column: sa.ColumnElement, where: sa.ColumnElement[bool]) -> dict[str, int]:
        rows = session.execute(
            sa.select(column, sa.func.count()).where(where).group_by(column).order_by(column)
        )
        return {str(key.value if hasattr(key, "value") else key): n for key, n in rows}

    # One pass over the period's calls gives every count by day, line and outcome.
    calls = 0
    by_line: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    per_day: dict[date, dict[str, int]] = {}
    for local_day, line, outcome, count in session.execute(
        _calls_by_day_line_outcome(since, until, tz, session.get_bind().dialect.name)
    ):
        key = local_day if isinstance(local_day, date) else date.fromisoformat(local_day)
        lines = per_day.setdefault(key, {})
        lines[line] = lines.get(line, 0) + count
        by_line[line] = by_line.get(line, 0) + count
        if outcome is not None:
            by_outcome[outcome.value] = by_outcome.get(outcome.value, 0) + count
        calls += count
    # Grouping rather than count(DISTINCT ...): PostgreSQL hashes a GROUP BY, but sorts
    # every row for a DISTINCT aggregate.
    callers = sa.select(Call.caller).where(calls_in, Call.caller.is_not(None)).group_by(Call.caller)

    return Summary(
        since=since,
        until=until,
        calls=calls,
        callers=session.scalar(sa.select(sa.func.count()).select_from(callers.subquery())) or 0,
        by_line=dict(sorted(by_line.items())),
        by_outcome=dict(sorted(by_outcome.items())),
        appeals=session.scalar(sa.select(sa.func.count()).where(appeals_in)) or 0,
        by_topic=counts(Appeal.topic, appeals_in),
        by_appeal_status=counts(Appeal.status, appeals_in),
        calls_per_day=per_day,
    )


def _calls_by_day_line_outcome(
    since: date, until: date, tz: tzinfo, dialect: str
) -> sa.Select[tuple[date | str, str, CallOutcome | None, int]]:
    """Inbound calls counted by the office's calendar day, line and outcome.

    SQLite computes each call's local date (as text); an expression like that would make
    PostgreSQL expect a group per call and sort them all, so there the calls are joined
    to the period's local days instead: one index range per day, counted in a hash table.
    """
    start = datetime.combine(since, time(), tz)
    end = datetime.combine(until + timedelta(days=1), time(), tz)
    inbound = Call.direction == "inbound"
    if dialect == "sqlite":
        # Russian time zones have kept one offset all year since 2014, so the offset at
        # the start of the period holds for all of it.
        minutes = int((start.utcoffset() or timedelta()).total_seconds() // 60)
        day = sa.func.date(Call.started_at, f"{minutes:+d} minutes")
        return (
            sa.select(day, Call.line, Call.outcome, sa.func.count())
            .where(Call.started_at >= start, Call.started_at < end, inbound)
            .group_by(day, Call.line, Call.outcome)
            .order_by(day, Call.line)
        )
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    local_days = (
        sa.values(
            sa.column("day", sa.Date),
            sa.column("day_start", UtcDateTime()),
            sa.column("day_end", UtcDateTime()),
            name="local_day",
        )
        .data(
            [
                (
                    day,
                    datetime.combine(day, time(), tz),
                    datetime.combine(day + timedelta(days=1), time(), tz),
                )
                for day in days
            ]
        )
        .cte("local_day")
    )
    day = local_days.c.day
    return (
        sa.select(day, Call.line, Call.outcome, sa.func.count())
        .join_from(
            local_days,
            Call,
            sa.and_(
                Call.started_at >= local_days.c.day_start, Call.started_at < local_days.c.day_end
            ),
        )
        .where(inbound)
        .group_by(day, Call.line, Call.outcome)
        .order_by(day, Call.line)
    )
