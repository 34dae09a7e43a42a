"""A citizen's personal data (152-FZ, art. 9 and 14): the export, and erasure on withdrawal.

Through the CLI (``personal-data export`` / ``erase``) and the staff pages, over whole calls
from the simulator: a request, a booking with its name recording, an abandoned call and its
callback worked by staff, a reminder SMS, a status check from another number.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner

import models
from models import Appeal, AuditEntry, Call, Callback, CallbackStatus, RecordingState, StaffRole
from tests.conftest import LINE, MOBILE
from tests.fakes import FakeTwilioHttp, fake_audio

OTHER = "+79024719988"
FORMATS = ("+7 902 471-22-33", "89024712233", "9024712233", "8 (902) 471-22-33")
#: The number as it may be written anywhere: E.164, national digits, the ten digits.
TRACES = ("79024712233", "89024712233", "9024712233", "471-22-33")
REASON = "заявление об отзыве согласия № 15 от 03.12.2026"


@pytest.fixture(autouse=True)
def copies(config: dict, tmp_path: Path, fake_twilio: FakeTwilioHttp) -> Path:
    config["RECORDINGS_COPY"] = "inline"
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["SMS_FROM"] = "PriemnayaPR"
    fake_twilio.any_audio = fake_audio()
    return tmp_path / "recordings"


@pytest.fixture
def runner(app) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def history(twilio, schedule, clock, runner, records, sign_in, form_post):
    """Everything one number can leave behind, and a little of another number's."""
    schedule(clock.now() + timedelta(days=1), minutes=60)
    request = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    request.press("2").press("1").press("1").record(seconds=30, finish="#")
    request.finish()
    booking = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booking.press("1").press("1").press("1").record(seconds=4, finish="#")
    booking.finish()
    twilio.incoming_call(from_=MOBILE, to=LINE).start().hangup().finish()
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    session = records()
    appeal = session.scalar(sa.select(Appeal).where(Appeal.phone == MOBILE))
    callback = session.scalar(sa.select(Callback).where(Callback.phone == MOBILE))
    sign_in(StaffRole.OPERATOR)
    reply = form_post(
        f"/callbacks/{callback.id}/attempts", {"result": "no_answer", "note": "Не ответил"}
    )
    assert reply.status_code in (200, 302)
    # Another number asks about our appeal, and leaves its own request.
    status = twilio.incoming_call(from_=OTHER, to=LINE).start()
    status.press("3").press(appeal.number + "#")
    status.finish()
    other = twilio.incoming_call(from_=OTHER, to=LINE).start()
    other.press("2").press("1").press("2").record(seconds=12, finish="#")
    other.finish()
    return {"appeal": appeal.number}


