"""Real task-queue workers (Huey's consumer, ``flask --app app worker``) on SQLite storage
and on Redis, one of them killed mid-task.

A worker is a process of its own (``tests/worker_process.py``) sharing the database and
the queue's storage with the web app of the test, which enqueues through a signed
webhook as in production.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from twilio.request_validator import RequestValidator

from app import create_app
from calllog.migrate import upgrade_url
from cli import periodic
from models import AuditEntry, Recording, RecordingState
from settings import ROOT
from tasks.outbound import copy_recording
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, call_form, make_config, new_call_sid
from tests.fakes import FakeTwilioHttp

REDIS_SCRIPT = ROOT / "bin" / "redis-test-server"
SID = "RE" + "b" * 32


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """``TEST_REDIS_URL`` (``bin/test`` starts one), else a Redis of this module's own."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (bin/install-system-packages installs it)")
    env = {
        **os.environ,
        "REDIS_TEST_PORT": "56390",
        "REDIS_TEST_DATA": "/tmp/reception-redis-56390",
    }
    started = subprocess.run([REDIS_SCRIPT, "start"], env=env, check=True, capture_output=True)
    yield started.stdout.decode().strip().split("=", 1)[1]
    subprocess.run([REDIS_SCRIPT, "stop"], env=env, check=True)


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request, tmp_path: Path) -> dict[str, object]:
    if request.param == "sqlite":
        return {"TASKS_DB": str(tmp_path / "tasks.sqlite3")}
    return {"REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture
def settings(tmp_path: Path, queue_settings: dict[str, object]) -> dict[str, object]:
    database_url = f"sqlite:///{tmp_path / 'reception.sqlite3'}"
    upgrade_url(database_url)
    config = make_config(tmp_path, FakeTwilioHttp(), database_url)
    del config["TWILIO_HTTP_CLIENT"]
    config.update(
        TASKS_IMMEDIATE=False,
        RECORDINGS_DIR=str(tmp_path / "recordings"),
        TWILIO_LOG=str(tmp_path / "twilio.log"),
        HANG=str(tmp_path / "hang"),
        **queue_settings,
    )
    return config


@pytest.fixture
def web(settings: dict[str, object]) -> Iterator[Flask]:
    """The web app, enqueueing into the queue the workers read."""
    app = create_app({k: v for k, v in settings.items() if k not in ("TWILIO_LOG", "HANG")})
    app.extensions["huey"].storage.flush_all()
    yield app
    app.extensions["huey"].storage.flush_all()
    app.extensions["sessionmaker"].kw["bind"].dispose()


class Worker:
    def __init__(self, settings: dict[str, object], folder: Path) -> None:
        path = folder / "worker-settings.json"
        path.write_text(json.dumps(settings))
        self.log = (folder / "worker.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.worker_process", str(path)],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        self.log.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()


def wait_for(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def recording(app: Flask) -> Recording | None:
    with app.extensions["sessionmaker"]() as session:
        return session.scalar(sa.select(Recording).where(Recording.sid == SID))


def recording_callback(app: Flask) -> None:
    """Twilio says a message's recording is ready: the web app logs it and queues its copy."""
    params = call_form(
        new_call_sid(),
        RecordingSid=SID,
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{SID}",
        RecordingDuration="12",
        RecordingStatus="completed",
    )
    url = BASE_URL + "/twilio/message/ready"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    response = app.test_client().post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204


def twilio_requests(settings: dict[str, object], method: str, suffix: str) -> list[str]:
    log = Path(str(settings["TWILIO_LOG"]))
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if line.startswith(method + " ") and line.endswith(suffix)]


def test_a_worker_copies_a_recording_the_webhook_queued(web, settings, tmp_path):
    worker = Worker(settings, tmp_path)
    try:
        recording_callback(web)
        wait_for(lambda: recording(web).deleted_from_twilio_at is not None, "the copy")
    finally:
        worker.stop()

    assert recording(web).state is RecordingState.STORED
    assert len(twilio_requests(settings, "GET", f"{SID}.mp3")) == 1
    assert len(twilio_requests(settings, "DELETE", f"{SID}.json")) == 1
    with web.extensions["sessionmaker"]() as session:
        details = session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "task"))
        assert list(details) == ["копия записи: запись сохранена в приёмной"]


def test_a_worker_killed_mid_copy_leaves_it_to_the_sweep_which_does_it_once(
    web, settings, tmp_path
):
    Path(str(settings["HANG"])).touch()
    worker = Worker(settings, tmp_path)
    recording_callback(web)
    wait_for(Path(str(settings["HANG"]) + ".started").exists, "the download to start")
    worker.kill()  # SIGKILL, mid-download: Huey had taken the task off the queue

    left = recording(web)
    assert (left.state, left.attempts, left.storage_key) == (RecordingState.PENDING, 1, None)
    assert twilio_requests(settings, "DELETE", f"{SID}.json") == []

    # The recording's backoff is over; Twilio's callback is sent again, and the sweep runs.
    Path(str(settings["HANG"])).unlink()
    with web.extensions["sessionmaker"]() as session:
        session.execute(
            sa.update(Recording).values(next_attempt_at=left.next_attempt_at - timedelta(hours=1))
        )
        session.commit()
    with web.app_context():
        copy_recording(SID, "completed")
        periodic.recordings_sync()
        periodic.recordings_sync()
    worker = Worker(settings, tmp_path)
    try:
        wait_for(lambda: recording(web).deleted_from_twilio_at is not None, "the copy")
        wait_for(lambda: web.extensions["huey"].pending_count() == 0, "the queue to empty")
        time.sleep(0.5)  # a duplicate still running would ask Twilio now
    finally:
        worker.stop()

    done = recording(web)
    assert (done.state, done.attempts) == (RecordingState.STORED, 2)
    assert len(list((tmp_path / "recordings").rglob(f"{SID}.mp3"))) == 1
    assert len(twilio_requests(settings, "GET", f"{SID}.mp3")) == 1  # the killed one never got
    assert len(twilio_requests(settings, "DELETE", f"{SID}.json")) == 1
