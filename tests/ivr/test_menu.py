"""The greeting and the main menu: keys, the star, retries and giving up."""

from __future__ import annotations

import pytest

from ivr.menu import incoming_call, menu_choice
from models import CallOutcome
from tests.ivr.fakes import CLOSED_TIME, FakeTurn, reply, url_of

MENU_TEXT = "Чтобы записаться на личный приём, нажмите 1."


def test_the_greeting_names_the_line_and_asks_the_main_menu_on_its_first_try() -> None:
    turn = FakeTurn(first_request=True)

    answer = reply(incoming_call(turn))

    assert answer.verbs == ["Say", "Gather", "Redirect"]
    assert "Вы позвонили в общественную приёмную. Разговор может записываться." in answer.said
    assert MENU_TEXT in answer.said
    assert "закрыта" not in answer.said
    assert answer.action == url_of(menu_choice, attempt=1)
    assert answer.redirect == url_of(menu_choice, attempt=1, timeout=1)
    assert turn.log.events == [("menu", "try 1")]


def test_out_of_hours_the_greeting_says_when_the_office_opens() -> None:
    answer = reply(incoming_call(FakeTurn(now=CLOSED_TIME)))

    assert "Приёмная сейчас закрыта. Мы откроемся завтра в десять часов." in answer.said
    assert MENU_TEXT in answer.said  # self-service works around the clock


def test_a_repeated_first_request_is_answered_the_same_and_logs_nothing() -> None:
    first, repeated = FakeTurn(first_request=True), FakeTurn(first_request=False)

    assert str(incoming_call(repeated)) == str(incoming_call(first))
    assert repeated.log.events == []


@pytest.mark.parametrize(
    ("key", "heard"),
    [
        ("1", "свободного времени для записи сейчас нет"),
        ("2", "нам нужно ваше согласие на обработку персональных данных"),
        ("3", "Введите номер обращения и нажмите решётку."),
        ("4", "Общественная приёмная находится по адресу"),
        ("0", "Соединяю с сотрудником приёмной."),
    ],
)
def test_each_menu_key_starts_its_branch(key: str, heard: str) -> None:
    turn = FakeTurn(digits=key, args={"attempt": "1"})

    answer = reply(menu_choice(turn))

    assert heard in answer.said
    assert turn.log.events[0] == ("key", key)


def test_the_star_repeats_the_menu_without_using_a_try() -> None:
    turn = FakeTurn(digits="*", args={"attempt": "2"})

    answer = reply(menu_choice(turn))

    assert answer.said.startswith(MENU_TEXT)
    assert answer.action == url_of(menu_choice, attempt=2)
    assert turn.log.events == [("key", "*")]


def test_a_wrong_key_says_so_and_asks_again_on_the_next_try() -> None:
    turn = FakeTurn(digits="7", args={"attempt": "1"})

    answer = reply(menu_choice(turn))

    assert answer.said.startswith("Такого пункта в меню нет.")
    assert answer.action == url_of(menu_choice, attempt=2)
    assert turn.log.events == [("wrong_key", "7"), ("menu", "try 2")]


def test_the_third_wrong_key_gives_up_with_a_callback_for_a_known_caller() -> None:
    turn = FakeTurn()
    answer = reply(incoming_call(turn))
    for _ in range(2):
        answer = reply(turn.post(answer.action, "7"))
        assert "Gather" in answer.verbs

    last = reply(turn.post(answer.action, "7"))

    assert last.verbs == ["Say", "Hangup"]
    assert "Такого пункта в меню нет." in last.said
    assert "Сотрудник приёмной перезвонит вам в рабочее время." in last.said
    assert turn.log.callbacks == [("no_choice", None)]  # None: the caller's own number
    assert turn.log.outcomes == [CallOutcome.CALLBACK_REQUESTED]


def test_the_third_silence_hangs_up_without_a_callback_for_a_withheld_caller() -> None:
    turn = FakeTurn(caller=None)
    answer = reply(incoming_call(turn))
    for _ in range(3):
        answer = reply(turn.post(answer.redirect))

    assert answer.verbs == ["Say", "Hangup"]
    assert answer.said == "Мы не услышали ваш выбор. Спасибо за звонок. До свидания."
    assert turn.log.callbacks == []
    assert turn.log.outcomes == []
    assert turn.log.kinds().count("no_input") == 3
