"""Privacy (152-FZ, §11): no personal data in the logs; retention purge is idempotent.

* Every log record of the whole test run (this session's, captured from the moment this
  folder's conftest was loaded) and every gunicorn log of the reliability tests holds no
  full phone number, no citizen's name and no recording URL. The test is moved to the
  end of the session by ``conftest.py``, so that it reads everything the others logged.
* ``flask --app app retention purge`` run a second time changes nothing: not a row, not a
  stored file, not a request to Twilio; first past the recordings' age, then past the
  calls' age. (``tests/test_retention.py`` checks what the first run does.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import orm

import models
from simulator import Simulator
from tests.conftest import LINE, MOBILE
from tests.fakes import FakeTwilioHttp, fake_audio
from tests.privacy_scan import PUBLIC_NUMBERS, personal_data_in
from tests.reliability import harness
from tests.reliability.conftest import LOG_RECORDS


def test_the_logs_of_the_whole_run_hold_no_personal_data(report) -> None:
    offending = []
    lines = 0
    for origin, line in LOG_RECORDS:
        lines += 1
        if found := personal_data_in(line):
            offending.append(f"{origin}: {found} in {line[:200]!r}")
    for log in harness.SERVER_LOGS:
        if not log.exists():
            continue
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), start=1):
            lines += 1
            if found := personal_data_in(line):
                offending.append(f"{log.name}:{number}: {found} in {line[:200]!r}")
    report(records_checked=lines, log_lines=lines, server_logs=len(harness.SERVER_LOGS))
    assert offending == [], "\n".join(offending[:30])


def test_the_log_check_would_see_a_number_a_name_and_a_recording_url() -> None:
    assert personal_data_in("call from +79024712233") == ["+79024712233"]
    assert personal_data_in("call from 89024712233 at 10:00")
    assert not personal_data_in("call from +7902*****33 on +73422368229")
    assert not personal_data_in("huey: Executing send_sms: efaacd0c-3e54-4127-886c-86163827199a")
    assert personal_data_in("task efaacd0c-3e54-4127-886c-86163827199a to 89024712233")
    assert personal_data_in(
        "GET https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32
    )
    assert personal_data_in("appeal by Иванов Иван Иванович")
    assert personal_data_in("звонок с 8 (902) 471-22-33") == ["8 (902) 471-22-33"]
    assert personal_data_in("caller +7 902 471 22 33")
    assert not personal_data_in("линия 8 (342) 236-82-29, обращение 2026001, код 4711")


# --- retention purge, twice ----------------------------------------------------------------


@pytest.fixture
def copies(config: dict, tmp_path: Path, fake_twilio: FakeTwilioHttp) -> Path:
    config["RECORDINGS_COPY"] = "queue"
    config["RECORDINGS_DIR"] = str(tmp_path / "recordings")
    config["RETENTION_RECORDINGS_DAYS"] = 365
    config["RETENTION_CALLS_DAYS"] = 1095
    fake_twilio.any_audio = fake_audio()
    return tmp_path / "recordings"


def snapshot(records: Callable[[], orm.Session]) -> dict[str, list[tuple]]:
    """Every row of every table, in key order."""
    session = records()
    rows = {}
    for table in models.Base.metadata.sorted_tables:
        query = sa.select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in session.execute(query)]
    return rows


def files(folder: Path) -> dict[str, int]:
    if not folder.exists():
        return {}
    return {str(path.relative_to(folder)): path.stat().st_size for path in folder.rglob("*")}


def many_kinds_of_calls(twilio: Simulator, schedule, clock) -> None:
    from datetime import timedelta

    schedule(clock.now() + timedelta(days=1), minutes=120)
    scripts = [
        (MOBILE, lambda c: c.press("2").press("1").press("1").record(30, "#").silence()),
        ("+79024712244", lambda c: c.press("2").press("1").press("3").record(9, "hangup")),
        ("anonymous", lambda c: c.press("2").press("1").press("2").record(12, "#")),
        ("+79024712255", lambda c: c.press("1").press("1").press("1").record(4, "#")),
        ("+73422000000", lambda c: c.press("4").hangup()),
        ("+79024712266", lambda c: c.hangup()),
    ]
    for caller, script in scripts:
        call = twilio.incoming_call(from_=caller, to=LINE).start()
        script(call)
        call.finish()


def test_retention_purge_run_twice_changes_nothing_the_second_time(
    app: Flask, twilio, records, clock, schedule, copies: Path, fake_twilio, report
) -> None:
    runner = app.test_cli_runner()
    many_kinds_of_calls(twilio, schedule, clock)
    checked = 0
    for days in (366, 1096 - 366):  # past the recordings' age, then past the calls' age
        clock.advance(days=days)
        first = runner.invoke(args=["retention", "purge"], catch_exceptions=False)
        assert first.exit_code == 0, first.output
        after_first = snapshot(records)
        stored = files(copies)
        twilio_requests = len(fake_twilio.requests)

        second = runner.invoke(args=["retention", "purge"], catch_exceptions=False)

        assert second.exit_code == 0, second.output
        assert second.stdout.strip() == (
            "purged 0 recording(s), anonymised 0 call(s), 0 callback(s), 0 appointment(s), "
            "0 appeal(s)"
        )
        assert snapshot(records) == after_first
        assert files(copies) == stored
        assert len(fake_twilio.requests) == twilio_requests
        checked += sum(map(len, after_first.values()))
    session = records()
    calls = session.scalars(sa.select(models.Call)).all()
    assert calls
    assert all(call.caller is None and call.anonymised_at for call in calls)
    assert all(
        recording.state is models.RecordingState.PURGED
        for recording in session.scalars(sa.select(models.Recording))
    )
    report(calls=len(calls), records_checked=checked)


@pytest.mark.parametrize(
    ("caller", "called", "direction"),
    [
        pytest.param(LINE, MOBILE, "outbound-api", id="staff calling a citizen back"),
        pytest.param(MOBILE, "+79024712299", "inbound", id="a call to a number not a line"),
    ],
)
def test_a_call_to_a_number_that_is_not_a_line_never_logs_it_in_full(
    webhook, caplog, caller: str, called: str, direction: str
) -> None:
    from tests.conftest import call_form, new_call_sid

    caplog.set_level("DEBUG")
    form = call_form(new_call_sid(), caller=caller, To=called, Called=called, Direction=direction)
    webhook("/twilio/voice", form)
    webhook("/twilio/status", form | {"CallStatus": "completed", "CallDuration": "20"})

    assert called not in caplog.text
    assert caller not in caplog.text or caller in PUBLIC_NUMBERS
