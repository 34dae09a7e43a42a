from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from calllog.calendar import ProductionCalendar
from calllog.hours import DEFAULT_WEEK, OfficeHours

PERM = ZoneInfo("Asia/Yekaterinburg")


@pytest.fixture(scope="module")
def calendar() -> ProductionCalendar:
    return ProductionCalendar.from_file()


@pytest.fixture(scope="module")
def hours(calendar: ProductionCalendar) -> OfficeHours:
    return OfficeHours(calendar=calendar)


def perm(*args: int) -> datetime:
    return datetime(*args, tzinfo=PERM)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (perm(2025, 12, 8, 9, 59), False),
        (perm(2025, 12, 8, 10, 0), True),
        (perm(2025, 12, 8, 12, 59), True),
        (perm(2025, 12, 8, 13, 0), False),
        (perm(2025, 12, 8, 13, 59), False),
        (perm(2025, 12, 8, 14, 0), True),
        (perm(2025, 12, 8, 17, 59), True),
        (perm(2025, 12, 8, 18, 0), False),
        (perm(2025, 12, 6, 11, 0), False),  # Saturday
        (perm(2025, 12, 7, 11, 0), False),  # Sunday
        (perm(2026, 1, 9, 11, 0), False),  # transferred day off
        (perm(2025, 11, 1, 11, 0), True),  # working Saturday
    ],
)
def test_is_open(hours: OfficeHours, at: datetime, is_open: bool) -> None:
    assert hours.is_open(at) is is_open


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        (perm(2025, 12, 5, 18, 30), perm(2025, 12, 8, 10, 0)),  # Friday evening
        (perm(2025, 12, 3, 13, 30), perm(2025, 12, 3, 14, 0)),  # lunch
        (perm(2025, 12, 3, 8, 0), perm(2025, 12, 3, 10, 0)),  # early morning
        (perm(2025, 12, 6, 12, 0), perm(2025, 12, 8, 10, 0)),  # Saturday
        (perm(2026, 1, 1, 0, 0), perm(2026, 1, 12, 10, 0)),  # New Year break
        (perm(2025, 12, 30, 19, 0), perm(2026, 1, 12, 10, 0)),
        (perm(2026, 12, 30, 19, 0), perm(2027, 1, 11, 10, 0)),
        (perm(2026, 4, 30, 17, 0), perm(2026, 5, 4, 10, 0)),  # short day, May holidays
        (perm(2025, 10, 31, 18, 0), perm(2025, 11, 1, 10, 0)),  # to a working Saturday
    ],
)
def test_next_opening(hours: OfficeHours, at: datetime, opening: datetime) -> None:
    assert hours.next_opening(at) == opening


def test_next_opening_when_open_is_now(hours: OfficeHours) -> None:
    at = perm(2025, 12, 3, 11, 15, 42)
    assert hours.next_opening(at) == at
    assert hours.next_working_time(at) == at


def test_next_working_time_when_closed(hours: OfficeHours) -> None:
    assert hours.next_working_time(perm(2025, 12, 5, 18, 30)) == perm(2025, 12, 8, 10, 0)


@pytest.mark.parametrize(
    ("at", "start"),
    [
        (perm(2025, 12, 3, 9, 0), perm(2025, 12, 4, 10, 0)),  # not today, even before opening
        (perm(2025, 12, 5, 11, 0), perm(2025, 12, 8, 10, 0)),
        (perm(2026, 4, 30, 11, 0), perm(2026, 5, 4, 10, 0)),
        (perm(2026, 12, 30, 11, 0), perm(2027, 1, 11, 10, 0)),
    ],
)
def test_next_working_day_start(hours: OfficeHours, at: datetime, start: datetime) -> None:
    assert hours.next_working_day_start(at) == start


def test_short_day_closes_an_hour_early(hours: OfficeHours) -> None:
    assert hours.intervals(date(2026, 4, 30)) == [
        (perm(2026, 4, 30, 10, 0), perm(2026, 4, 30, 13, 0)),
        (perm(2026, 4, 30, 14, 0), perm(2026, 4, 30, 17, 0)),
    ]
    assert hours.is_open(perm(2026, 4, 30, 16, 59))
    assert not hours.is_open(perm(2026, 4, 30, 17, 0))


def test_working_saturday_keeps_the_friday_timetable(hours: OfficeHours) -> None:
    # 1 November 2025 is worked for Monday 3 November and is also a short day.
    assert hours.intervals(date(2025, 11, 1)) == [
        (perm(2025, 11, 1, 10, 0), perm(2025, 11, 1, 13, 0)),
        (perm(2025, 11, 1, 14, 0), perm(2025, 11, 1, 17, 0)),
    ]


