from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from calllog.russian import plural
from ivr.speech import (
    date_words,
    datetime_words,
    days_words,
    digits_words,
    number_words,
    phone_words,
    time_words,
    when_words,
)

PERM = ZoneInfo("Asia/Yekaterinburg")


@pytest.mark.parametrize(
    ("n", "case", "gender", "expected"),
    [
        (0, "n", "m", "ноль"),
        (1, "n", "m", "один"),
        (1, "n", "f", "одна"),
        (1, "n", "n", "одно"),
        (2, "n", "f", "две"),
        (2, "a", "m", "два"),
        (2, "a", "f", "две"),
        (1, "a", "f", "одну"),
        (5, "g", "m", "пяти"),
        (11, "n", "m", "одиннадцать"),
        (21, "n", "f", "двадцать одна"),
        (21, "g", "m", "двадцати одного"),
        (22, "a", "f", "двадцать две"),
        (25, "n", "m", "двадцать пять"),
        (30, "g", "m", "тридцати"),
        (40, "i", "m", "сорока"),
        (100, "n", "m", "сто"),
        (1000, "n", "m", "тысяча"),
        (1234, "n", "m", "тысяча двести тридцать четыре"),
        (1002, "g", "f", "тысячи двух"),
        (2002, "n", "f", "две тысячи две"),
        (21000, "n", "m", "двадцать одна тысяча"),
        (2000001, "n", "f", "два миллиона одна"),
        (-3, "n", "m", "минус три"),
    ],
)
def test_number_words(n: int, case: str, gender: str, expected: str) -> None:
    assert number_words(n, case, gender) == expected


@pytest.mark.parametrize(("case", "gender"), [("x", "m"), ("n", "ж"), ("n", "с")])
def test_number_words_rejects_unknown_case_or_gender(case: str, gender: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        number_words(2, case, gender)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("2025001", "два ноль два пять ноль ноль один"),
        ("0", "ноль"),
        ("1234567890", "один два три четыре пять шесть семь восемь девять ноль"),
    ],
)
def test_digits_words(digits: str, expected: str) -> None:
    assert digits_words(digits) == expected


@pytest.mark.parametrize("digits", ["", "12a4", "12 34", "+7902", "١٢٣"])
def test_digits_words_rejects_non_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        digits_words(digits)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 12, 1), "в понедельник, первого декабря"),
        (date(2025, 12, 2), "во вторник, второго декабря"),
        (date(2025, 12, 3), "в среду, третьего декабря"),
        (date(2025, 12, 4), "в четверг, четвёртого декабря"),
        (date(2025, 12, 5), "в пятницу, пятого декабря"),
        (date(2025, 12, 6), "в субботу, шестого декабря"),
        (date(2025, 12, 7), "в воскресенье, седьмого декабря"),
        (date(2026, 1, 12), "в понедельник, двенадцатого января"),
        (date(2026, 3, 31), "во вторник, тридцать первого марта"),
        (date(2026, 2, 23), "в понедельник, двадцать третьего февраля"),
    ],
)
def test_date_words(d: date, expected: str) -> None:
    assert date_words(d) == expected


@pytest.mark.parametrize(
    ("month", "genitive"),
    [
        (1, "января"),
        (2, "февраля"),
        (3, "марта"),
        (4, "апреля"),
        (5, "мая"),
        (6, "июня"),
        (7, "июля"),
        (8, "августа"),
        (9, "сентября"),
        (10, "октября"),
        (11, "ноября"),
        (12, "декабря"),
    ],
)
def test_date_words_month_genitive(month: int, genitive: str) -> None:
    assert date_words(date(2026, month, 20), weekday=False) == f"двадцатого {genitive}"


def test_date_words_without_weekday() -> None:
    assert date_words(date(2025, 12, 3), weekday=False) == "третьего декабря"


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (time(10, 0), "в десять часов"),
        (time(11, 0), "в одиннадцать часов"),
        (time(13, 0), "в тринадцать часов"),
        (time(10, 30), "в десять часов тридцать минут"),
        (time(11, 21), "в одиннадцать часов двадцать одну минуту"),
        (time(12, 1), "в двенадцать часов одну минуту"),
        (time(14, 2), "в четырнадцать часов две минуты"),
        (time(9, 5), "в девять часов пять минут"),
        (time(9, 11), "в девять часов одиннадцать минут"),
        (time(9, 22), "в девять часов двадцать две минуты"),
        (time(9, 25), "в девять часов двадцать пять минут"),
        (time(1, 0), "в один час"),
        (time(2, 0), "в два часа"),
        (time(4, 0), "в четыре часа"),
        (time(5, 0), "в пять часов"),
        (time(21, 0), "в двадцать один час"),
        (time(22, 0), "в двадцать два часа"),
        (time(23, 59), "в двадцать три часа пятьдесят девять минут"),
    ],
)
def test_time_words(t: time, expected: str) -> None:
    assert time_words(t) == expected


