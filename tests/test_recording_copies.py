"""Recordings copied home (152-FZ): stored with a checksum, verified, then deleted at Twilio.

Calls go through the Twilio simulator, so the recording callback arrives signed; the fake
twilio HttpClient serves the audio, the deletes and the Recordings list.
"""

from __future__ import annotations

import hashlib
import http.server
import stat
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import orm
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from calllog.recording_copies import app_storage
from models import AuditEntry, Call, Recording, RecordingKind, RecordingState
from outbound.recording_media import BinarySafeHttpClient, body_bytes
from outbound.storage import LocalStorage, MissingObject
from simulator import Simulator
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    LINE,
    MOBILE,
    OPEN_TIME,
    call_form,
    new_call_sid,
    run_queued,
)
from tests.fakes import FakeRecording, FakeTwilioHttp, fake_audio

AUDIO = fake_audio("mp3", 6000)


@pytest.fixture(autouse=True)
def copies(config: dict, tmp_path: Path, fake_twilio: FakeTwilioHttp) -> Path:
    """Copies run on the queue (at once, in the tests) after the commit, into a folder of the
    test; Twilio has the audio."""
    config["RECORDINGS_COPY"] = "queue"
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["SMS_FROM"] = "PriemnayaPR"
    fake_twilio.any_audio = AUDIO
    return tmp_path / "recordings"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def sync(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=["recordings", "sync", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


NOTHING_DONE = (
    "0 recording(s) found without a callback, 0 copied home, 0 deleted at Twilio, "
    "0 newly flagged as failed"
)


def leave_request(twilio: Simulator, seconds: int = 40) -> str:
    """A whole call leaving a request (key 2); returns the CallSid."""
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=seconds, finish="#")
    call.finish()
    return call.sid


def recording_of(records: Callable[[], orm.Session], call_sid: str) -> Recording:
    return records().scalar(sa.select(Recording).join(Recording.call).where(Call.sid == call_sid))


def events_of(records: Callable[[], orm.Session], call_sid: str) -> list[tuple[str, str]]:
    call = records().scalar(sa.select(Call).where(Call.sid == call_sid))
    return [(event.kind, event.detail) for event in call.events]


# --- copy on arrival ---------------------------------------------------------------------------


def test_a_completed_recording_is_stored_with_its_checksum_then_deleted_at_twilio(
    twilio, records, fake_twilio, copies
):
    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.STORED
    assert recording.sha256 == hashlib.sha256(AUDIO).hexdigest()
    assert recording.size_bytes == len(AUDIO)
    assert recording.duration_s == 40
    assert recording.storage_key == f"2026/12/{recording.sid}.mp3"
    assert recording.attempts == 1
    assert recording.last_error is None
    assert recording.deleted_from_twilio_at == OPEN_TIME
    stored = copies / "2026" / "12" / f"{recording.sid}.mp3"
    assert stored.read_bytes() == AUDIO
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    (download,) = fake_twilio.media_requests(recording.sid)
    assert download.url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{twilio.account_sid}"
        f"/Recordings/{recording.sid}.mp3"
    )
    assert download.auth == (ACCOUNT_SID, AUTH_TOKEN)
    (delete,) = fake_twilio.recording_deletes(recording.sid)
    assert fake_twilio.requests.index(download) < fake_twilio.requests.index(delete)
    assert not fake_twilio.holds(recording.sid)


def test_the_callback_answers_without_the_download_which_a_worker_runs_from_the_queue(
    app, webhook, records, fake_twilio, queue
):
    sid = "RE" + "a" * 32
    form = call_form(
        new_call_sid(),
        RecordingSid=sid,
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}",
        RecordingDuration="12",
        RecordingStatus="completed",
    )

    response = webhook("/twilio/message/ready", form)
    response.close()  # what the WSGI server does once the answer is on its way

    assert response.status_code == 204
    assert fake_twilio.media_requests() == []  # no web worker downloads anything
    assert records().scalar(sa.select(Recording)).state is RecordingState.PENDING

    assert run_queued(queue) == ["copy_recording"]

    assert len(fake_twilio.media_requests(sid)) == 1
    assert len(fake_twilio.recording_deletes(sid)) == 1
    recording = records().scalar(sa.select(Recording))
    assert recording.state is RecordingState.STORED
    assert recording.deleted_from_twilio_at is not None
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.subject == f"recording:{sid}"))
    assert (entry.actor, entry.action) == ("очередь задач", "task")
    assert entry.detail == "копия записи: запись сохранена в приёмной"