def test_long_short_day_cut_reaches_into_the_morning(calendar: ProductionCalendar) -> None:
    hours = OfficeHours(calendar=calendar, short_day_minutes=5 * 60)
    assert hours.intervals(date(2026, 4, 30)) == [
        (perm(2026, 4, 30, 10, 0), perm(2026, 4, 30, 13, 0)),
    ]


def test_utc_input_is_converted(hours: OfficeHours) -> None:
    friday_evening = datetime(2025, 12, 5, 13, 30, tzinfo=UTC)  # 18:30 in Perm
    opening = hours.next_opening(friday_evening)
    assert opening == datetime(2025, 12, 8, 5, 0, tzinfo=UTC)
    assert opening.tzinfo == PERM
    assert opening.hour == 10
    assert hours.is_open(datetime(2025, 12, 8, 5, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2025, 12, 8, 4, 59, tzinfo=UTC))


def test_local_date_decides_the_day(hours: OfficeHours) -> None:
    # 20:00 UTC on Sunday is 01:00 on Monday in Perm.
    at = datetime(2025, 12, 7, 20, 0, tzinfo=UTC)
    assert hours.next_opening(at) == perm(2025, 12, 8, 10, 0)
    assert hours.next_working_day_start(at) == perm(2025, 12, 9, 10, 0)


def test_naive_datetime_is_rejected(hours: OfficeHours) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        hours.is_open(datetime(2025, 12, 8, 11, 0))


def test_from_config_defaults(calendar: ProductionCalendar) -> None:
    hours = OfficeHours.from_config(None, None, calendar)
    assert hours.tz == PERM
    assert hours.week == DEFAULT_WEEK
    assert OfficeHours.from_config("  ", "", calendar).week == DEFAULT_WEEK


def test_from_config_parses_a_spec(calendar: ProductionCalendar) -> None:
    hours = OfficeHours.from_config(
        "mon-fri 10:00-13:00,14:00-18:00; sat 10:00-14:00", "Europe/Moscow", calendar
    )
    workday = ((time(10), time(13)), (time(14), time(18)))
    saturday = ((time(10), time(14)),)
    assert hours.week == {0: workday, 1: workday, 2: workday, 3: workday, 4: workday, 5: saturday}
    assert hours.tz == ZoneInfo("Europe/Moscow")
    moscow = ZoneInfo("Europe/Moscow")
    assert hours.is_open(datetime(2025, 12, 6, 13, 59, tzinfo=moscow))  # Saturday
    assert not hours.is_open(datetime(2025, 12, 7, 11, 0, tzinfo=moscow))  # Sunday
    assert not hours.is_open(datetime(2026, 5, 9, 11, 0, tzinfo=moscow))  # Saturday holiday


def test_from_config_day_lists_and_spacing(calendar: ProductionCalendar) -> None:
    hours = OfficeHours.from_config(" MON,wed-thu  9:00-12:30 , 13:15-17:00 ;; ", None, calendar)
    day = ((time(9), time(12, 30)), (time(13, 15), time(17)))
    assert hours.week == {0: day, 2: day, 3: day}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mon-fri", "expected days, a space and intervals"),
        ("mon-fri 10-13", "bad interval '10-13', expected HH:MM-HH:MM"),
        ("mon-fri 10:00-13:00,", "bad interval ''"),
        ("xyz 10:00-13:00", "unknown day 'xyz'"),
        ("fri-mon 10:00-13:00", "day range 'fri-mon' runs backwards"),
        ("mon 25:00-26:00", "no such time"),
        ("mon 13:00-10:00", "13:00-10:00 ends too early"),
        ("mon 10:00-13:00,12:00-14:00", "12:00 overlaps or is out of order"),
        ("mon-fri 10:00-13:00; fri 14:00-15:00", "fri given twice"),
        (";", "no days given"),
    ],
)
def test_from_config_rejects_a_bad_spec(
    calendar: ProductionCalendar, spec: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours.from_config(spec, None, calendar)


def test_from_config_rejects_an_unknown_time_zone(calendar: ProductionCalendar) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Perm'"):
        OfficeHours.from_config(None, "Europe/Perm", calendar)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"week": {7: ((time(10), time(12)),)}}, "weekday must be 0-6"),
        ({"week": {0: ()}}, "never open"),
        ({"short_day_minutes": -1}, "must not be negative"),
    ],
)
def test_bad_office_hours_are_rejected(
    calendar: ProductionCalendar, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours(calendar=calendar, **kwargs)  # type: ignore[arg-type]
