"""Address, hours and outreach receptions (key 4), then the main menu."""

from __future__ import annotations

from datetime import UTC, datetime, time

from calllog.hours import OfficeHours
from ivr.branches.info import hours_words, start
from ivr.menu import menu_choice
from models import CallOutcome
from tests.ivr.fakes import PERM, FakeSchedule, FakeTurn, reply, url_of

WEEKDAYS = (
    "Часы работы: с понедельника по пятницу с десяти часов до восемнадцати часов, "
    "перерыв с тринадцати часов до четырнадцати часов."
)


def test_info_gives_the_address_and_hours_then_the_main_menu() -> None:
    turn = FakeTurn()

    answer = reply(start(turn))

    assert answer.said.startswith("Общественная приёмная находится по адресу")
    assert WEEKDAYS in answer.said
    assert "Выездных приёмов в ближайший месяц нет." in answer.said
    assert answer.action == url_of(menu_choice, attempt=1)
    assert turn.log.outcomes == [CallOutcome.INFO]


def test_the_next_outreach_receptions_are_said_in_office_time() -> None:
    schedule = FakeSchedule(
        receptions=[
            (datetime(2026, 12, 8, 5, 0, tzinfo=UTC), "Чернушка, администрация"),
            (datetime(2026, 12, 15, 6, 30, tzinfo=UTC), "Кунгур, библиотека"),
        ]
    )
    turn = FakeTurn(schedule=schedule)

    answer = reply(start(turn))

    assert (
        "Ближайшие выездные приёмы: во вторник, восьмого декабря, в десять часов, "
        "Чернушка, администрация; во вторник, пятнадцатого декабря, "
        "в одиннадцать часов тридцать минут, Кунгур, библиотека." in answer.said
    )
    assert "Выездных приёмов" not in answer.said
    assert schedule.asked == [(30, 3)]


def test_hours_in_words_group_adjacent_days_and_name_single_ones() -> None:
    morning = ((time(9, 30), time(13)),)
    hours = OfficeHours(
        tz=PERM, week={0: morning, 1: morning, 3: morning, 5: ((time(10), time(14)),)}
    )

    assert hours_words(hours) == (
        "с понедельника по вторник с девяти часов тридцати минут до тринадцати часов; "
        "в четверг с девяти часов тридцати минут до тринадцати часов; "
        "в субботу с десяти часов до четырнадцати часов"
    )