def test_a_booking_name_is_copied_too(twilio, records, schedule, fake_twilio):
    schedule(datetime(2026, 12, 3, 10, 0, tzinfo=OPEN_TIME.tzinfo), minutes=60)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1").record(seconds=4, finish="#")
    call.finish()

    recording = recording_of(records, call.sid)
    assert recording.kind is RecordingKind.NAME
    assert recording.appointment_id is not None
    assert recording.state is RecordingState.STORED
    assert recording.deleted_from_twilio_at is not None


def test_wav_is_downloaded_when_configured(app, twilio, records, fake_twilio, copies):
    app.config["RECORDINGS_FORMAT"] = "wav"
    fake_twilio.any_audio = fake_audio("wav", 3000)

    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.STORED
    assert recording.storage_key.endswith(".wav")
    assert fake_twilio.media_requests(recording.sid)[0].url.endswith(f"{recording.sid}.wav")
    assert (copies / recording.storage_key).read_bytes() == fake_twilio.any_audio


def test_the_credentials_go_only_to_twilio_whatever_url_the_callback_names(
    webhook, records, fake_twilio
):
    sid = "RE" + "b" * 32
    form = call_form(
        new_call_sid(),
        RecordingSid=sid,
        RecordingUrl="https://collector.example/steal",
        RecordingDuration="12",
        RecordingStatus="completed",
    )

    assert webhook("/twilio/message/ready", form).status_code == 204

    (download,) = fake_twilio.media_requests(sid)
    assert download.url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.mp3"
    )
    assert records().scalar(sa.select(Recording)).state is RecordingState.STORED


def test_a_recording_twilio_reports_failed_is_flagged_for_staff(webhook, records, fake_twilio):
    sid = "RE" + "c" * 32
    call_sid = new_call_sid()
    form = call_form(call_sid, RecordingSid=sid, RecordingStatus="failed", RecordingDuration="0")

    assert webhook("/twilio/message/ready", form).status_code == 204

    recording = records().scalar(sa.select(Recording))
    assert recording.state is RecordingState.FAILED
    assert recording.last_error == "Twilio reported the recording as failed"
    assert ("recording_failed", sid) in events_of(records, call_sid)
    assert fake_twilio.media_requests() == []


# --- never lost --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (404, "download: HTTP 404"),
        (500, "download: HTTP 500"),
        (503, "download: HTTP 503"),
        ("truncated", f"download: truncated ({len(AUDIO) // 2} of {len(AUDIO)} bytes)"),
    ],
)
def test_a_failing_download_is_retried_later_and_the_twilio_copy_kept(
    twilio, records, fake_twilio, runner, clock, copies, fault, error
):
    fake_twilio.media_faults.append(fault)

    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.PENDING
    assert recording.attempts == 1
    assert recording.last_error == error
    assert recording.next_attempt_at == OPEN_TIME + timedelta(minutes=1)
    assert fake_twilio.recording_deletes() == []
    assert fake_twilio.holds(recording.sid)
    assert not any(copies.rglob("*.mp3"))

    assert sync(runner).startswith(NOTHING_DONE)  # not due yet
    assert len(fake_twilio.media_requests(recording.sid)) == 1

    clock.advance(minutes=1)
    assert "1 copied home, 1 deleted at Twilio" in sync(runner)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.STORED
    assert recording.attempts == 2
    assert recording.sha256 == hashlib.sha256(AUDIO).hexdigest()
    assert not fake_twilio.holds(recording.sid)
    assert sync(runner).startswith(NOTHING_DONE)


