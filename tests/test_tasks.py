"""The task queue in the web process: what the webhooks queue, and what the tasks record.

Tasks run at once where they are queued (Huey's immediate mode) unless a test takes the
``queue`` fixture: then they wait in SQLite storage until :func:`run_queued` runs them as
a worker would. Real consumers, killed mid-task too, are in ``test_worker.py``.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from twilio.http.response import Response

from cli import periodic
from models import AuditEntry, Recording, RecordingState
from tasks.outbound import copy_recording, send_sms
from tests.conftest import MOBILE, run_queued
from tests.fakes import FakeRecording, FakeTwilioHttp, _json, fake_audio
from tests.test_recording_copies import leave_request

SLOW_SMS_SECONDS = 2.0


def task_records(records, subject: str) -> list[str]:
    return list(
        records().scalars(
            sa.select(AuditEntry.detail)
            .where(AuditEntry.subject == subject, AuditEntry.action == "task")
            .order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def sms(config: dict) -> None:
    config["SMS_FROM"] = "PriemnayaPR"


def test_the_read_back_does_not_wait_for_a_slow_sms_api(
    sms, twilio, queue, fake_twilio: FakeTwilioHttp, records
):
    def slow_message(method: str, path: str, data: dict) -> Response:
        time.sleep(SLOW_SMS_SECONDS)
        return _json(201, {"sid": "SM" + "e" * 32, "status": "queued", "body": data["Body"]})

    fake_twilio.routes[("POST", "/Messages.json")] = slow_message
    fake_twilio.any_audio = fake_audio()

    started = time.monotonic()
    call_sid = leave_request(twilio)
    whole_call = time.monotonic() - started

    assert whole_call < SLOW_SMS_SECONDS / 2, "a webhook waited for the SMS API"
    assert fake_twilio.sent("POST", "/Messages.json") == []

    assert sorted(run_queued(queue)) == ["copy_recording", "send_sms"]

    [message] = fake_twilio.sent("POST", "/Messages.json")
    assert message.data["To"] == MOBILE
    assert message.data["Body"].startswith("Ваше обращение зарегистрировано, номер ")
    assert task_records(records, f"call:{call_sid}") == ["SMS: SMS отправлено"]


def test_an_sms_is_sent_once_however_often_it_is_queued(sms, app, fake_twilio):
    for _ in range(3):
        send_sms("CA" + "1" * 32, MOBILE, "Код записи 4821")

    assert len(fake_twilio.sent("POST", "/Messages.json")) == 1


def test_a_failed_sms_is_recorded_and_sent_by_its_retry(sms, app, fake_twilio, records, queue):
    failures = [500]

    def flaky(method: str, path: str, data: dict) -> Response:
        if failures:
            return _json(failures.pop(), {"code": 20500, "message": "down", "status": 500})
        return _json(201, {"sid": "SM" + "e" * 32, "status": "queued", "body": data["Body"]})

    fake_twilio.routes[("POST", "/Messages.json")] = flaky
    call_sid = "CA" + "2" * 32

    send_sms(call_sid, MOBILE, "Код записи 4821")
    run_queued(queue)

    [retry] = queue.scheduled()
    assert retry.retries == 4
    assert retry.retry_delay == 60  # 30 s, then twice as long
    queue.storage.flush_schedule()
    queue.execute(retry, timestamp=retry.eta)  # as the worker does once its time has come

    assert len(fake_twilio.sent("POST", "/Messages.json")) == 2
    assert task_records(records, f"call:{call_sid}") == [
        "SMS: ошибка SmsError, будет повторена",
        "SMS: SMS отправлено",
    ]


def test_a_recording_twilio_failed_is_flagged_by_its_task(app, twilio, records, config):
    app.config["RECORDINGS_COPY"] = "off"
    call_sid = leave_request(twilio)
    [recording] = records().scalars(sa.select(Recording))

    copy_recording(recording.sid, "failed")
    copy_recording(recording.sid, "failed")  # idempotent

    recording = records().get(Recording, recording.id)
    assert recording.state is RecordingState.FAILED
    assert task_records(records, f"recording:{recording.sid}") == [
        "копия записи: Twilio сообщил, что запись не удалась: отмечена для сотрудников"
    ]
    assert call_sid


def test_the_recordings_sweep_copies_what_was_left_and_records_it(
    app, twilio, records, fake_twilio: FakeTwilioHttp, tmp_path, clock
):
    app.config.update(RECORDINGS_COPY="off", RECORDINGS_DIR=str(tmp_path / "recordings"))
    fake_twilio.any_audio = fake_audio()
    call_sid = leave_request(twilio)
    [recording] = records().scalars(sa.select(Recording))
    fake_twilio.recordings[recording.sid] = FakeRecording(recording.sid, call_sid)
    clock.advance(minutes=15)  # past the grace a callback has to come

    periodic.recordings_sync()
    periodic.recordings_sync()  # nothing left: nothing recorded

    assert records().get(Recording, recording.id).state is RecordingState.STORED
    assert task_records(records, "task:recordings-sync") == [
        "синхронизация записей: найдено без уведомления: 0, скопировано: 1, "
        "удалено в Twilio: 1, отмечено как неудачные: 0"
    ]


def test_retention_runs_the_command_line_purge(app, records):
    periodic.retention()

    assert task_records(records, "task:retention-purge") == [
        "удаление по сроку хранения: выполнено"
    ]


def test_the_periodic_tasks_run_on_the_office_clock(app):
    assert set(periodic.SCHEDULED) == {
        "spool_replay",
        "recordings_sync",
        "reminders",
        "retention",
    }
    # Asia/Yekaterinburg is UTC+5: 10:00 there is 05:00 UTC.
    reminders = periodic.reminders.task_class().validate_datetime
    assert reminders(datetime(2026, 12, 2, 5, 0))
    assert not reminders(datetime(2026, 12, 2, 5, 1))
    assert not reminders(datetime(2026, 12, 2, 15, 0))  # 20:00 in Perm
    purge = periodic.retention.task_class().validate_datetime
    assert [hour for hour in range(24) if purge(datetime(2026, 12, 2, hour, 30))] == [22]
    sync = periodic.recordings_sync.task_class().validate_datetime
    assert sum(sync(datetime(2026, 12, 2, 8, minute)) for minute in range(60)) == 12


def test_without_twilio_credentials_the_sweep_has_nothing_to_do(app, records):
    app.config["TWILIO_AUTH_TOKEN"] = None

    periodic.recordings_sync()

    assert task_records(records, "task:recordings-sync") == []
