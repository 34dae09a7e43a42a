"""Live transcription (``TRANSCRIPTION=twilio``, issue 15): whole calls through the simulator.

The simulator follows ``<Start><Transcription>`` and ``<Stop>`` like Twilio and sends the
status callbacks with the words the test scripts the caller to say; they are delivered
late, reordered or twice like every asynchronous callback.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

import db
from calllog.tokens import create_token
from models import Appeal, Appointment, StaffRole, Transcript, TranscriptState
from simulator import Call
from tests.conftest import LINE, MOBILE, OPEN_TIME, PERM

SAID = "У нас в доме третью неделю нет отопления. Улица Ленина, дом пять, квартира два."
HEARD = "У нас в доме третью неделю нет отопления. Улица Ленина, дом пять, квартира два."


@pytest.fixture
def transcribing(config):
    config["TRANSCRIPTION"] = "twilio"


@pytest.fixture
def api(app):
    with app.app_context():
        session = db.get_session()
        _, secret = create_token(session, "operator-anna", StaffRole.OPERATOR, OPEN_TIME)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def leave_request(twilio, **record) -> Call:
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1")
    return call.record(40, "#", **record).silence()


def the_appeal(records) -> Appeal:
    (appeal,) = records().scalars(sa.select(Appeal)).all()
    return appeal


def appeal_json(client, api, appeal: Appeal) -> dict:
    reply = client.get(f"/api/appeals/{appeal.number}", headers=api)
    assert reply.status_code == 200
    return reply.get_json()


def twiml_bodies(call: Call) -> list[str]:
    return [exchange.body for exchange in call.log if exchange.body.lstrip().startswith("<?xml")]


def test_the_request_is_transcribed_and_the_transcript_lands_on_its_appeal(
    transcribing, twilio, records, client, api
):
    call = leave_request(twilio, words=SAID, confidence=0.93)
    call.finish()

    appeal = the_appeal(records)
    (transcript,) = appeal.transcripts
    assert transcript.text == HEARD
    assert transcript.confidence == pytest.approx(0.93)
    assert transcript.state is TranscriptState.STOPPED
    assert transcript.sid.startswith("GT")
    answer = appeal_json(client, api, appeal)
    assert answer["transcript"] == HEARD
    assert answer["transcript_source"] == "twilio"
    assert call.errors == []


def test_the_transcription_starts_before_the_record_and_stops_at_its_action(transcribing, twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1")
    document = ElementTree.fromstring(twiml_bodies(call)[-1])
    tags = [verb.tag for verb in document]
    assert tags.index("Start") == tags.index("Record") - 1
    transcription = document.find("Start/Transcription")
    assert transcription is not None
    assert transcription.get("languageCode") == "ru-RU"
    assert transcription.get("track") == "inbound_track"
    assert transcription.get("partialResults") == "false"
    callback = transcription.get("statusCallbackUrl")
    assert callback.startswith("https://reception.example/twilio/transcription/event?")
    name = transcription.get("name")

    call.record(12, "#", words=SAID)
    after = ElementTree.fromstring(twiml_bodies(call)[-1])
    assert after[0].tag == "Stop"
    assert after.find("Stop/Transcription").get("name") == name


@pytest.mark.parametrize("seed", range(4))
def test_repeated_and_reordered_callbacks_change_nothing(
    transcribing, twilio, records, client, api, seed
):
    call = leave_request(twilio, words=SAID)
    kinds = {callback.kind for callback in call.callbacks}
    assert "transcription" in kinds
    call.finish(shuffle=True, duplicate=True, rng=random.Random(seed))

    appeal = the_appeal(records)
    assert [transcript.text for transcript in appeal.transcripts] == [HEARD]
    assert appeal_json(client, api, appeal)["transcript"] == HEARD
    assert len(records().scalars(sa.select(Transcript)).all()) == 1


def test_callbacks_that_come_before_the_appeal_exists_are_linked_to_it(
    transcribing, twilio, records, webhook
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1")
    (started,) = call.transcription.started
    path = started.status_callback_url.removeprefix("https://reception.example")
    sid = "GT" + "7" * 32
    base = {"AccountSid": call.account_sid, "CallSid": call.sid, "TranscriptionSid": sid}
    for sequence, text in ((3, "Улица Ленина, дом пять."), (2, "Нет отопления.")):
        data = json.dumps({"transcript": text, "confidence": 0.8})
        reply = webhook(
            path,
            base
            | {
                "TranscriptionEvent": "transcription-content",
                "SequenceId": str(sequence),
                "TranscriptionData": data,
                "Final": "true",
                "Track": "inbound_track",
            },
        )
        assert reply.status_code == 204
    assert records().scalars(sa.select(Appeal)).all() == []

    call.record(20, "#").silence()
    call.finish()

    assert [t.text for t in the_appeal(records).transcripts] == [
        "Нет отопления. Улица Ленина, дом пять."
    ]


def test_an_error_event_leaves_the_appeal_intact_without_a_transcript(
    transcribing, twilio, records, client, api
):
    call = leave_request(twilio, words=SAID, transcription_fails=True)
    call.finish(duplicate=True)

    appeal = the_appeal(records)
    assert len(appeal.recordings) == 1
    (transcript,) = appeal.transcripts
    assert transcript.state is TranscriptState.FAILED
    assert transcript.text is None
    assert transcript.error_code == "32655"
    answer = appeal_json(client, api, appeal)
    assert answer["transcript"] is None
    assert answer["transcript_source"] is None
    assert call.errors == []


def test_the_visitors_name_is_transcribed_for_the_appointment(
    transcribing, twilio, records, schedule
):
    schedule(datetime(2026, 12, 4, 10, 0, tzinfo=PERM), minutes=60)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1")
    assert call.waiting_for == "record"
    call.record(4, "#", words="Петрова Анна Сергеевна").silence()
    call.finish(shuffle=True, duplicate=True, rng=random.Random(1))

    (appointment,) = records().scalars(sa.select(Appointment)).all()
    assert [t.text for t in appointment.transcripts] == ["Петрова Анна Сергеевна"]


def test_a_transcription_callback_for_another_calls_appointment_is_refused(
    transcribing, twilio, webhook
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    reply = webhook(
        "/twilio/transcription/event?name=name-1&appointment=1",
        {
            "AccountSid": call.account_sid,
            "CallSid": call.sid,
            "TranscriptionSid": "GT" + "1" * 32,
            "TranscriptionEvent": "transcription-started",
        },
    )
    assert reply.status_code == 400


def every_branch(twilio, schedule) -> list[Call]:
    schedule(datetime(2026, 12, 4, 10, 0, tzinfo=PERM), minutes=60)
    calls = []
    booking = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booking.press("1").press("1").press("1").record(4, "#", words="Петрова Анна").silence()
    calls.append(booking)
    calls.append(leave_request(twilio, words=SAID))
    empty = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    empty.press("2").press("1").press("2").record(0, "timeout").record(0, "timeout")
    calls.append(empty)
    for call in calls:
        call.finish()
    return calls


def test_with_transcription_off_no_twiml_has_a_transcription(twilio, records, schedule):
    calls = every_branch(twilio, schedule)
    bodies = [body for call in calls for body in twiml_bodies(call)]
    assert len(bodies) > 10
    assert all("<Transcription" not in body and "<Start" not in body for body in bodies)
    assert all(call.transcription.started == [] for call in calls)
    assert records().scalars(sa.select(Transcript)).all() == []


def test_with_transcription_on_every_record_of_a_caller_is_transcribed(
    transcribing, twilio, records, schedule
):
    calls = every_branch(twilio, schedule)
    documents = [ElementTree.fromstring(body) for call in calls for body in twiml_bodies(call)]
    with_record = [document for document in documents if document.find("Record") is not None]
    assert len(with_record) == 4  # a name, a request, and an empty request asked twice
    for document in with_record:
        tags = [verb.tag for verb in document]
        assert tags.index("Start") == tags.index("Record") - 1
        assert len(document.findall("Start/Transcription")) == 1
    assert all(call.errors == [] for call in calls)
