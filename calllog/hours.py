"""Office hours: when the reception is open, and when it opens next.

A weekly timetable in the office's time zone, with the production calendar applied:
holidays and days off are closed, pre-holiday days close earlier. Every method takes an
aware datetime and answers in the office's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calllog.calendar import DayKind, ProductionCalendar

DEFAULT_TZ = ZoneInfo("Asia/Yekaterinburg")

Interval = tuple[time, time]

_WORKDAY: tuple[Interval, ...] = ((time(10), time(13)), (time(14), time(18)))
DEFAULT_WEEK: dict[int, tuple[Interval, ...]] = {
    weekday: _WORKDAY if weekday < 5 else () for weekday in range(7)
}

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")

#: How far ahead to look for an opening before deciding the office never opens.
_SEARCH_DAYS = 366


@dataclass(frozen=True)
class OfficeHours:
    """The office's weekly timetable with the production calendar applied.

    ``week`` maps a weekday (0 is Monday) to its open intervals, in order; a missing
    weekday is closed. A weekend day that the calendar makes a working day (a Saturday
    worked for a bridge day) keeps the timetable of the nearest earlier weekday that has
    one, usually Friday. On a short (pre-holiday) day the office closes
    ``short_day_minutes`` earlier.
    """

    tz: ZoneInfo = DEFAULT_TZ
    week: dict[int, tuple[Interval, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    calendar: ProductionCalendar = field(default_factory=ProductionCalendar.from_file)
    short_day_minutes: int = 60

    def __post_init__(self) -> None:
        for weekday, intervals in self.week.items():
            if weekday not in range(7):
                raise ValueError(f"office hours: weekday must be 0-6, got {weekday!r}")
            _check_intervals(_DAY_NAMES[weekday], intervals)
        if not any(self.week.values()):
            raise ValueError("office hours: the office is never open")
        if self.short_day_minutes < 0:
            raise ValueError("office hours: short_day_minutes must not be negative")

    @classmethod
    def from_config(
        cls, spec: str | None, tz_name: str | None, calendar: ProductionCalendar
    ) -> OfficeHours:
        """Build office hours from configuration strings.

        ``spec`` is a list of clauses separated by ``;``. Each clause names days and then,
        after a space, the open intervals separated by commas::

            mon-fri 10:00-13:00,14:00-18:00; sat 10:00-14:00

        Days are ``mon tue wed thu fri sat sun``, a range such as ``mon-fri`` or a list
        such as ``mon,wed``. Days not named are closed; a day may be named only once.
        Times are 24-hour ``H:MM``. ``None`` or a blank spec gives the default
        (Monday-Friday 10:00-13:00 and 14:00-18:00), ``None`` or a blank ``tz_name``
        Asia/Yekaterinburg. Raises ``ValueError`` saying what is wrong.
        """
        tz = DEFAULT_TZ
        if tz_name and tz_name.strip():
            try:
                tz = ZoneInfo(tz_name.strip())
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {tz_name!r}") from None
        if spec is None or not spec.strip():
            return cls(tz=tz, calendar=calendar)
        return cls(tz=tz, week=_parse_week(spec), calendar=calendar)

    def intervals(self, d: date) -> list[tuple[datetime, datetime]]:
        """Open intervals on the local date ``d``, after holidays and short days."""
        if self.calendar.is_holiday(d):
            return []
        kind = self.calendar.day_kind(d)
        times = self.week.get(d.weekday(), ())
        if not times and kind is not DayKind.NON_WORKING:
            times = self._nearest_earlier_timetable(d.weekday())
        result = [
            (datetime.combine(d, start, self.tz), datetime.combine(d, end, self.tz))
            for start, end in times
        ]
        if kind is DayKind.SHORT and result:
            closing = result[-1][1] - timedelta(minutes=self.short_day_minutes)
            result = [(start, min(end, closing)) for start, end in result if start < closing]
        return result

    def is_open(self, at: datetime) -> bool:
        """Whether the office is open at the moment ``at``."""
        local = self._local(at)
        return any(start <= local < end for start, end in self.intervals(local.date()))

    def on_break(self, at: datetime) -> bool:
        """Whether ``at`` falls in a break of its working day (lunch), not before or after it."""
        local = self._local(at)
        intervals = self.intervals(local.date())
        return not self.is_open(local) and any(
            end <= local < next_start
            for (_, end), (next_start, _) in zip(intervals, intervals[1:], strict=False)
        )

    def next_opening(self, at: datetime) -> datetime:
        """``at`` if the office is open then, otherwise the next moment it opens."""
        local = self._local(at)
        if self.is_open(local):
            return local
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            for start, _end in self.intervals(day):
                if start > local:
                    return start
            day += timedelta(days=1)
        raise LookupError(f"office hours: no opening within {_SEARCH_DAYS} days of {local}")

    def next_working_time(self, at: datetime) -> datetime:
        """When work can be done at or after ``at``, e.g. when a callback falls due."""
        return self.next_opening(at)

    def next_working_day_start(self, at: datetime) -> datetime:
        """The opening of the first day after ``at``'s local date on which the office opens."""
        day = self._local(at).date()
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            intervals = self.intervals(day)
            if intervals:
                return intervals[0][0]
        raise LookupError(f"office hours: no working day within {_SEARCH_DAYS} days of {day}")

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"office hours need an aware datetime, got naive {at.isoformat()}")
        return at.astimezone(self.tz)

    def _nearest_earlier_timetable(self, weekday: int) -> tuple[Interval, ...]:
        for back in range(1, 7):
            times = self.week.get((weekday - back) % 7, ())
            if times:
                return times
        return ()