def test_a_network_error_is_retried(twilio, records, fake_twilio, runner, clock):
    def unreachable(method, path, params):
        raise ConnectionError("no route to host")

    fake_twilio.routes[("GET", ".mp3")] = unreachable
    call_sid = leave_request(twilio)
    recording = recording_of(records, call_sid)
    assert (recording.state, recording.last_error) == (
        RecordingState.PENDING,
        "download: ConnectionError",
    )

    del fake_twilio.routes[("GET", ".mp3")]
    clock.advance(minutes=5)
    assert "1 copied home" in sync(runner)
    assert recording_of(records, call_sid).state is RecordingState.STORED


def test_the_waits_double_and_the_last_failure_flags_the_recording_for_staff(
    app, twilio, records, fake_twilio, runner, clock
):
    app.config["RECORDINGS_MAX_ATTEMPTS"] = 4
    fake_twilio.media_faults.extend([500] * 4)
    call_sid = leave_request(twilio)

    waits = [recording_of(records, call_sid).next_attempt_at - OPEN_TIME]
    for _ in range(3):
        clock.set(recording_of(records, call_sid).next_attempt_at)
        output = sync(runner)
        recording = recording_of(records, call_sid)
        if recording.next_attempt_at:
            waits.append(recording.next_attempt_at - clock.now())

    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert "1 newly flagged as failed" in output
    assert recording.state is RecordingState.FAILED
    assert recording.attempts == 4
    assert recording.last_error == "download: HTTP 500"
    assert ("recording_failed", recording.sid) in events_of(records, call_sid)
    assert fake_twilio.holds(recording.sid)  # not silently dropped: Twilio's copy stays
    assert fake_twilio.recording_deletes() == []

    clock.advance(days=1)
    assert sync(runner).startswith(NOTHING_DONE)  # flagged ones wait for a person

    assert "1 copied home, 1 deleted at Twilio" in sync(runner, "--retry-failed")
    assert recording_of(records, call_sid).state is RecordingState.STORED


class CorruptingStorage(LocalStorage):
    """A disk that flips a byte of what it writes."""

    def put(self, key: str, data: bytes) -> None:
        super().put(key, data[:-1] + bytes([data[-1] ^ 0xFF]))


class ShortStorage(LocalStorage):
    """A disk that loses the end of what it writes."""

    def put(self, key: str, data: bytes) -> None:
        super().put(key, data[:-10])


@pytest.mark.parametrize("storage_class", [CorruptingStorage, ShortStorage])
def test_a_copy_that_fails_verification_never_deletes_at_twilio(
    app, twilio, records, fake_twilio, tmp_path, storage_class
):
    app.config["RECORDINGS_STORAGE"] = storage_class(tmp_path / "bad")

    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.PENDING
    assert recording.last_error == "verification: the stored copy differs from the download"
    assert recording.sha256 is None
    assert recording.storage_key is None
    assert fake_twilio.recording_deletes() == []
    assert fake_twilio.holds(recording.sid)
    assert not any((tmp_path / "bad").rglob("*.mp3"))  # the bad copy is not left behind


