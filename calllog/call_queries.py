"""The call log's filters and keyset pages: one implementation for the JSON API and the pages.

:class:`CallFilters` is what a request asks for (period, line, outcome, status, caller),
parsed and checked once; :func:`calls_query` turns it into a query, newest first; a
cursor (:func:`encode_cursor`) names the last call of a page by its start and id, so the
next page is ``WHERE (started_at, id) < cursor``: never an ``OFFSET``, and a call arriving
between two pages does not shift the second one.

Errors carry the API's English message and a Russian one for the staff pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy import orm

from calllog.phones import mask, search_variants
from models import Call, CallOutcome

FIRST_DATE = date.min + timedelta(days=2)
LAST_DATE = date.max - timedelta(days=2)
#: The status filter's name for the calls that never reached the menu: Twilio's final
#: statuses of a call nobody answered (Today's «пропущено»).
MISSED = "missed"
MISSED_STATUSES = ("busy", "failed", "no-answer", "canceled")
#: A period whose end comes before its start, in the staff pages' words.
REVERSED_RUSSIAN = "Конец периода раньше начала: проверьте даты."
#: Row ids a cursor may name: ids are 32-bit integers on PostgreSQL.
MAX_ROW_ID = 2**31


class FilterError(ValueError):
    """A filter or cursor that cannot be used; ``str()`` is the API's message."""

    def __init__(self, field: str, message: str, russian: str) -> None:
        super().__init__(message)
        self.field = field
        self.russian = russian


@dataclass(frozen=True)
class CallFilters:
    """Which calls to show: every field ``None`` means no restriction.

    ``since`` and ``until`` are local calendar dates, ``until`` inclusive. ``caller`` is a
    phone number as staff typed it, in any common format, or a part of one.
    """

    since: date | None = None
    until: date | None = None
    line: str | None = None
    outcome: CallOutcome | None = None
    status: str | None = None
    caller: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CallFilters:
        """The filters of a query string; FilterError for the first bad one.

        Empty values are no filter. The order of the checks decides which error a request
        with several bad arguments gets (the API has always reported the outcome first).
        """
        for name in ("outcome", "since", "until", "line", "status", "caller"):
            if "\x00" in (args.get(name) or ""):
                # No database stores NUL in text (the API refuses it before it gets here).
                raise FilterError(
                    name,
                    f"{name} must not contain NUL characters",
                    "Недопустимый символ в фильтре.",
                )
        outcome = None
        if value := args.get("outcome"):
            if value not in CallOutcome.__members__.values():
                raise FilterError(
                    "outcome", f"unknown outcome {value!r}", "Неизвестный итог звонка."
                )
            outcome = CallOutcome(value)
        since, until = parse_date(args, "since"), parse_date(args, "until")
        if since and until and until < since:
            raise FilterError("until", "until must not be before since", REVERSED_RUSSIAN)
        return cls(
            since=since,
            until=until,
            line=args.get("line") or None,
            outcome=outcome,
            status=args.get("status") or None,
            caller=args.get("caller") or None,
        )

    def to_args(self) -> dict[str, str]:
        """The query string that gives these filters back (period always present, maybe empty)."""
        args = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        for name in ("line", "status", "caller"):
            if value := getattr(self, name):
                args[name] = value
        if self.outcome is not None:
            args["outcome"] = self.outcome.value
        return args

    def describe(self) -> str:
        """The filters for the audit log: the caller searched for is masked, never written."""
        parts = [f"since={self.since or '-'}", f"until={self.until or '-'}"]
        if self.line:
            parts.append(f"line={self.line}")
        if self.outcome is not None:
            parts.append(f"outcome={self.outcome.value}")
        if self.status:
            parts.append(f"status={self.status}")
        if self.caller:
            parts.append(f"caller={mask(self.caller)}")
        return " ".join(parts)