def export(runner: FlaskCliRunner, phone: str, *extra: str) -> dict:
    result = runner.invoke(args=["personal-data", "export", phone, *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def without_time(found: dict) -> dict:
    return {key: value for key, value in found.items() if key != "generated_at"}


def test_export_finds_everything_for_a_number_in_any_format(history, runner, records):
    found = export(runner, FORMATS[0])

    assert found["phone"] == MOBILE
    assert len(found["calls"]) == 3
    assert {call["caller"] for call in found["calls"]} == {MOBILE}
    assert [appeal["number"] for appeal in found["appeals"]] == [history["appeal"]]
    assert len(found["appointments"]) == 1
    assert found["appointments"][0]["phone"] == MOBILE
    (callback,) = found["callbacks"]
    assert callback["reasons"] == ["abandoned"]
    assert [a["note"] for a in callback["attempts"]] == ["Не ответил"]
    assert sorted(c["purpose"] for c in found["consents"]) == ["appeal", "booking"]
    assert sorted(r["kind"] for r in found["recordings"]) == ["message", "name"]
    assert all(r["audio_kept"] for r in found["recordings"])
    assert found["sms"] == [
        {
            "kind": "reminder",
            "appointment": found["appointments"][0]["code"],
            "sent_at": found["sms"][0]["sent_at"],
        }
    ]
    for phone in FORMATS[1:]:
        assert without_time(export(runner, phone)) == without_time(found)
    # The other number's export holds its own request, not the appeal it asked about.
    theirs = export(runner, OTHER)
    assert history["appeal"] not in [appeal["number"] for appeal in theirs["appeals"]]
    assert len(theirs["appeals"]) == 1
    assert len(theirs["calls"]) == 2


def test_each_export_is_audited_with_counts_only(history, runner, records, tmp_path):
    report = tmp_path / "report.html"
    export(runner, "89024712233", "--html", str(report))

    text = report.read_text(encoding="utf-8")
    assert "Сведения о персональных данных, связанных с номером 8 (902) 471-22-33" in text
    assert f"№ {history['appeal']}" in text
    assert "Не ответил" in text
    assert "напоминание о приёме" in text
    (entry,) = records().scalars(sa.select(AuditEntry).where(AuditEntry.subject == "personal_data"))
    assert entry.action == "export"
    assert entry.actor.startswith("cli:")
    assert "звонков 3" in entry.detail
    assert not any(trace in entry.detail for trace in TRACES)


def test_a_number_that_is_not_one_is_refused(runner):
    result = runner.invoke(args=["personal-data", "export", "12-34"])
    assert result.exit_code == 2
    assert "не номер телефона" in result.output


# --- erasure ---------------------------------------------------------------------------------


def snapshot(records) -> dict[str, list[tuple]]:
    session = records()
    return {
        table.name: [
            tuple(row)
            for row in session.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in models.Base.metadata.sorted_tables
    }


def traces_outside_appeals(rows: dict[str, list[tuple]]) -> list[str]:
    """Every cell of every table but the appeals (and the audit) that shows the number."""
    return [
        f"{table}: {row}"
        for table, table_rows in rows.items()
        if table not in ("appeal", "audit_entry")
        for row in table_rows
        if any(trace in str(cell) for cell in row for trace in TRACES)
    ]


def files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def erase(runner: FlaskCliRunner, phone: str = "9024712233"):
    return runner.invoke(args=["personal-data", "erase", phone, "--reason", REASON])


def test_erase_leaves_no_trace_outside_the_appeals_the_law_keeps(
    history, runner, records, copies, fake_twilio
):
    session = records()
    recordings = session.scalars(sa.select(models.Recording).order_by(models.Recording.id)).all()
    message, name, theirs = recordings
    assert message.appeal_id is not None
    assert name.appointment_id is not None
    assert traces_outside_appeals(snapshot(records))  # the check can see the number

    result = erase(runner)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "звонков без номера: 3, обратных звонков: 1, записей на приём: 1, "
        "аудиозаписей удалено: 1; оставлено обращений: 1, согласий: 2"
    )
    assert f"обращение № {history['appeal']} оставлено" in result.stdout
    rows = snapshot(records)
    assert traces_outside_appeals(rows) == []
    assert files(copies) == {message.storage_key, theirs.storage_key}
    session = records()
    name = session.get(models.Recording, name.id)
    assert name.state is RecordingState.PURGED
    assert name.storage_key is None
    assert ("recording_erased", name.sid) in [(e.kind, e.detail) for e in name.call.events]
    appeal = session.scalar(sa.select(Appeal).where(Appeal.number == history["appeal"]))
    assert appeal.phone == MOBILE
    assert appeal.anonymised_at is None
    assert session.get(models.Recording, message.id).state is RecordingState.STORED
    callback = session.scalar(sa.select(Callback))
    assert callback.status is CallbackStatus.GAVE_UP
    assert callback.phone is None
    assert [a.note for a in callback.attempts] == [""]
    assert len(rows["consent"]) == 3  # two of ours, kept; one of the other number's
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erase"))
    assert entry.subject == "personal_data"
    assert REASON in entry.detail
    assert not any(trace in entry.detail for trace in TRACES)
    # Only the kept appeal is still found by the number.
    found = export(runner, MOBILE)
    assert [a["number"] for a in found["appeals"]] == [history["appeal"]]
    assert found["calls"] == found["callbacks"] == found["appointments"] == []


def test_a_second_erase_changes_nothing(history, runner, records, copies, fake_twilio):
    assert erase(runner).exit_code == 0
    before = snapshot(records)
    stored = files(copies)
    requests = len(fake_twilio.requests)

    again = erase(runner, "+7 902 471-22-33")

    assert again.exit_code == 0
    assert again.stdout.startswith(
        "звонков без номера: 0, обратных звонков: 0, записей на приём: 0, "
        "аудиозаписей удалено: 0; оставлено обращений: 1"
    )
    after = snapshot(records)
    assert len(after.pop("audit_entry")) == len(before.pop("audit_entry")) + 1
    assert after == before
    assert files(copies) == stored
    assert len(fake_twilio.requests) == requests


def test_erase_refuses_a_reason_holding_a_phone_number(history, runner, records):
    result = runner.invoke(
        args=["personal-data", "erase", MOBILE, "--reason", "звонил с 8 902 471 22 33"]
    )
    assert result.exit_code == 2
    assert "номера телефона" in result.output
    assert records().scalar(sa.select(Call.caller).where(Call.caller == MOBILE)) == MOBILE


def test_audio_still_at_twilio_is_deleted_there_and_a_failure_is_finished_next_time(
    twilio, runner, records, fake_twilio, schedule, clock
):
    schedule(clock.now() + timedelta(days=1), minutes=60)
    fake_twilio.media_faults.extend([500])
    booking = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booking.press("1").press("1").press("1").record(seconds=4, finish="#")
    booking.finish()
    (recording,) = records().scalars(sa.select(models.Recording))
    assert recording.state is RecordingState.PENDING
    assert fake_twilio.holds(recording.sid)
    fake_twilio.delete_faults.append(503)

    failed = erase(runner)

    assert failed.exit_code == 1
    assert records().get(models.Recording, recording.id).state is RecordingState.PENDING
    assert erase(runner).exit_code == 0
    assert records().get(models.Recording, recording.id).state is RecordingState.PURGED
    assert not fake_twilio.holds(recording.sid)


# --- the pages -----------------------------------------------------------------------------


def test_the_report_page_finds_the_number_and_downloads_json_and_print(
    history, client, sign_in, form_post, records
):
    sign_in(StaffRole.SUPERVISOR)
    page = form_post("/personal-data", {"phone": "8 902 471-22-33", "format": "page"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"№ {history['appeal']}" in text
    assert "Удалить по отзыву согласия" not in text  # admins only

    download = form_post("/personal-data", {"phone": "9024712233", "format": "json"})
    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_json()["phone"] == MOBILE
    printed = form_post("/personal-data", {"phone": "9024712233", "format": "html"})
    assert printed.get_data(as_text=True).startswith("<!doctype html>")

    entries = (
        records()
        .scalars(sa.select(AuditEntry.detail).where(AuditEntry.subject == "personal_data"))
        .all()
    )
    assert len(entries) == 3
    assert not any(trace in detail for detail in entries for trace in TRACES)


def test_an_operator_may_not_see_the_page_and_a_supervisor_may_not_erase(
    history, client, sign_in, form_post
):
    sign_in(StaffRole.OPERATOR)
    assert client.get("/personal-data").status_code == 403
    assert form_post("/personal-data", {"phone": MOBILE}).status_code == 403
    sign_in(StaffRole.SUPERVISOR)
    assert form_post("/personal-data/erase", {"phone": MOBILE}).status_code == 403


def test_an_admin_sees_what_will_go_confirms_and_erases(
    history, client, sign_in, form_post, records
):
    sign_in(StaffRole.ADMIN)
    confirm = form_post("/personal-data/erase", {"phone": "89024712233"})
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Номер телефона из 3 звонков" in text
    assert f"Обращение № {history['appeal']}" in text
    assert "59-ФЗ" in text
    assert records().scalar(sa.select(Call.caller).where(Call.caller == MOBILE))

    unconfirmed = form_post("/personal-data/erase", {"phone": MOBILE, "reason": REASON})
    assert unconfirmed.status_code == 200
    assert records().scalar(sa.select(Call.caller).where(Call.caller == MOBILE))
    no_reason = form_post("/personal-data/erase", {"phone": MOBILE, "confirm": "y"})
    assert no_reason.status_code == 400

    done = form_post("/personal-data/erase", {"phone": MOBILE, "reason": REASON, "confirm": "y"})
    assert done.status_code == 200
    assert "Персональные данные удалены" in done.get_data(as_text=True)
    assert traces_outside_appeals(snapshot(records)) == []
    again = form_post("/personal-data/erase", {"phone": MOBILE})
    assert "Удалять нечего" in again.get_data(as_text=True)


def test_no_number_travels_in_a_url(history, client, sign_in):
    sign_in(StaffRole.ADMIN)
    page = client.get("/personal-data").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/personal-data"', page)


@pytest.fixture
def transcribing(config: dict) -> None:
    config["TRANSCRIPTION"] = "twilio"


def test_erase_takes_a_names_transcript_with_its_audio_and_keeps_the_appeals(
    transcribing, twilio, schedule, clock, runner, records
):
    schedule(clock.now() + timedelta(days=1), minutes=60)
    request = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    request.press("2").press("1").press("1").record(30, "#", words="Нет отопления.").silence()
    request.finish()
    booking = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booking.press("1").press("1").press("1").record(4, "#", words="Петрова Анна").silence()
    booking.finish()
    texts = records().scalars(sa.select(models.Transcript.text).order_by(models.Transcript.id))
    assert texts.all() == ["Нет отопления.", "Петрова Анна"]

    assert erase(runner).exit_code == 0

    (kept,) = records().scalars(sa.select(models.Transcript)).all()
    assert kept.text == "Нет отопления."
    assert kept.appeal is not None
