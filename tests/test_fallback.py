"""When things fail: the fallback URL, a database that is down, and the spool."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from models import Appeal, Call, Callback, CallOutcome, Recording
from tests.conftest import LINE, MOBILE, call_form, database_down, new_call_sid
from twilio_turn import spool
from twilio_turn.replay import replay_spool


def message_form(sid: str, recording_sid: str, seconds: int, **extra: str) -> dict[str, str]:
    return call_form(
        sid,
        RecordingSid=recording_sid,
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recording_sid}",
        RecordingDuration=str(seconds),
        **extra,
    )


def test_the_fallback_url_apologises_and_records_without_the_database(app, webhook):
    with database_down(app):
        reply = webhook("/twilio/fallback", call_form(new_call_sid(), ErrorCode="11200"))

    assert reply.status_code == 200
    assert reply.mimetype == "text/xml"
    document = ElementTree.fromstring(reply.data)
    assert [verb.tag for verb in document] == ["Say", "Record", "Say", "Hangup"]
    record = document.find("Record")
    assert record.get("action") == "https://reception.example/twilio/message"
    assert record.get("recordingStatusCallback") == "https://reception.example/twilio/message/ready"
    assert "технические неполадки" in document.find("Say").text


def test_a_voice_webhook_without_the_database_still_takes_a_message(app, twilio):
    with database_down(app):
        call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
        assert call.waiting_for == "record"
        assert "технические неполадки" in call.last_said
        call.record(seconds=25, finish="#")
        call.finish()
        assert "сообщение сохранено" in call.last_said
    assert not call.errors
    assert len(spool.pending(app.config["SPOOL_DIR"])) >= 2

    with app.app_context():
        assert replay_spool() >= 2
    session = db_session(app)
    appeal = session.scalar(sa.select(Appeal))
    assert appeal.phone == MOBILE
    assert appeal.topic == "other"
    assert [call.sid for call in appeal.calls] == [call.sid]
    logged = session.scalar(sa.select(Call).where(Call.sid == call.sid))
    assert logged.status == "completed"
    assert logged.outcome is CallOutcome.REQUEST_LEFT
    assert logged.callback.reasons == ["fallback"]
    assert spool.pending(app.config["SPOOL_DIR"]) == []


def db_session(app):
    return app.extensions["sessionmaker"]()


def test_the_message_becomes_one_appeal_whichever_request_comes_first(app, webhook):
    sid, recording = new_call_sid(), "RE" + "a" * 32
    webhook("/twilio/message/ready", message_form(sid, recording, 30, RecordingStatus="completed"))
    webhook("/twilio/message", message_form(sid, recording, 30, Digits="#"))
    webhook("/twilio/message/ready", message_form(sid, recording, 30, RecordingStatus="completed"))

    session = db_session(app)
    assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 1
    assert session.scalar(sa.select(sa.func.count(Recording.id))) == 1
    assert session.scalar(sa.select(Recording)).appeal is not None


def test_a_caller_hanging_up_while_recording_still_leaves_the_message(app, webhook):
    sid, recording = new_call_sid(), "RE" + "b" * 32
    webhook("/twilio/status", call_form(sid, CallStatus="completed", CallDuration="40"))
    reply = webhook("/twilio/message", message_form(sid, recording, 12, Digits="hangup"))

    assert ElementTree.fromstring(reply.data).tag == "Response"
    session = db_session(app)
    call = session.scalar(sa.select(Call).where(Call.sid == sid))
    assert call.outcome is CallOutcome.REQUEST_LEFT  # corrected from abandoned
    assert call.callback.reasons == ["fallback"]  # the "abandoned" reason was withdrawn
    assert len(call.appeals) == 1


def test_an_empty_message_gives_no_appeal_but_a_callback(app, webhook):
    sid = new_call_sid()
    webhook("/twilio/message", message_form(sid, "RE" + "c" * 32, 0))

    session = db_session(app)
    assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 0
    assert session.scalar(sa.select(Callback)).phone == MOBILE


def test_a_status_callback_without_the_database_is_spooled_and_replayed(app, webhook):
    sid = new_call_sid()
    with database_down(app):
        reply = webhook("/twilio/status", call_form(sid, CallStatus="completed", CallDuration="17"))
    assert reply.status_code == 204
    entries = spool.pending(app.config["SPOOL_DIR"])
    assert [entry.kind for entry in entries] == ["status"]

    with app.app_context():
        assert replay_spool() == 1
        assert replay_spool() == 0
    call = db_session(app).scalar(sa.select(Call).where(Call.sid == sid))
    assert (call.status, call.duration_s) == ("completed", 17)


def test_a_spool_entry_is_whole_or_absent(tmp_path: Path, clock):
    path = spool.write(tmp_path, "message", {"CallSid": "CA1", "Тема": "ЖКХ"}, clock.now())

    assert path.parent == tmp_path
    assert list(tmp_path.glob(".*.tmp")) == []
    (entry,) = spool.pending(tmp_path)
    assert entry.params == {"CallSid": "CA1", "Тема": "ЖКХ"}
    assert entry.received_at == clock.now()


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/menu?attempt=2"])
def test_an_unexpected_error_answers_with_the_apology(app, webhook, monkeypatch, path):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("calllog.calls.start_call", broken)
    reply = webhook(path, call_form(new_call_sid(), Digits="1"))

    assert reply.status_code == 200
    assert ElementTree.fromstring(reply.data).find("Record") is not None


def test_a_call_first_seen_in_a_recording_callback_learns_its_caller_later(app, webhook):
    sid, recording = new_call_sid(), "RE" + "e" * 32
    bare = {
        "AccountSid": "AC" + "1" * 32,
        "CallSid": sid,
        "RecordingSid": recording,
        "RecordingStatus": "completed",
        "RecordingDuration": "8",
    }
    webhook("/twilio/message/ready", bare)
    webhook("/twilio/message", message_form(sid, recording, 8, Digits="#"))

    call = db_session(app).scalar(sa.select(Call).where(Call.sid == sid))
    assert call.caller == MOBILE
    assert call.line == LINE
    assert call.appeals[0].phone == MOBILE  # filled in once the number was known
    assert call.callback.phone == MOBILE
