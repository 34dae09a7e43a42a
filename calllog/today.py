"""The figures of the staff application's front page: today at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.appeals import AWAITING_ANSWER
from calllog.call_queries import MISSED_STATUSES
from models import (
    Appeal,
    Appointment,
    AppointmentStatus,
    Call,
    Callback,
    CallbackStatus,
    CallOutcome,
    Slot,
)


@dataclass(frozen=True)
class Today:
    calls_by_line: dict[str, int]
    missed: int
    abandoned: int
    callbacks_due: int
    appointments: int
    overdue_appeals: int

    @property
    def calls(self) -> int:
        return sum(self.calls_by_line.values())


def today(session: orm.Session, now: datetime) -> Today:
    """Today's figures for the office's local day that contains ``now``."""
    start = datetime.combine(now.date(), time(), now.tzinfo)
    end = start + timedelta(days=1)
    in_day = sa.and_(Call.started_at >= start, Call.started_at < end, Call.direction == "inbound")
    by_line = session.execute(
        sa.select(Call.line, sa.func.count()).where(in_day).group_by(Call.line).order_by(Call.line)
    ).all()

    def count(query: sa.Select[tuple[int]]) -> int:
        return session.scalar(query) or 0

    return Today(
        calls_by_line=dict(by_line),
        missed=count(sa.select(sa.func.count()).where(in_day, Call.status.in_(MISSED_STATUSES))),
        abandoned=count(
            sa.select(sa.func.count()).where(in_day, Call.outcome == CallOutcome.ABANDONED)
        ),
        callbacks_due=count(
            sa.select(sa.func.count()).where(
                Callback.status == CallbackStatus.PENDING, Callback.due_at < end
            )
        ),
        appointments=count(
            sa.select(sa.func.count())
            .select_from(Appointment)
            .join(Slot)
            .where(
                Slot.starts_at >= start,
                Slot.starts_at < end,
                Appointment.status != AppointmentStatus.CANCELLED,
            )
        ),
        overdue_appeals=count(
            sa.select(sa.func.count()).where(
                Appeal.status.in_(AWAITING_ANSWER), Appeal.answer_due < now.date()
            )
        ),
    )