def _parse_week(spec: str) -> dict[int, tuple[Interval, ...]]:
    week: dict[int, tuple[Interval, ...]] = {}
    for clause in spec.split(";"):
        clause = clause.strip()
        if not clause:
            continue
        parts = clause.split(None, 1)
        if len(parts) != 2:
            raise ValueError(
                f"office hours {clause!r}: expected days, a space and intervals, "
                "e.g. 'mon-fri 10:00-13:00,14:00-18:00'"
            )
        days_text, times_text = parts
        intervals = tuple(_parse_interval(clause, text) for text in times_text.split(","))
        _check_intervals(clause, intervals)
        for weekday in _parse_days(clause, days_text):
            if weekday in week:
                raise ValueError(f"office hours {clause!r}: {_DAY_NAMES[weekday]} given twice")
            week[weekday] = intervals
    if not week:
        raise ValueError(f"office hours {spec!r}: no days given")
    return week


def _parse_days(clause: str, text: str) -> list[int]:
    days: list[int] = []
    for item in text.lower().split(","):
        first, _, last = item.partition("-")
        start, end = _day_index(clause, first), _day_index(clause, last or first)
        if end < start:
            raise ValueError(f"office hours {clause!r}: day range {item!r} runs backwards")
        days.extend(range(start, end + 1))
    return days


def _day_index(clause: str, name: str) -> int:
    try:
        return _DAY_NAMES.index(name.strip())
    except ValueError:
        raise ValueError(
            f"office hours {clause!r}: unknown day {name!r}, expected one of {' '.join(_DAY_NAMES)}"
        ) from None


def _parse_interval(clause: str, text: str) -> Interval:
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"office hours {clause!r}: bad interval {text.strip()!r}, expected HH:MM-HH:MM"
        )
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"office hours {clause!r}: no such time in {text.strip()!r}") from None


def _check_intervals(where: str, intervals: tuple[Interval, ...]) -> None:
    previous_end: time | None = None
    for start, end in intervals:
        if start >= end:
            raise ValueError(f"office hours {where!r}: {start:%H:%M}-{end:%H:%M} ends too early")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"office hours {where!r}: {start:%H:%M} overlaps or is out of order")
        previous_end = end
