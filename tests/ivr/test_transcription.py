"""Live transcription (``TRANSCRIPTION=twilio``): where the menu starts, stops and links it."""

from __future__ import annotations

import dataclasses

import pytest

from ivr.branches.appeal import recorded, topic_choice
from ivr.branches.booking_visitor import name_recorded
from ivr.branches.transcription import transcription_event
from ivr.turn import NotThisCall
from tests.ivr.fakes import Appeal, Booking, FakeAppealDesk, FakeTurn, reply, speaker, url_of

APPEAL = Appeal(id=7, number="2026001", phone="+79024712233")


def transcribing(**changes: object) -> FakeTurn:
    return FakeTurn(speaker=dataclasses.replace(speaker(), transcription=True), **changes)


def test_the_request_record_is_opened_by_a_russian_transcription_of_the_caller() -> None:
    answer = reply(transcribing().post(url_of(topic_choice), "1"))

    assert answer.verbs[-3:] == ["Start", "Record", "Redirect"]
    started = answer.only("Start").find("Transcription")
    assert started is not None
    assert started.get("name") == "request-housing-1"
    assert started.get("languageCode") == "ru-RU"
    assert started.get("track") == "inbound_track"
    assert started.get("statusCallbackUrl") == url_of(transcription_event, name="request-housing-1")


def test_without_the_setting_there_is_no_transcription() -> None:
    answer = reply(FakeTurn().post(url_of(topic_choice), "1"))
    assert "Start" not in answer.verbs
    assert answer.root.find(".//Transcription") is None

    stopped = FakeTurn(appeals=FakeAppealDesk(registers=[APPEAL]))
    after = reply(stopped.post(url_of(recorded, topic="housing", attempt=1), "#"))
    assert "Stop" not in after.verbs
    assert stopped.transcripts.linked == []


def test_the_record_action_stops_it_and_links_the_appeal() -> None:
    turn = transcribing(appeals=FakeAppealDesk(registers=[APPEAL]))

    answer = reply(turn.post(url_of(recorded, topic="housing", attempt=1), "#"))

    assert answer.verbs[0] == "Stop"
    assert answer.only("Stop").find("Transcription").get("name") == "request-housing-1"
    assert turn.transcripts.linked == [("request-housing-1", 7)]


def test_an_empty_recording_links_nothing_and_the_next_try_has_its_own_name() -> None:
    turn = transcribing(appeals=FakeAppealDesk(registers=[None]))

    answer = reply(turn.post(url_of(recorded, topic="housing", attempt=1), "#"))

    assert answer.verbs[0] == "Stop"
    assert answer.only("Start").find("Transcription").get("name") == "request-housing-2"
    assert turn.transcripts.linked == []


def test_the_name_is_transcribed_for_its_appointment() -> None:
    turn = transcribing()
    turn.booking.bookings[3] = Booking(id=3, code="4821", phone=None, slot_id=1)

    answer = reply(turn.post(url_of(name_recorded, appointment=3), "#"))
    assert answer.only("Stop").find("Transcription").get("name") == "name-3"

    transcription_event(dataclasses.replace(turn, args={"name": "name-3", "appointment": "3"}))
    assert turn.transcripts.received == [("name-3", 3)]


@pytest.mark.parametrize(
    "args",
    [{"name": "other-1"}, {"name": ""}, {"name": "name-3", "appointment": "99"}],
    ids=["not-ours", "none", "another-appointment"],
)
def test_a_callback_that_names_nothing_of_this_call_is_refused(args: dict) -> None:
    with pytest.raises(NotThisCall):
        transcription_event(transcribing(args=args))
