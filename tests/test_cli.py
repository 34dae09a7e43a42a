"""The command line (§8): ``flask --app app <command>``, through Flask's CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import orm

import db
import models
import settings
from app import create_app
from calllog.migrate import alembic_config
from clock import FixedClock
from models import ApiToken, Appeal, Call, StaffRole, StaffUser
from tests.conftest import BASE_URL, LINE, MOBILE
from tests.fakes import FakeTwilioHttp
from twilio_turn import spool

DEFAULT_LINES = ("+73422368229", "+73422368458", "+73422367992")
LOCAL_PN = {number: f"PN{index:032d}" for index, number in enumerate(DEFAULT_LINES, 1)}


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def invoke(runner: FlaskCliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(args=list(args), input=input, catch_exceptions=False)


def output_of(result: Result) -> str:
    """Everything the command printed, on stdout and stderr."""
    return result.stdout + result.stderr


# --- staff create-token -----------------------------------------------------------------------


def test_create_token_prints_the_token_last_and_it_works_on_the_api(
    runner: FlaskCliRunner, client: FlaskClient, records: Callable[[], orm.Session]
) -> None:
    result = invoke(runner, "staff", "create-token", "dashboard", "--role", "supervisor")
    assert result.exit_code == 0, output_of(result)
    token = result.stdout.strip().splitlines()[-1].strip()
    assert token
    assert " " not in token

    response = client.get("/api/calls", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "next": None}
    with records() as session:
        stored = session.scalars(sa.select(ApiToken).where(ApiToken.name == "dashboard")).one()
        assert stored.role is StaffRole.SUPERVISOR
        assert token not in stored.token_hash  # only a digest is kept


def test_create_token_defaults_to_operator_and_refuses_unknown_roles(
    runner: FlaskCliRunner, records: Callable[[], orm.Session]
) -> None:
    assert invoke(runner, "staff", "create-token", "plain").exit_code == 0
    with records() as session:
        stored = session.scalars(sa.select(ApiToken).where(ApiToken.name == "plain")).one()
        assert stored.role is StaffRole.OPERATOR
    result = invoke(runner, "staff", "create-token", "boss", "--role", "emperor")
    assert result.exit_code != 0
    assert "emperor" in output_of(result)


def test_each_token_is_new(runner: FlaskCliRunner) -> None:
    first = invoke(runner, "staff", "create-token", "a").stdout.strip().splitlines()[-1]
    second = invoke(runner, "staff", "create-token", "a").stdout.strip().splitlines()[-1]
    assert first != second


def test_a_token_with_days_expires(
    runner: FlaskCliRunner, client: FlaskClient, clock: FixedClock
) -> None:
    result = invoke(runner, "staff", "create-token", "temp", "--days", "2")
    token = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/calls", headers=headers).status_code == 200
    clock.advance(days=2)
    assert client.get("/api/calls", headers=headers).status_code == 401


def test_revoke_token_stops_it_working(runner: FlaskCliRunner, client: FlaskClient) -> None:
    token = invoke(runner, "staff", "create-token", "gone").stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/calls", headers=headers).status_code == 200
    result = invoke(runner, "staff", "revoke-token", "gone")
    assert result.exit_code == 0
    assert "1" in result.stdout
    assert client.get("/api/calls", headers=headers).status_code == 401


def test_add_user_asks_for_the_password(
    runner: FlaskCliRunner, records: Callable[[], orm.Session]
) -> None:
    result = invoke(
        runner, "staff", "add-user", "ivanova", "--role", "admin", input="long-password\n" * 2
    )
    assert result.exit_code == 0, output_of(result)
    with records() as session:
        user = session.scalars(sa.select(StaffUser).where(StaffUser.login == "ivanova")).one()
        assert user.role is StaffRole.ADMIN
        assert "long-password" not in user.password_hash
    again = invoke(runner, "staff", "add-user", "ivanova", input="long-password\n" * 2)
    assert again.exit_code != 0
    assert "ivanova" in output_of(again)


# --- twilio configure -------------------------------------------------------------------------


def number_updates(fake: FakeTwilioHttp) -> dict[str, dict[str, str]]:
    """The settings posted to each IncomingPhoneNumber, by its sid."""
    updates = {}
    for sent in fake.requests:
        if sent.method == "POST" and "/IncomingPhoneNumbers/" in sent.url:
            sid = sent.url.split("?")[0].rsplit("/", 1)[1].removesuffix(".json")
            updates[sid] = sent.data
    return updates


def test_twilio_configure_points_every_line_at_the_public_url(
    runner: FlaskCliRunner, fake_twilio: FakeTwilioHttp
) -> None:
    fake_twilio.numbers = dict(LOCAL_PN)
    result = invoke(runner, "twilio", "configure")
    assert result.exit_code == 0, output_of(result)

    updates = number_updates(fake_twilio)
    assert set(updates) == set(LOCAL_PN.values())
    for data in updates.values():
        assert data["VoiceUrl"] == f"{BASE_URL}/twilio/voice"
        assert data["VoiceMethod"] == "POST"
        assert data["StatusCallback"] == f"{BASE_URL}/twilio/status"
        assert data["StatusCallbackMethod"] == "POST"
        assert data["VoiceFallbackUrl"] == f"{BASE_URL}/twilio/fallback"
        assert data["VoiceFallbackMethod"] == "POST"
    for number in DEFAULT_LINES:
        assert number in result.stdout


def test_the_configured_urls_are_ones_the_app_answers(
    runner: FlaskCliRunner, fake_twilio: FakeTwilioHttp, app: Flask
) -> None:
    fake_twilio.numbers = dict(LOCAL_PN)
    invoke(runner, "twilio", "configure")
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    for data in number_updates(fake_twilio).values():
        for name in ("VoiceUrl", "StatusCallback", "VoiceFallbackUrl"):
            path = data[name].removeprefix(BASE_URL)
            assert path in rules, path
            assert "POST" in rules[path].methods


def test_twilio_configure_names_a_line_missing_from_the_account(
    runner: FlaskCliRunner, fake_twilio: FakeTwilioHttp
) -> None:
    fake_twilio.numbers = {number: sid for number, sid in LOCAL_PN.items() if number != LINE}
    result = runner.invoke(args=["twilio", "configure"])
    assert result.exit_code != 0
    assert LINE in output_of(result)
    assert "Traceback" not in output_of(result)
    # The lines that are on the account are still configured.
    assert set(number_updates(fake_twilio)) == set(fake_twilio.numbers.values())


def test_twilio_configure_finds_a_line_by_its_twilio_alias(
    config: dict, fake_twilio: FakeTwilioHttp, request: pytest.FixtureRequest
) -> None:
    config["RECEPTION_LINES"] = (
        '[{"number": "+73422368229", "name": "приёмную", "aliases": ["+14155550100"]}]'
    )
    fake_twilio.numbers = {"+14155550100": "PN" + "7" * 32}
    fake_twilio.verified_caller_ids = ["+73422368229"]  # outbound calls may show it
    runner: FlaskCliRunner = request.getfixturevalue("runner")
    result = invoke(runner, "twilio", "configure")
    assert result.exit_code == 0, output_of(result)
    assert set(number_updates(fake_twilio)) == {"PN" + "7" * 32}


def test_twilio_configure_needs_the_public_base_url(
    config: dict, fake_twilio: FakeTwilioHttp, request: pytest.FixtureRequest
) -> None:
    config["PUBLIC_BASE_URL"] = None
    fake_twilio.numbers = dict(LOCAL_PN)
    runner: FlaskCliRunner = request.getfixturevalue("runner")
    result = runner.invoke(args=["twilio", "configure"])
    assert result.exit_code != 0
    assert "PUBLIC_BASE_URL" in output_of(result)
    assert "Traceback" not in output_of(result)
    assert number_updates(fake_twilio) == {}


# --- db upgrade -------------------------------------------------------------------------------


def flask_command(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app <repo>/app.py ARGS`` in a fresh process, from ``tmp_path``."""
    environment = {key: value for key, value in os.environ.items() if key not in settings.DEFAULTS}
    environment |= {"APP_ENV": "development", **env}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(settings.ROOT / "app.py"), *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_creates_the_schema_from_another_directory(tmp_path: Path) -> None:
    database = tmp_path / "data" / "x.db"
    database.parent.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    url = f"sqlite:///{database}"

    done = flask_command(work, "db", "upgrade", DATABASE_URL=url, SPOOL_DIR=str(tmp_path / "sp"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    # SQLite's search index (an FTS5 table and the tables it keeps) is made beside the models.
    search_index = {name for name in tables if name.startswith("appeal_fts")}
    assert "appeal_fts" in search_index
    assert tables - search_index == set(models.Base.metadata.tables) | {"alembic_version"}
    assert version
    assert list(work.iterdir()) == []

    again = flask_command(work, "db", "upgrade", DATABASE_URL=url, SPOOL_DIR=str(tmp_path / "sp"))
    assert again.returncode == 0, again.stderr


# --- spool replay -----------------------------------------------------------------------------


def message_params(sid: str, recording_sid: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "1" * 32,
        "CallSid": sid,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": MOBILE,
        "To": LINE,
        "RecordingSid": recording_sid,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recording_sid}",
        "RecordingDuration": "10",
        **extra,
    }


def entries_left(app: Flask) -> list[Path]:
    folder = Path(app.config["SPOOL_DIR"])
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".replay"))