def test_datetime_words() -> None:
    assert datetime_words(datetime(2025, 12, 2, 11, 0, tzinfo=PERM)) == (
        "во вторник, второго декабря, в одиннадцать часов"
    )
    assert datetime_words(datetime(2025, 12, 3, 11, 30)) == (
        "в среду, третьего декабря, в одиннадцать часов тридцать минут"
    )


NOW = datetime(2026, 1, 8, 12, 0, tzinfo=PERM)  # a Thursday


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 8, 14, 0, tzinfo=PERM), "сегодня в четырнадцать часов"),
        (datetime(2026, 1, 9, 10, 0, tzinfo=PERM), "завтра в десять часов"),
        (datetime(2026, 1, 10, 10, 30, tzinfo=PERM), "в субботу в десять часов тридцать минут"),
        (datetime(2026, 1, 12, 10, 0, tzinfo=PERM), "в понедельник в десять часов"),
        (datetime(2026, 1, 14, 10, 0, tzinfo=PERM), "в среду в десять часов"),
        (
            datetime(2026, 1, 15, 10, 0, tzinfo=PERM),
            "в четверг, пятнадцатого января, в десять часов",
        ),
        (
            datetime(2026, 1, 19, 10, 0, tzinfo=PERM),
            "в понедельник, девятнадцатого января, в десять часов",
        ),
    ],
)
def test_when_words(moment: datetime, expected: str) -> None:
    assert when_words(moment, NOW) == expected


def test_when_words_compares_local_dates() -> None:
    # 20:00 UTC on the 8th is already 01:00 on the 9th in Perm.
    now = datetime(2026, 1, 8, 20, 0, tzinfo=ZoneInfo("UTC"))
    moment = datetime(2026, 1, 9, 10, 0, tzinfo=PERM)
    assert when_words(moment, now) == "сегодня в десять часов"


@pytest.mark.parametrize(
    ("n", "nominative", "genitive"),
    [
        (1, "один день", "одного дня"),
        (2, "два дня", "двух дней"),
        (4, "четыре дня", "четырёх дней"),
        (5, "пять дней", "пяти дней"),
        (11, "одиннадцать дней", "одиннадцати дней"),
        (12, "двенадцать дней", "двенадцати дней"),
        (21, "двадцать один день", "двадцати одного дня"),
        (22, "двадцать два дня", "двадцати двух дней"),
        (25, "двадцать пять дней", "двадцати пяти дней"),
        (30, "тридцать дней", "тридцати дней"),
        (111, "сто одиннадцать дней", "ста одиннадцати дней"),
    ],
)
def test_days_words(n: int, nominative: str, genitive: str) -> None:
    assert days_words(n) == nominative
    assert days_words(n, "g") == genitive


@pytest.mark.parametrize(
    ("n", "case", "expected"),
    [
        (1, "d", "одному дню"),
        (3, "d", "трём дням"),
        (1, "i", "одним днём"),
        (7, "i", "семью днями"),
        (1, "p", "одном дне"),
        (30, "p", "тридцати днях"),
        (21, "a", "двадцать один день"),
    ],
)
def test_days_words_other_cases(n: int, case: str, expected: str) -> None:
    assert days_words(n, case) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        (
            "89024712233",
            "восемь, девятьсот два, четыреста семьдесят один, двадцать два, тридцать три",
        ),
        (
            "73422368229",
            "семь, триста сорок два, двести тридцать шесть, восемьдесят два, двадцать девять",
        ),
        (
            "88002003411",
            "восемь, восемьсот, двести, тридцать четыре, одиннадцать",
        ),
        (
            "83422070105",
            "восемь, триста сорок два, двести семь, ноль один, ноль пять",
        ),
        (
            "89020470700",
            "восемь, девятьсот два, ноль четыре семь, ноль семь, ноль ноль",
        ),
        ("9024712233", "девятьсот два, четыреста семьдесят один, двадцать два, тридцать три"),
        ("2367992", "двести тридцать шесть, семьдесят девять, девяносто два"),
        ("2360710", "двести тридцать шесть, ноль семь, десять"),
        ("112", "один один два"),
    ],
)
def test_phone_words(digits: str, expected: str) -> None:
    assert phone_words(digits) == expected


@pytest.mark.parametrize("digits", ["", "+79024712233", "8 902 471-22-33"])
def test_phone_words_rejects_non_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        phone_words(digits)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "звонков"),
        (1, "звонок"),
        (2, "звонка"),
        (4, "звонка"),
        (5, "звонков"),
        (11, "звонков"),
        (14, "звонков"),
        (21, "звонок"),
        (22, "звонка"),
        (101, "звонок"),
        (111, "звонков"),
    ],
)
def test_plural_picks_the_noun_form(n, expected):
    assert plural(n, "звонок", "звонка", "звонков") == expected
