"""Configuration (§8, §9): environment variables, a mapping over them, and refusals."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import settings
from app import create_app
from settings import ConfigError
from simulator import FlaskTransport, Simulator
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, LINE, MOBILE

LINES_JSON = (
    '[{"number": "+73422368229", "name": "тестовую линию", "aliases": ["+14155550100"]},'
    ' {"number": "8 (342) 236-84-58", "name": "вторую линию"}]'
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the environment the tests run in."""
    for name in settings.DEFAULTS:
        monkeypatch.delenv(name, raising=False)


def minimal(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The least a production app needs, on a throwaway SQLite file (never connected)."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "SECRET_KEY": "secret",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        **overrides,
    }


# --- production refuses to start unsigned -------------------------------------------------


def test_production_without_a_twilio_token_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        create_app(minimal(tmp_path, TWILIO_AUTH_TOKEN=None))
    message = str(raised.value)
    assert "TWILIO_AUTH_TOKEN" in message
    assert "\n" not in message


def test_production_is_the_default_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "s"})


def test_production_without_a_token_in_the_environment_refuses_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")
    monkeypatch.setenv("SECRET_KEY", "secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app()


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(minimal(tmp_path, SECRET_KEY=None))


@pytest.mark.parametrize("value", ["prod", "Production-ish", "staging", "dev"])
def test_an_unknown_app_env_is_refused_not_read_as_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("APP_ENV", value)
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app(minimal(tmp_path, TWILIO_AUTH_TOKEN=None))


def test_an_empty_app_env_means_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "")
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app(minimal(tmp_path, TWILIO_AUTH_TOKEN=None))


# --- development says loudly that signatures are not checked --------------------------------