def test_spool_replay_writes_the_spooled_message_into_the_database(
    app: Flask, runner: FlaskCliRunner, records: Callable[[], orm.Session], clock: FixedClock
) -> None:
    sid, recording = "CA" + "5" * 32, "RE" + "5" * 32
    spooled_at = clock.now() - timedelta(hours=2)
    spool.write(app.config["SPOOL_DIR"], "message", message_params(sid, recording), spooled_at)
    assert len(spool.pending(app.config["SPOOL_DIR"])) == 1

    result = invoke(runner, "spool", "replay")
    assert result.exit_code == 0, output_of(result)
    assert "1" in result.stdout

    with records() as session:
        appeal = session.scalars(sa.select(Appeal)).one()
        assert appeal.phone == MOBILE
        assert [call.sid for call in appeal.calls] == [sid]
        assert [rec.sid for rec in appeal.recordings] == [recording]
        call = session.scalars(sa.select(Call).where(Call.sid == sid)).one()
        assert call.started_at == spooled_at  # written as of when it was spooled
    assert spool.pending(app.config["SPOOL_DIR"]) == []
    assert entries_left(app) == []

    again = invoke(runner, "spool", "replay")
    assert again.exit_code == 0
    assert "0" in again.stdout
    with records() as session:
        assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 1


