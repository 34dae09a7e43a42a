"""``flask --app app retention purge``: audio and callers' numbers kept no longer than set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import orm

from calllog.retention import PURGED_NOTE
from models import Appeal, AppealStatus, Call, CallOutcome, RecordingState, StaffRole
from simulator import Simulator
from tests.conftest import LINE, MOBILE, OPEN_TIME
from tests.fakes import FakeTwilioHttp, fake_audio


@pytest.fixture(autouse=True)
def copies(config: dict, tmp_path: Path, fake_twilio: FakeTwilioHttp) -> Path:
    config["RECORDINGS_COPY"] = "queue"
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["SMS_FROM"] = "PriemnayaPR"
    config["RETENTION_RECORDINGS_DAYS"] = 365
    config["RETENTION_CALLS_DAYS"] = 1095
    fake_twilio.any_audio = fake_audio()
    return tmp_path / "recordings"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


APPEAL_CARD = {
    "topic": "housing",
    "name": "Сидорова Анна Петровна",
    "address": "г. Пермь, ул. Ленина, 1",
    "transcript": "Нет отопления",
}


def summary(recordings: int, calls: int, callbacks=0, appointments=0, appeals=0) -> str:
    return (
        f"purged {recordings} recording(s), anonymised {calls} call(s), {callbacks} callback(s), "
        f"{appointments} appointment(s), {appeals} appeal(s)"
    )


def purge(runner: FlaskCliRunner) -> Result:
    return runner.invoke(args=["retention", "purge"], catch_exceptions=False)


def leave_request(twilio: Simulator) -> str:
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=30, finish="#")
    call.finish()
    return call.sid


def the_call(records: Callable[[], orm.Session], sid: str) -> Call:
    return records().scalar(sa.select(Call).where(Call.sid == sid))


def test_old_audio_is_purged_and_the_records_keep_a_note(
    twilio, records, runner, clock, copies, fake_twilio
):
    old_sid = leave_request(twilio)
    clock.advance(days=200)
    new_sid = leave_request(twilio)
    (old,) = the_call(records, old_sid).recordings
    stored_file = copies / old.storage_key
    assert stored_file.exists()
    deletes_before = len(fake_twilio.recording_deletes())

    clock.advance(days=166)  # the first is now 366 days old, the second 166
    result = purge(runner)

    assert result.exit_code == 0
    assert result.stdout.strip() == summary(1, 0)
    assert not stored_file.exists()
    (old,) = the_call(records, old_sid).recordings
    assert old.state is RecordingState.PURGED
    assert old.purged_at == clock.now()
    assert old.storage_key is None
    assert old.sha256  # what was kept is still on record
    assert len(fake_twilio.recording_deletes()) == deletes_before  # Twilio's went long ago
    call = the_call(records, old_sid)
    assert ("recording_purged", old.sid) in [(e.kind, e.detail) for e in call.events]
    assert call.caller == MOBILE
    appeal = records().scalar(sa.select(Appeal).where(Appeal.id == old.appeal_id))
    assert appeal.status is AppealStatus.REGISTERED
    assert appeal.history[-1].note == PURGED_NOTE
    assert appeal.history[-1].status is AppealStatus.REGISTERED

    (new,) = the_call(records, new_sid).recordings
    assert new.state is RecordingState.STORED
    assert (copies / new.storage_key).exists()

    assert purge(runner).stdout.strip() == summary(0, 0)


def test_old_calls_are_anonymised_and_keep_line_times_and_outcome(twilio, records, runner, clock):
    sid = leave_request(twilio)
    clock.advance(days=1096)

    result = purge(runner)

    assert result.stdout.strip() == summary(1, 1)
    call = the_call(records, sid)
    assert call.caller is None
    assert call.caller_raw == ""
    assert call.anonymised_at == clock.now()
    assert call.line == LINE
    assert call.started_at == OPEN_TIME
    assert call.outcome is CallOutcome.REQUEST_LEFT
    assert purge(runner).stdout.strip() == summary(0, 0)


def test_a_recording_never_copied_is_deleted_at_twilio_too(
    twilio, records, runner, clock, fake_twilio
):
    fake_twilio.media_faults.extend([500])
    sid = leave_request(twilio)
    (recording,) = the_call(records, sid).recordings
    assert recording.state is RecordingState.PENDING
    assert fake_twilio.holds(recording.sid)

    clock.advance(days=366)
    fake_twilio.delete_faults.append(503)
    failed = purge(runner)

    assert failed.exit_code == 1
    assert "1 recording(s) could not be purged yet" in failed.stderr
    (recording,) = the_call(records, sid).recordings
    assert recording.state is RecordingState.PENDING

    assert purge(runner).stdout.strip() == summary(1, 0)
    (recording,) = the_call(records, sid).recordings
    assert recording.state is RecordingState.PURGED
    assert not fake_twilio.holds(recording.sid)


def test_zero_days_keeps_for_ever(app, twilio, records, runner, clock):
    app.config["RETENTION_RECORDINGS_DAYS"] = 0
    app.config["RETENTION_CALLS_DAYS"] = 0
    sid = leave_request(twilio)
    clock.advance(days=5000)

    assert purge(runner).stdout.strip() == summary(0, 0)
    (recording,) = the_call(records, sid).recordings
    assert recording.state is RecordingState.STORED


def test_a_shorter_call_age_takes_the_audio_with_it(app, twilio, records, runner, clock):
    app.config["RETENTION_RECORDINGS_DAYS"] = 365
    app.config["RETENTION_CALLS_DAYS"] = 30
    sid = leave_request(twilio)
    clock.advance(days=31)

    assert purge(runner).stdout.strip() == summary(1, 1)
    (recording,) = the_call(records, sid).recordings
    assert recording.state is RecordingState.PURGED


def test_purge_runs_without_twilio_when_nothing_is_left_there(app, twilio, records, runner, clock):
    leave_request(twilio)
    app.config["TWILIO_HTTP_CLIENT"] = None
    app.config["TWILIO_ACCOUNT_SID"] = None
    clock.advance(days=366)

    assert purge(runner).stdout.strip() == summary(1, 0)


def test_young_data_is_left_alone(twilio, records, runner, clock):
    sid = leave_request(twilio)
    clock.advance(days=364)

    assert purge(runner).stdout.strip() == summary(0, 0)
    assert the_call(records, sid).recordings[0].state is RecordingState.STORED


def test_every_phone_past_its_age_is_anonymised_and_a_second_run_changes_nothing(
    app, twilio, records, runner, clock, schedule, sign_in, form_post
):
    """Calls, callbacks and appointments at the calls' age; appeals at their own, if answered."""
    from models import Appointment, AuditEntry, Callback, CallbackStatus

    schedule(clock.now() + timedelta(days=1), minutes=60)
    request_sid = leave_request(twilio)
    booking = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booking.press("1").press("1").press("1").record(seconds=4, finish="#")
    booking.finish()
    twilio.incoming_call(from_="+79024715566", to=LINE).start().hangup().finish()
    session = records()
    appeal = the_call(records, request_sid).appeals[0]
    callback = session.scalar(sa.select(Callback))
    sign_in(StaffRole.SUPERVISOR)
    form_post(f"/callbacks/{callback.id}/attempts", {"result": "wrong_number", "note": "Ошибка"})
    reply = form_post(f"/appeals/{appeal.number}/card", APPEAL_CARD)
    assert reply.status_code in (200, 302), reply.get_data(as_text=True)[:500]
    for status in ("in_review", "explained"):
        form_post(f"/appeals/{appeal.number}/status", {"status": status, "note": "Иванов Иван"})
    clock.advance(days=1096)

    result = purge(runner)

    assert result.stdout.strip() == summary(2, 3, callbacks=1, appointments=1)
    session = records()
    callback = session.get(Callback, callback.id)
    assert callback.phone is None
    assert callback.status is CallbackStatus.GAVE_UP
    assert [attempt.note for attempt in callback.attempts] == [""]
    (appointment,) = session.scalars(sa.select(Appointment))
    assert appointment.phone is None
    assert appointment.anonymised_at == clock.now()
    appeal = session.get(Appeal, appeal.id)
    assert appeal.phone == MOBILE  # the appeal keeps its archive age
    assert appeal.name

    clock.advance(days=1826 - 1096)
    assert purge(runner).stdout.strip() == summary(0, 0, appeals=1)
    appeal = records().get(Appeal, appeal.id)
    assert (appeal.phone, appeal.name, appeal.address, appeal.transcript) == (None,) * 4
    assert all(change.note == "" for change in appeal.history)
    assert appeal.status is AppealStatus.EXPLAINED
    assert appeal.number
    assert purge(runner).stdout.strip() == summary(0, 0)
    details = records().scalars(sa.select(AuditEntry.detail)).all()
    assert not [detail for detail in details if "Иванов" in detail]


def test_an_appeal_still_being_considered_is_never_anonymised(twilio, records, runner, clock):
    sid = leave_request(twilio)
    clock.advance(days=4000)

    assert purge(runner).stdout.strip() == summary(1, 1)
    appeal = the_call(records, sid).appeals[0]
    assert appeal.phone == MOBILE
    assert appeal.anonymised_at is None
