"""Finding appeals: the filters that the staff list and ``/api/appeals`` share.

The callers read their own arguments (query string or form) into :class:`AppealFilters`
and say what they do with bad input; this module only turns the filters into a query,
newest first, ordered by ``(created_at, id)`` for keyset pagination.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa

from calllog.appeals import AWAITING_ANSWER
from calllog.phones import search_variants
from models import Appeal, AppealStatus

#: "Due soon" means the answer is due today or within this many days.
DUE_SOON_DAYS = 7


class Deadline(enum.StrEnum):
    """The deadline filter: still awaiting an answer, and past it or close to it."""

    OVERDUE = "overdue"
    DUE_SOON = "soon"


@dataclass(frozen=True)
class AppealFilters:
    """What to look for; ``None`` means "any". ``start``/``end`` bound ``created_at``
    as ``[start, end)``; ``phone`` is what staff typed (a full number or its last digits).
    """

    status: AppealStatus | None = None
    topic: str | None = None
    deadline: Deadline | None = None
    phone: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def day_bounds(
    since: date | None, until: date | None, tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` moments for the local calendar days ``since`` to ``until`` inclusive."""
    start = datetime.combine(since, time(), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tz) if until else None
    return start, end


def phone_condition(column: sa.ColumnElement[str | None], typed: str) -> sa.ColumnElement[bool]:
    """Match a stored E.164 number against what staff typed.

    A full number matches exactly; a partial one ("236-79-92") matches the end of stored
    numbers. Text without digits matches nothing (and never becomes a LIKE pattern).
    """
    variants = search_variants(typed)
    if not variants:
        return sa.false()
    term = variants[0]
    if term.startswith("+"):
        return column == term
    return column.endswith(term, autoescape=True)


def appeals_query(filters: AppealFilters, today: date) -> sa.Select[tuple[Appeal]]:
    """The appeals matching ``filters``, newest first; ``today`` is the office's date."""
    query = sa.select(Appeal)
    if filters.status is not None:
        query = query.where(Appeal.status == filters.status)
    if filters.topic:
        query = query.where(Appeal.topic == filters.topic)
    if filters.deadline is Deadline.OVERDUE:
        query = query.where(Appeal.answer_due < today, Appeal.status.in_(list(AWAITING_ANSWER)))
    elif filters.deadline is Deadline.DUE_SOON:
        query = query.where(
            Appeal.answer_due.between(today, today + timedelta(days=DUE_SOON_DAYS)),
            Appeal.status.in_(list(AWAITING_ANSWER)),
        )
    if filters.phone is not None:
        query = query.where(phone_condition(Appeal.phone, filters.phone))
    if filters.start is not None:
        query = query.where(Appeal.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(Appeal.created_at < filters.end)
    return query.order_by(Appeal.created_at.desc(), Appeal.id.desc())