def test_spool_replay_keeps_the_order_and_every_entry(
    app: Flask, runner: FlaskCliRunner, records: Callable[[], orm.Session], clock: FixedClock
) -> None:
    folder = app.config["SPOOL_DIR"]
    sid, recording = "CA" + "6" * 32, "RE" + "6" * 32
    spool.write(folder, "message", message_params(sid, recording), clock.now())
    clock.advance(seconds=30)
    status = message_params(sid, recording, CallStatus="completed", CallDuration="31")
    spool.write(folder, "status", status, clock.now())
    other = "CA" + "7" * 32
    clock.advance(seconds=5)
    spool.write(folder, "message", message_params(other, "RE" + "7" * 32), clock.now())

    result = invoke(runner, "spool", "replay")
    assert result.exit_code == 0, output_of(result)
    assert "3" in result.stdout
    with records() as session:
        call = session.scalars(sa.select(Call).where(Call.sid == sid)).one()
        assert (call.status, call.duration_s) == ("completed", 31)
        assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 2
    assert entries_left(app) == []


def test_an_entry_that_can_never_be_written_does_not_block_the_others(
    app: Flask, runner: FlaskCliRunner, records: Callable[[], orm.Session], clock: FixedClock
) -> None:
    """One poisoned entry must not keep every later citizen's message out of the database."""
    folder = Path(app.config["SPOOL_DIR"])
    spool.write(folder, "no-such-kind", {"CallSid": "CA" + "8" * 32}, clock.now())
    clock.advance(seconds=1)
    sid = "CA" + "9" * 32
    spool.write(folder, "message", message_params(sid, "RE" + "9" * 32), clock.now())

    runner.invoke(args=["spool", "replay"])
    with records() as session:
        assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 1
    # Nothing is thrown away: the bad entry is kept aside for a person to look at.
    assert spool.pending(folder) == []
    kept = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".replay")]
    assert len(kept) == 1
    assert "no-such-kind" in kept[0].read_text(encoding="utf-8")

    again = invoke(runner, "spool", "replay")
    assert again.exit_code == 0


