"""Leaving a request (key 2): consent, topic, the recording, the number read back."""

from __future__ import annotations

import pytest

from ivr.branches.appeal import (
    consent_choice,
    contact_checked,
    contact_typed,
    readback_choice,
    recorded,
    recording_ready,
    start,
    topic_choice,
)
from ivr.menu import menu_choice
from ivr.turn import NotThisCall
from tests.ivr.fakes import MOBILE, Appeal, FakeAppealDesk, FakeTurn, reply, speaker, url_of

NUMBER_WORDS = "два ноль два шесть ноль ноль один"


def test_consent_by_1_is_kept_with_its_wording_and_the_topics_follow() -> None:
    turn = FakeTurn()
    consent = reply(start(turn))
    assert consent.action == url_of(consent_choice)

    answer = reply(turn.post(consent.action, "1"))

    assert turn.log.consents == [("appeal", speaker().catalogue.prompt_version("appeal_consent"))]
    assert "Выберите тему обращения." in answer.said
    assert "Жилищно-коммунальное хозяйство — нажмите 1." in answer.said
    assert "Другое — нажмите 6." in answer.said
    assert answer.action == url_of(topic_choice, attempt=1)


@pytest.mark.parametrize("digits", ["2", ""], ids=["another-key", "silence"])
def test_no_consent_returns_to_the_main_menu_and_keeps_nothing(digits: str) -> None:
    turn = FakeTurn()

    answer = reply(turn.post(url_of(consent_choice, **({} if digits else {"timeout": 1})), digits))

    assert answer.action == url_of(menu_choice, attempt=1)
    assert turn.log.consents == []
    assert ("consent_refused", digits) in turn.log.events


def test_a_topic_key_records_the_request_under_that_topic() -> None:
    turn = FakeTurn()

    answer = reply(turn.post(url_of(topic_choice, attempt=1), "2"))

    record = answer.only("Record")
    assert record.attrib["action"] == url_of(recorded, topic="social", attempt=1)
    assert record.attrib["recordingStatusCallback"] == url_of(recording_ready, topic="social")
    assert record.attrib["maxLength"] == "180"
    assert ("topic", "social") in turn.log.events


def test_an_empty_recording_asks_once_more_then_returns_to_the_main_menu() -> None:
    turn = FakeTurn(appeals=FakeAppealDesk(registers=[None]))

    again = reply(turn.post(url_of(recorded, topic="housing", attempt=1)))
    assert again.said.startswith("Мы не услышали сообщения. Попробуйте ещё раз. После сигнала")
    assert again.only("Record").attrib["action"] == url_of(recorded, topic="housing", attempt=2)

    answer = reply(turn.post(again.only("Record").attrib["action"]))

    assert answer.said.startswith("Мы не услышали сообщения. Чтобы записаться на личный приём")
    assert answer.action == url_of(menu_choice, attempt=1)
    assert turn.appeals.topics == ["housing", "housing"]
    assert turn.log.kinds().count("empty_recording") == 2
    assert turn.log.sms == []


def test_a_registered_appeal_is_read_back_twice_with_the_answer_period_and_texted() -> None:
    appeal = Appeal(7, "2026001", MOBILE)
    turn = FakeTurn(appeals=FakeAppealDesk(registers=[appeal]))

    answer = reply(turn.post(url_of(recorded, topic="housing", attempt=1)))

    assert answer.said.count(NUMBER_WORDS) == 2
    assert "Ответ будет дан в течение тридцати дней." in answer.said
    assert answer.action == url_of(readback_choice, appeal=7)
    assert [phone for phone, _ in turn.log.sms] == [MOBILE]
    assert "2026001" in turn.log.sms[0][1]
    again = reply(turn.post(answer.action, "*"))
    assert again.said.count(NUMBER_WORDS) == 2
    assert len(turn.log.sms) == 1  # the repeat sends nothing


def test_a_withheld_caller_types_a_contact_and_a_hang_up_still_keeps_the_appeal() -> None:
    appeal = Appeal(7, "2026001", None)
    turn = FakeTurn(caller=None, appeals=FakeAppealDesk(registers=[appeal]))

    hung_up = reply(turn.post(url_of(recorded, topic="other", attempt=1), hung_up=True))
    ask = reply(turn.post(url_of(recorded, topic="other", attempt=1)))
    check = reply(turn.post(ask.action, "89024712233"))
    assert turn.log.sms == []  # nothing sent before the number is confirmed
    answer = reply(turn.post(check.action, "1"))

    assert "Вы ввели номер: восемь, девятьсот два" in check.said
    assert check.action == url_of(contact_checked, appeal=7)
    assert hung_up.verbs == []
    assert turn.appeals.topics == ["other", "other"]
    assert ask.action == url_of(contact_typed, attempt=1, appeal=7)
    assert turn.appeals.contacts == [(7, MOBILE)]
    assert [phone for phone, _ in turn.log.sms] == [MOBILE]
    assert answer.said.count(NUMBER_WORDS) == 2
    with pytest.raises(NotThisCall):
        turn.post(url_of(recorded, topic="weather", attempt=1))