def test_an_unwritable_storage_keeps_the_recording_pending(
    app, twilio, records, fake_twilio, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["RECORDINGS_DIR"] = str(blocker)

    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.PENDING
    assert recording.last_error.startswith("storage: ")
    assert fake_twilio.recording_deletes() == []


def test_an_error_page_served_as_audio_is_not_stored(twilio, records, fake_twilio):
    fake_twilio.any_audio = b"<html>Service unavailable</html>"

    recording = recording_of(records, leave_request(twilio))

    assert recording.state is RecordingState.PENDING
    assert recording.last_error == "download: not mp3 audio"
    assert fake_twilio.recording_deletes() == []


def test_a_failed_twilio_delete_keeps_the_local_copy_and_sync_deletes_later(
    twilio, records, fake_twilio, runner, clock
):
    fake_twilio.delete_faults.append(503)

    call_sid = leave_request(twilio)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.STORED
    assert recording.deleted_from_twilio_at is None
    assert recording.last_error == "twilio delete: HTTP 503"
    assert fake_twilio.holds(recording.sid)

    clock.advance(minutes=10)
    assert "0 copied home, 1 deleted at Twilio" in sync(runner)
    recording = recording_of(records, call_sid)
    assert recording.deleted_from_twilio_at == clock.now()
    assert recording.last_error is None
    assert not fake_twilio.holds(recording.sid)
    assert len(fake_twilio.media_requests(recording.sid)) == 1  # not downloaded again
    assert sync(runner).startswith(NOTHING_DONE)


def test_a_stored_copy_gone_missing_is_copied_again_before_twilio_deletes(
    twilio, records, fake_twilio, runner, clock, copies
):
    fake_twilio.delete_faults.append(500)
    call_sid = leave_request(twilio)
    recording = recording_of(records, call_sid)
    (copies / recording.storage_key).unlink()

    clock.advance(minutes=10)
    sync(runner)  # sees the copy missing: pending again, nothing deleted at Twilio
    assert fake_twilio.holds(recording.sid)
    sync(runner)

    recording = recording_of(records, call_sid)
    assert recording.state is RecordingState.STORED
    assert (copies / recording.storage_key).read_bytes() == AUDIO
    assert not fake_twilio.holds(recording.sid)


# --- recordings whose callback never came -------------------------------------------------------


def test_a_missing_callback_is_caught_by_sync_and_a_second_sync_does_nothing(
    twilio, records, fake_twilio, runner, copies
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.finish()
    sid = "RE" + "d" * 32
    audio = fake_audio("mp3", 2500, seed=7)
    fake_twilio.recordings[sid] = FakeRecording(
        sid,
        call_sid=call.sid,
        audio=audio,
        duration=17,
        date_created=OPEN_TIME - timedelta(hours=1),
    )

    output = sync(runner)

    assert output.startswith(
        "1 recording(s) found without a callback, 1 copied home, 1 deleted at Twilio"
    )
    recording = records().scalar(sa.select(Recording).where(Recording.sid == sid))
    assert recording.call.sid == call.sid
    assert recording.kind is RecordingKind.MESSAGE
    assert recording.duration_s == 17
    assert recording.state is RecordingState.STORED
    assert recording.sha256 == hashlib.sha256(audio).hexdigest()
    assert (copies / recording.storage_key).read_bytes() == audio
    assert ("recording_found", sid) in events_of(records, call.sid)
    assert not fake_twilio.holds(sid)

    before = len(fake_twilio.requests)
    assert sync(runner).startswith(NOTHING_DONE)
    (listing,) = fake_twilio.requests[before:]  # only asked Twilio what it still holds
    assert (listing.method, listing.url.split("?")[0].rsplit("/", 1)[-1]) == (
        "GET",
        "Recordings.json",
    )
    assert listing.params["DateCreated>"] == "2026-11-02T06:00:00Z"  # 30 days back, in UTC


def test_sync_leaves_a_young_recording_to_its_callback_and_unknown_calls_alone(
    twilio, records, fake_twilio, runner, clock
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.finish()
    young, stranger = "RE" + "e" * 32, "RE" + "f" * 32
    fake_twilio.recordings[young] = FakeRecording(young, call_sid=call.sid, date_created=OPEN_TIME)
    fake_twilio.recordings[stranger] = FakeRecording(
        stranger, call_sid="CA" + "9" * 32, date_created=OPEN_TIME - timedelta(hours=2)
    )

    result = runner.invoke(args=["recordings", "sync"], catch_exceptions=False)

    assert result.stdout.startswith(NOTHING_DONE)
    assert "1 recording(s) at Twilio belong to calls this service does not know" in result.stderr
    assert fake_twilio.holds(young)
    assert fake_twilio.holds(stranger)

    clock.advance(minutes=15)
    assert sync(runner).startswith("1 recording(s) found without a callback, 1 copied home")
    assert fake_twilio.holds(stranger)


def test_sync_after_normal_calls_does_nothing(twilio, records, fake_twilio, runner):
    leave_request(twilio)
    leave_request(twilio)
    assert len(fake_twilio.recording_deletes()) == 2

    assert sync(runner).startswith(NOTHING_DONE)
    assert sync(runner).startswith(NOTHING_DONE)
    assert len(fake_twilio.media_requests()) == 2


def test_a_recording_whose_action_came_but_not_its_callback_is_copied_by_sync(
    twilio, records, fake_twilio, runner, clock
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=30, finish="#")
    call.hangup()  # the recording callback is never delivered

    recording = recording_of(records, call.sid)
    assert recording.state is RecordingState.PENDING
    assert sync(runner).startswith(NOTHING_DONE)  # its callback may still come

    clock.advance(minutes=11)
    assert "1 copied home, 1 deleted at Twilio" in sync(runner)
    assert recording_of(records, call.sid).state is RecordingState.STORED


def test_sync_fails_loudly_when_twilio_cannot_be_asked(fake_twilio, runner):
    fake_twilio.routes[("GET", "/Recordings.json")] = lambda *args: Response(500, "{}")

    result = runner.invoke(args=["recordings", "sync"], catch_exceptions=False)

    assert result.exit_code == 1
    assert "listing recordings at Twilio failed: HTTP 500" in result.stderr


def test_sync_needs_the_twilio_credentials(app, runner):
    app.config["TWILIO_HTTP_CLIENT"] = None
    app.config["TWILIO_ACCOUNT_SID"] = None

    result = runner.invoke(args=["recordings", "sync"])

    assert result.exit_code != 0
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed" in result.output


# --- no personal data in the log ---------------------------------------------------------------


def test_the_log_names_no_phone_number_and_no_url(twilio, fake_twilio, runner, clock, caplog):
    caplog.set_level("DEBUG")
    fake_twilio.media_faults.append(500)
    leave_request(twilio)
    clock.advance(minutes=2)
    sync(runner)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "recording RE" in logged
    assert MOBILE not in logged
    assert MOBILE[-7:] not in logged
    assert "https://" not in logged
    assert AUTH_TOKEN not in logged


# --- the local folder --------------------------------------------------------------------------


def test_local_storage_writes_whole_files_and_refuses_keys_outside_its_folder(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    storage.put("2026/12/a.mp3", b"one")
    storage.put("2026/12/a.mp3", b"two, longer")

    assert storage.exists("2026/12/a.mp3")
    assert storage.size("2026/12/a.mp3") == len(b"two, longer")
    assert b"".join(storage.read("2026/12/a.mp3", chunk_size=4)) == b"two, longer"
    assert [p.name for p in (tmp_path / "store" / "2026" / "12").iterdir()] == ["a.mp3"]
    assert stat.S_IMODE((tmp_path / "store" / "2026").stat().st_mode) == 0o700

    storage.delete("2026/12/a.mp3")
    storage.delete("2026/12/a.mp3")  # missing is fine
    assert not storage.exists("2026/12/a.mp3")
    with pytest.raises(MissingObject):
        storage.open("2026/12/a.mp3")
    for key in ("../escape.mp3", "/etc/passwd", "a/../../b", "", "a//b"):
        with pytest.raises(ValueError, match="not a storage key"):
            storage.put(key, b"x")


def test_the_recordings_folder_is_under_instance_by_default(tmp_path, fake_twilio, database_url):
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, fake_twilio, database_url))

    storage = app_storage(app)
    assert isinstance(storage, LocalStorage)
    assert storage.root == Path(app.instance_path) / "recordings"


# --- the production HTTP client keeps audio bytes intact ---------------------------------------


class _AudioHandler(http.server.BaseHTTPRequestHandler):
    body = bytes(range(256)) * 40

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.endswith(".json"):
            payload = '{"message": "Пермь"}'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if self.path.startswith("/Recordings/"):
            self.send_response(302)
            self.send_header("Location", "/media/file")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def audio_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AudioHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_binary_safe_client_brings_every_byte_home_and_still_reads_json(audio_server):
    client = BinarySafeHttpClient(timeout=5)

    response = client.request("GET", f"{audio_server}/Recordings/RE1.mp3", allow_redirects=True)
    assert response.status_code == 200
    assert body_bytes(response.content) == _AudioHandler.body

    text = client.request("GET", f"{audio_server}/Recordings.json")
    assert text.content == '{"message": "Пермь"}'


def test_the_plain_twilio_client_would_mangle_audio(audio_server):
    response = TwilioHttpClient(timeout=5).request(
        "GET", f"{audio_server}/media/file", allow_redirects=True
    )
    assert response.content.encode("utf-8", "replace") != _AudioHandler.body