def parse_date(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            name, f"{name} must be a date like 2026-12-02", "Дата должна быть как 2026-12-02."
        ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        # The day's bounds in UTC must exist too.
        raise FilterError(
            name,
            f"{name} must be between {FIRST_DATE} and {LAST_DATE}",
            "Такой даты в журнале быть не может.",
        )
    return day


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first moment of a local calendar day."""
    return datetime.combine(day, time(), tz)


#: The keyset: newest first, the id breaking ties between calls of the same moment.
ORDER = (Call.started_at.desc(), Call.id.desc())


def calls_query(filters: CallFilters, tz: tzinfo) -> sa.Select[tuple[Call]]:
    """The calls matching ``filters``, newest first (days are local to ``tz``).

    A caller that is a whole valid number is compared in E.164; a part of one (or anything
    else with digits) matches the end of stored numbers, so "2367992" finds "+73422367992".
    """
    query = sa.select(Call)
    if filters.line:
        query = query.where(Call.line == filters.line)
    if filters.outcome is not None:
        query = query.where(Call.outcome == filters.outcome)
    if filters.status == MISSED:
        query = query.where(Call.status.in_(MISSED_STATUSES))
    elif filters.status:
        query = query.where(Call.status == filters.status)
    if filters.caller:
        variants = search_variants(filters.caller)
        if not variants:  # no digits at all: no number ends with that
            query = query.where(sa.false())
        elif variants[0].startswith("+"):
            query = query.where(Call.caller == variants[0])
        else:
            query = query.where(ends_with_digits(variants[0]))
    if filters.since is not None:
        query = query.where(Call.started_at >= day_start(filters.since, tz))
    if filters.until is not None:
        query = query.where(Call.started_at < day_start(filters.until + timedelta(days=1), tz))
    return query.order_by(*ORDER)


def ends_with_digits(digits: str) -> sa.ColumnElement[bool]:
    """Calls whose caller ends with ``digits``: a range of the reversed callers' index.

    ``Call.caller_reversed`` holds the caller's digits last to first, so the numbers
    ending in "7992" are those whose reversed digits lie in ["2997", "2998"). A range,
    unlike ``LIKE '2997%'``, is served by the index under any collation.
    """
    reversed_digits = digits[::-1]
    condition = Call.caller_reversed >= reversed_digits
    kept = reversed_digits.rstrip("9")
    if kept:  # else every number from the prefix on matches: no upper bound
        upper = kept[:-1] + str(int(kept[-1]) + 1)
        condition = sa.and_(condition, Call.caller_reversed < upper)
    return condition


def encode_cursor(moment: datetime, row_id: int) -> str:
    """An opaque cursor naming a position in the log (the last call of a page)."""
    raw = f"{moment.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor of :func:`encode_cursor` holds; FilterError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        text, id_text = raw.split("|")
        moment, row_id = datetime.fromisoformat(text), int(id_text)
        if moment.tzinfo is None or not 0 < row_id < MAX_ROW_ID:
            raise ValueError("not a position this service gives out")
        moment.astimezone(UTC)  # the database compares it in UTC
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise FilterError(
            "cursor",
            "cursor is not one this API gave out",
            "Ссылка на страницу журнала устарела или повреждена.",
        ) from None
    return moment, row_id


def older_than(query: sa.Select[tuple[Call]], position: tuple[datetime, int]) -> sa.Select:
    """``query`` (ordered by :data:`ORDER`) from just after ``position`` on."""
    return query.where(sa.tuple_(Call.started_at, Call.id) < position)


def calls_page(
    session: orm.Session,
    query: sa.Select[tuple[Call]],
    limit: int,
    position: tuple[datetime, int] | None = None,
) -> tuple[Sequence[Call], str | None]:
    """One page of ``query`` after ``position`` and the cursor to the next (None: the last)."""
    if position is not None:
        query = older_than(query, position)
    rows = session.scalars(query.limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if len(rows) > limit else None
    return page, next_cursor
