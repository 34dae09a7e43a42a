"""Calling a citizen back from the staff application: the bridge and its Dial action."""

from __future__ import annotations

import pytest

from ivr.branches.callback_bridge import answered, bridge, dialled
from models import AttemptResult, CallbackStatus
from tests.ivr.fakes import (
    MOBILE,
    STAFF_PHONE,
    Callback,
    FakeCallbackDesk,
    FakeTurn,
    reply,
    url_of,
)

BOOKING_LINE = "+73422368458"
OUTSIDE = "+14155550100"


def desk(
    status: CallbackStatus = CallbackStatus.PENDING,
    placed: str | None = None,
    operators: dict[str, str] | None = None,
) -> FakeCallbackDesk:
    """Callback 5 to the citizen's mobile."""
    return FakeCallbackDesk(
        callbacks={5: Callback(5, MOBILE, status)}, placed=placed, operators=operators or {}
    )


def test_the_bridge_dials_the_citizen_from_the_line_the_operator_was_called_from() -> None:
    turn = FakeTurn(
        from_number=BOOKING_LINE,
        called=STAFF_PHONE,
        callbacks=desk(placed="ivanova"),
        args={"callback": "5"},
    )

    answer = reply(bridge(turn))

    assert answer.verbs == ["Say", "Dial"]
    assert answer.said == "Соединяю с гражданином."
    dial = answer.only("Dial")
    assert dial.attrib["callerId"] == BOOKING_LINE
    assert dial.attrib["action"] == url_of(dialled, callback=5, actor="ivanova")
    assert [number.text for number in dial.findall("Number")] == [MOBILE]
    assert turn.callbacks.adopted == [(5, BOOKING_LINE)]


def test_the_operator_is_found_by_phone_and_the_line_by_the_callback_when_unknown() -> None:
    callbacks = desk(operators={STAFF_PHONE: "petrov"})
    turn = FakeTurn(
        from_number=OUTSIDE,
        line=OUTSIDE,
        called=STAFF_PHONE,
        callbacks=callbacks,
        args={"callback": "5"},
    )

    dial = reply(bridge(turn)).only("Dial")

    assert dial.attrib["action"] == url_of(dialled, callback=5, actor="petrov")
    assert dial.attrib["callerId"] == callbacks.fallback_line


@pytest.mark.parametrize(
    ("raw", "status", "heard"),
    [
        ("5", CallbackStatus.DONE, "Этот обратный звонок уже закрыт."),
        ("5", CallbackStatus.GAVE_UP, "Этот обратный звонок уже закрыт."),
        ("6", CallbackStatus.PENDING, "Обратный звонок не найден."),
        ("5x", CallbackStatus.PENDING, "Обратный звонок не найден."),
        ("5" * 19, CallbackStatus.PENDING, "Обратный звонок не найден."),
    ],
)
def test_a_closed_or_unknown_callback_is_not_dialled(
    raw: str, status: CallbackStatus, heard: str
) -> None:
    turn = FakeTurn(callbacks=desk(status), args={"callback": raw})

    answer = reply(bridge(turn))

    assert answer.verbs == ["Say", "Hangup"]
    assert answer.said == f"{heard} До свидания."


def test_the_bridge_records_the_attempt_only_once() -> None:
    turn = FakeTurn(callbacks=desk())
    turn.callbacks.answered_by = "human"
    action = url_of(dialled, callback=5, actor="ivanova")

    first = reply(turn.post(action, dial_status="completed", dial_seconds=95))
    repeated = reply(turn.post(action, dial_status="completed", dial_seconds=95))

    assert first.said == "Разговор завершён, обратный звонок выполнен. До свидания."
    assert repeated.said == "Звонок завершён. До свидания."
    assert turn.callbacks.attempts == [(5, AttemptResult.REACHED, "ivanova")]
    assert turn.callbacks.found == [(5, True), (5, True)]  # looked up under a lock
    assert turn.callbacks.notes == ["звонок из приложения"]


@pytest.mark.parametrize(
    ("answered_by", "seconds", "result", "heard"),
    [
        ("human", 20, AttemptResult.REACHED, "обратный звонок выполнен"),
        ("human", 12, AttemptResult.NO_ANSWER, "Гражданин не ответил."),
        ("machine_start", 12, AttemptResult.VOICEMAIL, "Ответил автоответчик."),
        ("fax", 30, AttemptResult.VOICEMAIL, "Ответил автоответчик."),
        (None, 60, None, "итог будет на странице обратного звонка"),
    ],
)
def test_an_answered_citizen_leg_is_judged_by_the_detection_and_the_talk(
    answered_by: str | None, seconds: int, result: AttemptResult | None, heard: str
) -> None:
    turn = FakeTurn(callbacks=desk())
    turn.callbacks.answered_by = answered_by

    answer = reply(
        turn.post(url_of(dialled, callback=5), dial_status="completed", dial_seconds=seconds)
    )

    assert heard in answer.said
    assert turn.callbacks.talks == [seconds]
    assert [r for _, r, _ in turn.callbacks.attempts] == ([result] if result else [])


def test_the_citizen_leg_has_answering_machine_detection() -> None:
    turn = FakeTurn(from_number=BOOKING_LINE, callbacks=desk(), args={"callback": "5"})

    answer = reply(bridge(turn))

    number = answer.only("Dial").find("Number")
    assert number.attrib["machineDetection"] == "Enable"
    assert number.attrib["amdStatusCallback"] == url_of(answered, call="CA" + "0" * 32, callback=5)


@pytest.mark.parametrize(
    ("status", "attempts", "heard"),
    [
        ("no-answer", [(5, AttemptResult.NO_ANSWER, None)], "Гражданин не ответил."),
        ("failed", [(5, AttemptResult.WRONG_NUMBER, None)], "Дозвониться не удалось."),
        ("canceled", [], "Звонок завершён."),  # the operator hung up first
    ],
)
def test_the_dial_status_decides_the_attempt(
    status: str, attempts: list[tuple[int, AttemptResult, None]], heard: str
) -> None:
    turn = FakeTurn(callbacks=desk())

    answer = reply(turn.post(url_of(dialled, callback=5), dial_status=status))

    assert answer.said.startswith(heard)
    assert turn.callbacks.attempts == attempts
    assert ("dial_result", status) in turn.log.events
