"""A person (key 0): the staff phones ring in office hours, a callback otherwise."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.branches.person import accept, dialled, number_typed, screen, start
from models import CallOutcome
from tests.ivr.fakes import (
    CLOSED_TIME,
    MOBILE,
    OPEN_TIME,
    STAFF_PHONE,
    FakeTurn,
    office,
    reply,
    url_of,
)

PROMISE = (
    "Сотрудник приёмной перезвонит вам в рабочее время на номер "
    "восемь, девятьсот два, четыреста семьдесят один, двадцать два, тридцать три."
)


def test_in_office_hours_the_staff_phones_ring_and_each_answer_is_screened() -> None:
    turn = FakeTurn(office=office(staff_phones=(STAFF_PHONE, "+79500000002")))

    answer = reply(start(turn))

    assert answer.verbs == ["Say", "Dial"]
    assert answer.said == "Соединяю с сотрудником приёмной."
    assert answer.action == url_of(dialled)
    numbers = answer.only("Dial").findall("Number")
    assert [number.text for number in numbers] == [STAFF_PHONE, "+79500000002"]
    assert {number.attrib["url"] for number in numbers} == {url_of(screen)}
    assert turn.log.events == [("person", ""), ("dial", "2")]
    assert turn.log.callbacks == []


@pytest.mark.parametrize(
    ("now", "staff"),
    [(CLOSED_TIME, (STAFF_PHONE,)), (OPEN_TIME, ())],
    ids=["out-of-hours", "no-staff-phones"],
)
def test_without_anyone_to_ring_a_known_caller_is_promised_a_callback(
    now: datetime, staff: tuple[str, ...]
) -> None:
    turn = FakeTurn(now=now, office=office(staff_phones=staff))

    answer = reply(start(turn))

    assert answer.verbs == ["Say", "Hangup"]
    assert answer.said.startswith(
        f"Сейчас нерабочее время, сотрудники приёмной не могут ответить. {PROMISE}"
    )
    assert turn.log.callbacks == [("person_out_of_hours", MOBILE)]
    assert turn.log.outcomes == [CallOutcome.CALLBACK_REQUESTED]


NO_ANSWER = [("person_no_answer", MOBILE)]


@pytest.mark.parametrize(
    ("status", "accepted", "seconds", "callbacks", "outcome"),
    [
        ("completed", True, 60, [], CallOutcome.TRANSFERRED),
        ("completed", False, 12, NO_ANSWER, CallOutcome.CALLBACK_REQUESTED),  # declined
        ("completed", True, 0, NO_ANSWER, CallOutcome.CALLBACK_REQUESTED),  # no talk
        ("no-answer", False, 0, NO_ANSWER, CallOutcome.CALLBACK_REQUESTED),
        ("busy", False, 0, NO_ANSWER, CallOutcome.CALLBACK_REQUESTED),
    ],
)
def test_the_dial_result_decides_between_goodbye_and_a_callback(
    status: str,
    accepted: bool,
    seconds: int,
    callbacks: list[tuple[str, str]],
    outcome: CallOutcome,
) -> None:
    turn = FakeTurn()
    if accepted:
        turn.post(url_of(accept), "1")

    answer = reply(turn.post(url_of(dialled), dial_status=status, dial_seconds=seconds))

    assert answer.hangs_up
    assert turn.log.callbacks == callbacks
    assert turn.log.outcomes == [outcome]
    assert ("все сотрудники заняты" in answer.said) is bool(callbacks)


def test_a_withheld_caller_out_of_hours_types_the_number_to_call_back() -> None:
    turn = FakeTurn(caller=None, now=CLOSED_TIME)

    ask = reply(start(turn))
    assert ask.said.startswith("Сейчас нерабочее время")
    assert "Чтобы мы перезвонили, введите, пожалуйста, номер телефона" in ask.said
    assert "восьмёрки" not in ask.said
    assert ask.action == url_of(number_typed, attempt=1, reason="person_out_of_hours")
    assert turn.log.callbacks == []

    wrong = reply(turn.post(ask.action, "89024712234"))
    assert wrong.said.startswith("Вы ввели номер: восемь, девятьсот два")
    assert turn.log.callbacks == [("person_out_of_hours", "+79024712234")]  # kept at once
    again = reply(turn.post(wrong.action, "2"))
    assert turn.log.callbacks == []
    check = reply(turn.post(again.action, "89024712233"))
    answer = reply(turn.post(check.action, "1"))

    assert answer.said.startswith("Сотрудник приёмной перезвонит вам в рабочее время.")
    assert answer.hangs_up
    assert turn.log.callbacks == [("person_out_of_hours", MOBILE)]


@pytest.mark.parametrize(("digits", "verbs"), [("1", []), ("2", ["Hangup"]), ("", ["Hangup"])])
def test_the_screening_leg_hangs_up_unless_the_staff_member_presses_1(
    digits: str, verbs: list[str]
) -> None:
    leg = FakeTurn(digits=digits)

    question = reply(screen(leg))

    assert question.verbs == ["Gather", "Hangup"]
    assert "Чтобы принять звонок, нажмите 1." in question.said
    assert question.action == url_of(accept)
    assert reply(accept(leg)).verbs == verbs
    assert leg.log.events == []  # the staff member's leg is no call of the log
    assert leg.log.accepted is (digits == "1")  # only the acceptance, on the caller's call


def test_a_mistyped_number_gets_one_more_try_then_the_main_menu_without_a_callback() -> None:
    turn = FakeTurn(caller=None)
    first = url_of(number_typed, attempt=1, reason="person_no_answer")

    again = reply(turn.post(first, "12345"))
    answer = reply(turn.post(again.action, "0*0"))

    assert again.said.startswith("Номер не распознан. Попробуйте ещё раз. Чтобы мы перезвонили")
    assert again.action == url_of(number_typed, attempt=2, reason="person_no_answer")
    assert answer.said.startswith("Номер телефона записать не удалось. Чтобы записаться")
    assert turn.log.kinds() == ["contact_invalid", "contact_invalid", "menu"]
    assert turn.log.callbacks == []
