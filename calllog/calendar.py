"""The Russian production calendar: which days are worked, short or off.

The ``holidays`` package (``holidays.Russia``) gives the statutory holidays, the weekend
carry-overs and the decreed transfers it knows about; a table of overrides, shipped as
``production_calendar.toml`` next to this module, wins wherever it names a date. Years the
table does not cover fall back to the package and the Labour Code rule for short days.
"""

from __future__ import annotations

import enum
import functools
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays

DEFAULT_PATH = Path(__file__).with_name("production_calendar.toml")

#: Non-working holidays of Labour Code Art. 112, as (month, day).
_STATUTORY_HOLIDAYS = frozenset(
    [(1, day) for day in range(1, 9)] + [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)]
)

_LISTS = ("days_off", "working_weekends", "short_days")


class DayKind(enum.StrEnum):
    WORKING = "working"
    SHORT = "short"  # a pre-holiday day, one hour shorter
    NON_WORKING = "non_working"


class ProductionCalendar:
    """Day kinds for any date, from the ``holidays`` package plus an override table.

    ``overrides`` maps a year to a table in the shape of the TOML file::

        {2026: {"days_off": [date(2026, 1, 9)], "working_weekends": [],
                "short_days": [date(2026, 4, 30)]}}

    ``days_off`` are not worked, ``working_weekends`` are worked although the package
    says otherwise (usually a Saturday worked for a bridge day), ``short_days`` are worked
    one hour shorter. A year that lists ``short_days`` turns off the rule-based short days
    for that year. Later tables win over earlier ones for the dates they name.
    """

    def __init__(self, overrides: Mapping[int, Mapping[str, Any]] | None = None) -> None:
        self._kinds: dict[date, DayKind] = {}
        self._years_with_short_days: set[int] = set()
        for year, table in (overrides or {}).items():
            self._add_year(int(year), table)

    @classmethod
    def from_file(
        cls,
        path: str | Path | None = None,
        extra: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> ProductionCalendar:
        """Load the override table from a TOML file (default: the one shipped here).

        ``extra`` is applied on top, year by year, in the same shape; use it for a
        decree that came out after this release or for office-specific days off.
        """
        with open(path or DEFAULT_PATH, "rb") as f:
            data = tomllib.load(f)
        calendar = cls({int(year): table for year, table in data.items()})
        for year, table in (extra or {}).items():
            calendar._add_year(int(year), table)
        return calendar

    def day_kind(self, d: date) -> DayKind:
        """Whether ``d`` is a working, short (pre-holiday) or non-working day."""
        if d in self._kinds:
            return self._kinds[d]
        if not _package_is_working(d):
            return DayKind.NON_WORKING
        if d.year not in self._years_with_short_days and _is_pre_holiday(d):
            return DayKind.SHORT
        return DayKind.WORKING

    def load_years(self, *years: int) -> None:
        """Read the package's holidays of ``years`` now. The first use imports the
        country's module, a third of a second that a web worker's first caller would
        otherwise wait."""
        for year in years:
            _package_year(year)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is worked at all (short days included)."""
        return self.day_kind(d) is not DayKind.NON_WORKING

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` is off for a holiday or a day off, not just as a plain weekend.

        An office open on Saturdays stays closed on a Saturday that is a holiday.
        """
        if self.day_kind(d) is not DayKind.NON_WORKING:
            return False
        return d.weekday() < 5 or d in self._kinds or d in _package_year(d.year)[0]

    def _add_year(self, year: int, table: Mapping[str, Any]) -> None:
        unknown = set(table) - set(_LISTS)
        if unknown:
            raise ValueError(
                f"production calendar {year}: unknown keys {sorted(unknown)}, "
                f"expected {', '.join(_LISTS)}"
            )
        lists = {name: _as_dates(year, name, table.get(name, [])) for name in _LISTS}
        days_off = set(lists["days_off"])
        working = set(lists["working_weekends"]) | set(lists["short_days"])
        clash = days_off & working
        if clash:
            dates = ", ".join(sorted(d.isoformat() for d in clash))
            raise ValueError(f"production calendar {year}: {dates} both off and worked")

        for d in lists["working_weekends"]:
            if self._kinds.get(d) is not DayKind.SHORT:
                self._kinds[d] = DayKind.WORKING
        for d in days_off:
            self._kinds[d] = DayKind.NON_WORKING
        for d in lists["short_days"]:
            self._kinds[d] = DayKind.SHORT
        if "short_days" in table:
            self._years_with_short_days.add(year)


def _is_pre_holiday(d: date) -> bool:
    """Labour Code Art. 95: the working day right before a statutory holiday is short.

    By practice a weekend day worked in exchange for a weekday also takes that weekday's
    length; the package does not say which weekday, so such days must be in the table.
    """
    following = d + timedelta(days=1)
    return (following.month, following.day) in _STATUTORY_HOLIDAYS


def _as_dates(year: int, name: str, values: object) -> list[date]:
    if not isinstance(values, list | tuple):
        raise ValueError(f"production calendar {year}: {name} must be a list of dates")
    return [_as_date(year, value) for value in values]


def _as_date(year: int, value: object) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"production calendar {year}: bad date {value!r}") from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"production calendar {year}: expected a date, got {value!r}")
    if value.year != year:
        raise ValueError(f"production calendar {year}: {value.isoformat()} is in another year")
    return value


def _package_is_working(d: date) -> bool:
    holidays_, weekend_workdays = _package_year(d.year)
    if d in weekend_workdays:
        return True
    return d.weekday() < 5 and d not in holidays_


@functools.cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The package's holidays and worked weekend days for one year, built once."""
    russia = holidays.Russia(years=year)
    return frozenset(russia), frozenset(russia.weekend_workdays)
