"""Russian words for the voice menu: numbers, dates, times and phone numbers.

Everything here returns plain text for ``<Say language="ru-RU">``. Numbers come from
num2words (``lang="ru"``), month names in the genitive from Babel's CLDR data; the few
forms neither library provides (weekdays after «в», counted nouns) are small tables.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from babel.dates import get_month_names
from num2words import num2words

from calllog.russian import plural

CASES = ("n", "g", "d", "a", "i", "p")
GENDERS = ("m", "f", "n")

#: «в понедельник», «во вторник», ... indexed by ``date.weekday()``.
_WEEKDAYS_ACCUSATIVE = (
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
)

#: CLDR "format" month names in Russian are genitive: «января», «декабря».
_MONTHS_GENITIVE = get_month_names("wide", context="format", locale="ru")

# Forms of a counted noun after 1, after 2-4 and after 5-20, per grammatical case.
# In the oblique cases the noun is singular after 1 and plural otherwise.
_DAY_FORMS = {
    "n": ("день", "дня", "дней"),
    "g": ("дня", "дней", "дней"),
    "d": ("дню", "дням", "дням"),
    "a": ("день", "дня", "дней"),
    "i": ("днём", "днями", "днями"),
    "p": ("дне", "днях", "днях"),
}
_HOURS_ACCUSATIVE = ("час", "часа", "часов")
_MINUTES_ACCUSATIVE = ("минуту", "минуты", "минут")
_HOURS_GENITIVE = ("часа", "часов", "часов")
_MINUTES_GENITIVE = ("минуты", "минут", "минут")

#: Abbreviations staff type in places, and what is said for them. An abbreviation
#: counts only as a word of its own (``с.`` is not the end of «Пермс.»).
_ABBREVIATIONS = {
    "г.": "город",
    "ул.": "улица",
    "д.": "дом",
    "каб.": "кабинет",
    "с.": "село",
    "пос.": "посёлок",
    "р-н": "район",
}
_ABBREVIATION = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(short) for short in _ABBREVIATIONS)
    + r")(?:(?<=\.)|(?!\w))\s*",
    re.IGNORECASE,
)


_PHONE_GROUPS = {11: (1, 3, 3, 2, 2), 10: (3, 3, 2, 2), 7: (3, 2, 2)}


def number_words(n: int, case: str = "n", gender: str = "m") -> str:
    """Say a cardinal number in the given case and gender.

    ``case`` is one of n/g/d/a/i/p, ``gender`` one of m/f/n (num2words' Russian aliases
    'ж'/'с' silently give the masculine, so they are rejected here). Inanimate forms are
    used: «две минуты», not «двух минут», in the accusative. Numbers from 1000 to 1999
    start with «тысяча», as people say it, not «одна тысяча».
    """
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}, expected one of {', '.join(CASES)}")
    if gender not in GENDERS:
        raise ValueError(f"unknown gender {gender!r}, expected one of {', '.join(GENDERS)}")
    if n < 0:
        return f"минус {number_words(-n, case, gender)}"

    # num2words applies the gender to every group («две миллиона»), so only the last
    # three digits get the requested gender; тысяча/миллион agree on their own.
    high, low = n - n % 1000, n % 1000
    words = []
    if high:
        high_words = _cardinal(high, case, "m").split()
        if high < 2000:
            high_words = high_words[1:]
        words.extend(high_words)
    if low or not high:
        words.append(_cardinal(low, case, gender))
    return " ".join(words)


def digits_words(digits: str) -> str:
    """Say a reference number digit by digit: "2025001" → «два ноль два пять ноль ноль один»."""
    _check_digits(digits)
    return " ".join(number_words(int(digit)) for digit in digits)


def date_words(d: date, weekday: bool = True) -> str:
    """Say a date: «во вторник, третьего декабря», or «третьего декабря» without the weekday."""
    day = num2words(d.day, lang="ru", to="ordinal", case="g", gender="n")
    words = f"{day} {_MONTHS_GENITIVE[d.month]}"
    if weekday:
        return f"{_WEEKDAYS_ACCUSATIVE[d.weekday()]}, {words}"
    return words


def time_words(t: time) -> str:
    """Say a clock time the official 24-hour way.

    «в тринадцать часов», «в одиннадцать часов двадцать одну минуту»; zero minutes are
    not spoken.
    """
    words = f"в {_counted(t.hour, 'a', 'm', _HOURS_ACCUSATIVE)}"
    if t.minute:
        words += f" {_counted(t.minute, 'a', 'f', _MINUTES_ACCUSATIVE)}"
    return words


def clock_genitive(t: time) -> str:
    """Say a clock time after «с» or «до»: «десяти часов», «двадцати одного часа»,
    «тринадцати часов одной минуты»; zero minutes are not spoken."""
    words = _counted(t.hour, "g", "m", _HOURS_GENITIVE)
    if t.minute:
        words += f" {_counted(t.minute, 'g', 'f', _MINUTES_GENITIVE)}"
    return words


def spoken_place(text: str) -> str:
    """A place typed by staff, with its abbreviations in full: «г. Пермь, ул. Ленина» →
    «город Пермь, улица Ленина»."""

    def full(match: re.Match[str]) -> str:
        word = _ABBREVIATIONS[match[1].lower()]
        rest = text[match.end() :]
        return word if not rest or rest[0] in ",;." else word + " "

    return _ABBREVIATION.sub(full, text)


def datetime_words(dt: datetime) -> str:
    """Say a date and time: «во вторник, третьего декабря, в одиннадцать часов»."""
    return f"{date_words(dt.date())}, {time_words(dt.time())}"


def when_words(moment: datetime, now: datetime) -> str:
    """Say when ``moment`` is, as seen from ``now``, as briefly as is unambiguous.

    «сегодня в четырнадцать часов», «завтра в десять часов», «в понедельник в десять
    часов» within the next six days, otherwise the full date and time. An aware ``now``
    is first converted to the time zone of an aware ``moment``.
    """
    if moment.tzinfo is not None and now.tzinfo is not None:
        now = now.astimezone(moment.tzinfo)
    days_ahead = (moment.date() - now.date()).days
    at = time_words(moment.time())
    if days_ahead == 0:
        return f"сегодня {at}"
    if days_ahead == 1:
        return f"завтра {at}"
    if 1 < days_ahead <= 6:
        return f"{_WEEKDAYS_ACCUSATIVE[moment.weekday()]} {at}"
    return datetime_words(moment)


def days_words(n: int, case: str = "n") -> str:
    """Say a number of days: «тридцать дней»; genitive «тридцати дней», «двадцати одного дня»."""
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}, expected one of {', '.join(CASES)}")
    return _counted(n, case, "m", _DAY_FORMS[case])


def phone_words(national_digits: str) -> str:
    """Read a phone number back in the groups Russians say it in.

    11 digits are split 1-3-3-2-2 (8 902 471 22 33), 10 digits 3-3-2-2, a 7-digit local
    number 3-2-2. A group is said as one number («девятьсот два») unless it starts with
    0, then digit by digit («ноль семь»). Groups are separated by commas, which the
    speech engine turns into short pauses. Any other length is read digit by digit.
    """
    _check_digits(national_digits)
    sizes = _PHONE_GROUPS.get(len(national_digits))
    if sizes is None:
        return digits_words(national_digits)

    groups = []
    start = 0
    for size in sizes:
        group = national_digits[start : start + size]
        start += size
        if group.startswith("0"):
            groups.append(digits_words(group))
        else:
            groups.append(number_words(int(group)))
    return ", ".join(groups)


def _cardinal(n: int, case: str, gender: str) -> str:
    return num2words(n, lang="ru", case=case, gender=gender, animate=False)


def _counted(n: int, case: str, gender: str, forms: tuple[str, str, str]) -> str:
    """Say ``n`` followed by the noun form that agrees with it (1 день, 2 дня, 5 дней)."""
    return f"{number_words(n, case, gender)} {plural(n, *forms)}"


def _check_digits(digits: str) -> None:
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected a string of digits 0-9, got {digits!r}")