def test_development_without_a_token_warns_and_accepts_unsigned_webhooks(
    config: dict, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    config["APP_ENV"] = "development"
    config["TWILIO_AUTH_TOKEN"] = None
    config["SECRET_KEY"] = None
    with caplog.at_level(logging.WARNING):
        app: Flask = request.getfixturevalue("app")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(
        "TWILIO_AUTH_TOKEN" in r.getMessage() and "NOT checked" in r.getMessage() for r in warnings
    ), [r.getMessage() for r in warnings]
    assert app.config["SECRET_KEY"]

    client: FlaskClient = request.getfixturevalue("client")
    response = client.post(
        "/twilio/voice",
        base_url=BASE_URL,
        data={"CallSid": "CA" + "d" * 32, "From": MOBILE, "To": LINE, "CallStatus": "ringing"},
    )
    assert response.status_code == 200
    assert b"<Gather" in response.data


def test_development_with_a_token_still_checks_signatures(
    config: dict, request: pytest.FixtureRequest
) -> None:
    config["APP_ENV"] = "development"
    client: FlaskClient = request.getfixturevalue("client")
    response = client.post(
        "/twilio/voice",
        base_url=BASE_URL,
        data={"CallSid": "CA" + "d" * 32, "From": MOBILE, "To": LINE},
    )
    assert response.status_code == 403


# --- environment variables, and a mapping over them ------------------------------------------


def test_environment_variables_configure_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://env.example/")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    monkeypatch.setenv("RECEPTION_LINES", LINES_JSON)
    monkeypatch.setenv("STAFF_PHONES", "8 912 000-00-03, +79120000004")
    monkeypatch.setenv("TZ_NAME", "Europe/Moscow")
    monkeypatch.setenv("OFFICE_HOURS", "mon-fri 09:00-17:00")
    monkeypatch.setenv("VOICE", "Polly.Maxim")
    monkeypatch.setenv("SPEECH_INPUT", "yes")
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool-env"))
    monkeypatch.setenv("SMS_FROM", "Priemnaya")

    app = create_app()

    assert app.config["DEVELOPMENT"] is False
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["TWILIO_AUTH_TOKEN"] == "token-from-the-environment"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    assert app.config["PUBLIC_BASE_URL"] == "https://env.example"
    assert app.config["TRUSTED_PROXY_HOPS"] == 2
    assert app.config["SPEECH_INPUT"] is True
    assert app.config["SPOOL_DIR"] == str(tmp_path / "spool-env")
    assert app.config["SMS_FROM"] == "Priemnaya"
    office = app.extensions["office"]
    assert [line.number for line in office.lines] == ["+73422368229", "+73422368458"]
    assert office.lines[0].aliases == ("+14155550100",)
    assert office.staff_phones == ("+79120000003", "+79120000004")
    assert str(office.clock.tz) == "Europe/Moscow"
    assert str(office.hours.tz) == "Europe/Moscow"
    assert app.extensions["speaker"].voice == "Polly.Maxim"
    assert app.extensions["speaker"].speech_input is True


def test_a_mapping_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("TZ_NAME", "Europe/Moscow")
    monkeypatch.setenv("VOICE", "Polly.Maxim")
    monkeypatch.setenv("STAFF_PHONES", "+79120000003")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://env.example")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")

    app = create_app(
        minimal(
            tmp_path,
            TWILIO_AUTH_TOKEN="token-from-the-mapping",
            TZ_NAME="Asia/Yekaterinburg",
            VOICE="Polly.Tatyana",
            STAFF_PHONES="+79120000005",
            PUBLIC_BASE_URL="https://mapping.example",
            TRUSTED_PROXY_HOPS=0,
        )
    )

    assert app.config["TWILIO_AUTH_TOKEN"] == "token-from-the-mapping"
    assert app.config["PUBLIC_BASE_URL"] == "https://mapping.example"
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    office = app.extensions["office"]
    assert str(office.clock.tz) == "Asia/Yekaterinburg"
    assert app.extensions["speaker"].voice == "Polly.Tatyana"
    assert office.staff_phones == ("+79120000005",)


def test_unset_settings_take_the_documented_defaults(tmp_path: Path) -> None:
    app = create_app({"SECRET_KEY": "s", "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    office = app.extensions["office"]
    assert [line.number for line in office.lines] == [
        "+73422368229",
        "+73422368458",
        "+73422367992",
    ]
    assert str(office.clock.tz) == "Asia/Yekaterinburg"
    assert app.extensions["speaker"].voice == "Polly.Tatyana"
    assert (
        app.config["DATABASE_URL"]
        == f"sqlite:///{settings.ROOT / 'instance' / 'reception.sqlite3'}"
    )
    assert Path(app.instance_path) == settings.ROOT / "instance"


@pytest.mark.parametrize("name", ["TZ_NAME", "VOICE", "LOG_LEVEL", "RECEPTION_LINES", "APP_ENV"])
def test_an_empty_environment_variable_keeps_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "")
    app = create_app(minimal(tmp_path))
    assert app.config[name] == settings.DEFAULTS[name]
    assert str(app.extensions["office"].clock.tz) == "Asia/Yekaterinburg"


def test_numbers_given_as_strings_in_the_mapping_are_read_as_numbers(tmp_path: Path) -> None:
    app = create_app(minimal(tmp_path, TRUSTED_PROXY_HOPS="1", SPEECH_INPUT="false"))
    assert app.config["TRUSTED_PROXY_HOPS"] == 1
    assert app.config["SPEECH_INPUT"] is False


# --- bad values are refused at start, in one line ------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECEPTION_LINES", "not json"),
        ("RECEPTION_LINES", "[]"),
        ("RECEPTION_LINES", '{"number": "+73422368229"}'),
        ("RECEPTION_LINES", '[{"number": "12", "name": "x"}]'),
        ("RECEPTION_LINES", '[{"number": "+73422368229"}]'),
        ("RECEPTION_LINES", '[{"number": "+73422368229", "name": "x", "colour": "red"}]'),
        (
            "RECEPTION_LINES",
            '[{"number": "+73422368229", "name": "a"}, {"number": "+73422368229", "name": "b"}]',
        ),
        ("TZ_NAME", "Mars/Olympus_Mons"),
        ("TZ_NAME", "../../etc/passwd"),
        ("TZ_NAME", "UTC+5"),
        ("OFFICE_HOURS", "every day 10-18"),
        ("OFFICE_HOURS", "mon-fri 18:00-10:00"),
        ("OFFICE_HOURS", "mon-fri 10:00-25:00"),
        ("OFFICE_HOURS", "funday 10:00-18:00"),
        ("OFFICE_HOURS", "mon 10:00-13:00; mon 14:00-18:00"),
        ("STAFF_PHONES", "not a phone"),
        ("STAFF_PHONES", "+79120000001,12345"),
        ("TRUSTED_PROXY_HOPS", "one"),
        ("TRUSTED_PROXY_HOPS", "-1"),
        ("BOOKING_MAX_DAYS_AHEAD", "-5"),
        ("PUBLIC_BASE_URL", "reception.example"),
        ("PUBLIC_BASE_URL", "ftp://reception.example"),
        ("PUBLIC_BASE_URL", "https://reception.example/?x=1"),
        ("APP_ENV", "prod"),
    ],
)
def test_a_bad_setting_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        create_app(minimal(tmp_path))
    message = str(raised.value)
    assert message
    assert "\n" not in message
    assert name.split("_")[0] in message or "office hours" in message or "zone" in message, message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECEPTION_LINES", "[1, 2]"),
        ("TZ_NAME", "Nowhere/Special"),
        ("OFFICE_HOURS", "mon-fri"),
        ("STAFF_PHONES", "+1 650 253 0000"),
        ("TRUSTED_PROXY_HOPS", -2),
        ("TRUSTED_PROXY_HOPS", 1.5),
    ],
)
def test_a_bad_setting_in_the_mapping_is_refused_too(tmp_path: Path, name: str, value: Any) -> None:
    with pytest.raises(ConfigError):
        create_app(minimal(tmp_path, **{name: value}))


# --- from any working directory -------------------------------------------------------------


def test_the_app_works_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app: Flask = request.getfixturevalue("app")
    client: FlaskClient = request.getfixturevalue("client")

    assert Path(app.root_path) == settings.ROOT
    assert Path(app.instance_path) == settings.ROOT / "instance"
    twilio = Simulator(FlaskTransport(client), AUTH_TOKEN, ACCOUNT_SID, BASE_URL)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    assert call.errors == []
    assert call.waiting_for == "gather"
    assert call.said
    assert all(text.strip() for text in call.said)
    call.press("9").finish()
    assert call.errors == []
    assert list(elsewhere.iterdir()) == []


def test_the_default_database_and_spool_are_under_the_code_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app({"SECRET_KEY": "s", "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    assert app.config["DATABASE_URL"].startswith(f"sqlite:///{settings.ROOT}/instance/")
    assert Path(app.config["SPOOL_DIR"]).is_absolute()
    assert Path(app.config["SPOOL_DIR"]).is_relative_to(settings.ROOT)
    assert os.listdir(tmp_path) == []
