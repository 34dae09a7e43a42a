"""The status of a request (key 3): told only to the applicant's own number."""

from __future__ import annotations

from ivr.branches.status import callback_choice, number_typed, start
from ivr.menu import menu_choice
from models import AppealStatus, CallOutcome
from tests.ivr.fakes import MOBILE, OTHER_MOBILE, Appeal, FakeAppealDesk, FakeTurn, reply, url_of

STATUS = (
    "Обращение номер два ноль два шесть ноль ноль один. На рассмотрении двадцать девятого ноября. "
    "Срок ответа — до двадцать девятого декабря."
)
ELSEWHERE = "Его статус сообщается только по телефону заявителя."


def desk(phone: str | None = MOBILE) -> FakeAppealDesk:
    return FakeAppealDesk(appeals={7: Appeal(7, "2026001", phone, AppealStatus.IN_REVIEW)})


def test_the_status_is_told_to_the_applicants_number_then_the_main_menu() -> None:
    turn = FakeTurn(caller=MOBILE, appeals=desk())
    ask = reply(start(turn))
    assert ask.only("Gather").attrib["finishOnKey"] == "#"

    answer = reply(turn.post(ask.action, "2026001"))

    assert answer.said.startswith(STATUS)
    assert answer.action == url_of(menu_choice, attempt=1)
    assert turn.log.outcomes == [CallOutcome.STATUS_CHECKED]
    assert ("status_told", "2026001") in turn.log.events


def test_another_number_hears_only_that_the_appeal_exists_and_is_offered_a_callback() -> None:
    turn = FakeTurn(caller=OTHER_MOBILE, appeals=desk())

    answer = reply(turn.post(url_of(number_typed, attempt=1), "2026001"))

    assert ELSEWHERE in answer.said
    assert "На рассмотрении" not in answer.said
    assert answer.action == url_of(callback_choice, appeal=7)
    assert ("status_withheld", "2026001") in turn.log.events


def test_a_withheld_caller_never_hears_the_status_of_an_appeal_without_a_phone() -> None:
    turn = FakeTurn(caller=None, appeals=desk(phone=None))

    answer = reply(turn.post(url_of(number_typed, attempt=1), "2026001"))

    assert answer.said.startswith(f"Обращение с таким номером есть. {ELSEWHERE}")
    assert "На рассмотрении" not in answer.said
    assert answer.action == url_of(menu_choice, attempt=1)  # no callback to offer


def test_pressing_1_queues_a_callback_to_the_applicant_not_to_the_caller() -> None:
    turn = FakeTurn(caller=OTHER_MOBILE, appeals=desk())

    answer = reply(turn.post(url_of(callback_choice, appeal=7), "1"))
    declined = reply(turn.post(url_of(callback_choice, appeal=7), "2"))

    assert turn.log.callbacks == [("status_request", MOBILE)]
    assert turn.log.outcomes == [CallOutcome.CALLBACK_REQUESTED]
    assert "Сотрудник приёмной перезвонит заявителю в рабочее время." in answer.said
    assert declined.said.startswith("Чтобы записаться на личный приём")


def test_a_number_not_found_gets_one_more_try_then_the_main_menu() -> None:
    turn = FakeTurn(appeals=desk())

    again = reply(turn.post(url_of(number_typed, attempt=1), "999"))
    answer = reply(turn.post(again.action, "998"))

    assert again.said.startswith("Обращение с таким номером не найдено. Попробуйте ещё раз.")
    assert again.action == url_of(number_typed, attempt=2)
    assert answer.said.startswith("Обращение с таким номером не найдено. Чтобы записаться")
    assert answer.action == url_of(menu_choice, attempt=1)
    assert turn.appeals.looked_up == ["999", "998"]
    assert turn.log.outcomes == []