def test_an_unreadable_entry_is_set_aside_and_the_rest_replayed(
    app: Flask, runner: FlaskCliRunner, records: Callable[[], orm.Session], clock: FixedClock
) -> None:
    folder = Path(app.config["SPOOL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "00000000T000000000000-broken.json").write_text('{"kind": "mess', encoding="utf-8")
    spool.write(folder, "message", message_params("CA" + "4" * 32, "RE" + "4" * 32), clock.now())

    result = invoke(runner, "spool", "replay")
    assert result.exit_code == 0, output_of(result)
    with records() as session:
        assert session.scalar(sa.select(sa.func.count(Appeal.id))) == 1
    kept = list(folder.rglob("*.json"))
    assert [p.name for p in kept] == ["00000000T000000000000-broken.json"]
    assert kept[0].read_text(encoding="utf-8") == '{"kind": "mess'


def test_the_spool_is_replayed_when_the_app_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    for name in settings.DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'started.sqlite3'}"
    engine = db.create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        folder = tmp_path / "spool"
        params = message_params("CA" + "3" * 32, "RE" + "3" * 32)
        spool.write(folder, "message", params, clock.now())

        create_app(
            {
                "APP_ENV": "development",
                "DATABASE_URL": url,
                "SPOOL_DIR": str(folder),
                "TWILIO_AUTH_TOKEN": "x",
            }
        )

        assert spool.pending(folder) == []
        with engine.connect() as connection:
            assert connection.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 1
    finally:
        engine.dispose()


def test_the_appeal_path_is_the_same_on_the_command_line(runner, records, clock) -> None:
    """``appeals status`` keeps to the one appeal path and its preconditions (§12)."""
    from calllog import appeals as service
    from models import AppealChannel, AppealStatus, AuditEntry

    with records() as session:
        appeal = service.create_appeal(
            session, topic="housing", channel=AppealChannel.PHONE, phone=MOBILE, now=clock.now()
        )
        session.commit()
        number = appeal.number

    refused = runner.invoke(args=["appeals", "status", number, "explained", "--note", "ответ"])
    assert refused.exit_code == 1
    assert "cannot go from registered to explained" in refused.output
    unregistered = runner.invoke(args=["appeals", "status", number, "in_review"])
    assert "not registered" in unregistered.output

    with records() as session:
        appeal = service.find_appeal(session, number)
        service.complete_card(session, appeal, clock.now(), "staff:anna", transcript="Крыша.")
        session.commit()
    result = invoke(runner, "appeals", "status", number, "in_review", "--note", "взято")

    assert "registered -> in_review" in output_of(result)
    saved = records().scalar(sa.select(Appeal).where(Appeal.number == number))
    assert saved.status is AppealStatus.IN_REVIEW
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.subject == f"appeal:{number}"))
    assert entry.actor.startswith("cli:")
