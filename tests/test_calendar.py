from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from calllog.calendar import DayKind, ProductionCalendar


@pytest.fixture(scope="module")
def calendar() -> ProductionCalendar:
    return ProductionCalendar.from_file()


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize(
    "d",
    [
        # 2026 extra days off (decree No. 1466 and weekend carry-overs)
        date(2026, 1, 9),
        date(2026, 3, 9),
        date(2026, 5, 11),
        date(2026, 12, 31),
        # 2025 extra days off
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 12, 31),
        # statutory holidays
        date(2026, 1, 1),
        date(2026, 1, 7),
        date(2026, 1, 8),
        date(2026, 2, 23),
        date(2026, 5, 1),
        date(2026, 6, 12),
        date(2026, 11, 4),
        # 2027, from the package and the table
        date(2027, 2, 22),
        date(2027, 11, 5),
        date(2027, 12, 31),
    ],
)
def test_days_off(calendar: ProductionCalendar, d: date) -> None:
    assert calendar.day_kind(d) is DayKind.NON_WORKING
    assert not calendar.is_working_day(d)
    assert calendar.is_holiday(d)


@pytest.mark.parametrize("d", [date(2025, 11, 1), date(2027, 2, 20)])
def test_working_saturdays(calendar: ProductionCalendar, d: date) -> None:
    assert d.weekday() == 5
    assert calendar.is_working_day(d)


@pytest.mark.parametrize(
    "d",
    [
        date(2025, 3, 7),
        date(2025, 4, 30),
        date(2025, 6, 11),
        date(2025, 11, 1),
        date(2026, 4, 30),
        date(2026, 5, 8),
        date(2026, 6, 11),
        date(2026, 11, 3),
        date(2027, 2, 20),
        date(2027, 4, 30),
        date(2027, 6, 11),
        date(2027, 11, 3),
    ],
)
def test_short_days(calendar: ProductionCalendar, d: date) -> None:
    assert calendar.day_kind(d) is DayKind.SHORT
    assert calendar.is_working_day(d)


@pytest.mark.parametrize(
    "d",
    [date(2026, 2, 20), date(2026, 3, 6), date(2026, 12, 30), date(2025, 12, 30)],
)
def test_days_before_weekends_and_days_off_are_not_short(
    calendar: ProductionCalendar, d: date
) -> None:
    assert calendar.day_kind(d) is DayKind.WORKING


@pytest.mark.parametrize(
    ("d", "kind"),
    [
        (date(2026, 12, 5), DayKind.NON_WORKING),  # Saturday
        (date(2026, 12, 6), DayKind.NON_WORKING),  # Sunday
        (date(2026, 12, 7), DayKind.WORKING),  # Monday
        (date(2026, 12, 4), DayKind.WORKING),  # Friday
        (date(2026, 3, 7), DayKind.NON_WORKING),  # Saturday before 8 March
    ],
)
def test_ordinary_days(calendar: ProductionCalendar, d: date, kind: DayKind) -> None:
    assert calendar.day_kind(d) is kind


def test_plain_weekend_is_not_a_holiday(calendar: ProductionCalendar) -> None:
    assert not calendar.is_holiday(date(2026, 12, 5))
    assert calendar.is_holiday(date(2026, 5, 9))  # Victory Day on a Saturday
    assert calendar.is_holiday(date(2026, 1, 3))  # New Year break on a Saturday


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_table_agrees_with_holidays_package(calendar: ProductionCalendar, year: int) -> None:
    """Catch a change in the package or the table: both must agree on every day."""
    russia = holidays.Russia(years=year)
    disagreements = [
        d.isoformat()
        for d in days_of(year)
        if calendar.is_working_day(d) != russia.is_working_day(d)
    ]
    assert disagreements == []


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_short_days_follow_the_labour_code_rule(calendar: ProductionCalendar, year: int) -> None:
    """The table's short days are the rule's, plus worked Saturdays standing in for them."""
    rule_only = ProductionCalendar()  # the package and the rule, no table
    table = {d for d in days_of(year) if calendar.day_kind(d) is DayKind.SHORT}
    by_rule = {
        d
        for d in days_of(year)
        if calendar.is_working_day(d) and rule_only.day_kind(d) is DayKind.SHORT
    }
    assert by_rule <= table
    assert all(d.weekday() == 5 for d in table - by_rule)


@pytest.mark.parametrize(
    ("d", "kind"),
    [
        (date(2024, 2, 22), DayKind.SHORT),  # before 23 February
        (date(2024, 2, 23), DayKind.NON_WORKING),
        (date(2024, 12, 30), DayKind.NON_WORKING),  # decreed day off, in the package
        (date(2030, 1, 1), DayKind.NON_WORKING),
        (date(2030, 5, 8), DayKind.SHORT),
        (date(2030, 5, 15), DayKind.WORKING),
        (date(2030, 5, 18), DayKind.NON_WORKING),
    ],
)
def test_years_outside_the_table_fall_back_to_the_package(
    calendar: ProductionCalendar, d: date, kind: DayKind
) -> None:
    assert calendar.day_kind(d) is kind


def test_worked_saturday_outside_the_table_comes_from_the_package(
    calendar: ProductionCalendar,
) -> None:
    assert calendar.is_working_day(date(2024, 12, 28))


def test_extra_overrides_win() -> None:
    calendar = ProductionCalendar.from_file(
        extra={
            2026: {"days_off": ["2026-12-30"], "short_days": [date(2026, 12, 29)]},
            2028: {"working_weekends": ["2028-01-15"]},
        }
    )
    assert calendar.day_kind(date(2026, 12, 30)) is DayKind.NON_WORKING
    assert calendar.day_kind(date(2026, 12, 29)) is DayKind.SHORT
    assert calendar.day_kind(date(2026, 4, 30)) is DayKind.SHORT  # shipped table kept
    assert calendar.day_kind(date(2028, 1, 15)) is DayKind.WORKING


def test_working_weekend_in_extra_keeps_a_short_day() -> None:
    calendar = ProductionCalendar.from_file(extra={2025: {"working_weekends": ["2025-11-01"]}})
    assert calendar.day_kind(date(2025, 11, 1)) is DayKind.SHORT


def test_from_file_reads_a_given_path(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text("[2031]\ndays_off = [2031-06-13]\nshort_days = []\n")
    calendar = ProductionCalendar.from_file(path)
    assert calendar.day_kind(date(2031, 6, 13)) is DayKind.NON_WORKING
    # short_days given, so no rule-based short day before 12 June
    assert calendar.day_kind(date(2031, 6, 11)) is DayKind.WORKING
    # the shipped table is not loaded
    assert calendar.day_kind(date(2026, 1, 9)) is DayKind.NON_WORKING  # the package has it
    assert calendar.day_kind(date(2026, 5, 8)) is DayKind.SHORT  # by the rule


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"holidays": []}, "unknown keys"),
        ({"days_off": ["2025-05-02"]}, "another year"),
        ({"days_off": ["2026-02-30"]}, "bad date"),
        ({"days_off": [20260109]}, "expected a date"),
        ({"days_off": "2026-01-09"}, "must be a list"),
        ({"days_off": ["2026-01-09"], "short_days": ["2026-01-09"]}, "both off and worked"),
    ],
)
def test_bad_tables_are_rejected(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProductionCalendar({2026: table})
