"""Configuration: defaults, then environment variables, then a mapping passed to the factory.

Every setting has the name of its environment variable (product specification §9).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent

DEFAULTS: dict[str, Any] = {
    "APP_ENV": "production",
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "PUBLIC_BASE_URL": None,
    "TRUSTED_PROXY_HOPS": 0,
    "RECEPTION_LINES": None,
    "STAFF_PHONES": "",
    # Seconds any twilio REST request may take (connect and each read), then it fails.
    "TWILIO_TIMEOUT_S": 10,
    "APPEAL_TOPICS": None,
    "SMS_FROM": None,
    "MESSAGING_SERVICE_SID": None,
    "TZ_NAME": "Asia/Yekaterinburg",
    "OFFICE_HOURS": None,
    "VOICE": "Polly.Tatyana",
    "SPEECH_INPUT": False,
    # Live Russian transcription of requests and names by Twilio (README, 152-FZ): off|twilio.
    "TRANSCRIPTION": "off",
    "PROMPTS_FILE": None,
    "SPOOL_DIR": None,
    "LOG_LEVEL": "INFO",
    "BOOKING_MIN_HOURS_AHEAD": 2,
    "BOOKING_MAX_DAYS_AHEAD": 30,
    "RETENTION_RECORDINGS_DAYS": 365,
    "RETENTION_CALLS_DAYS": 1095,
    "RETENTION_APPEALS_DAYS": 1825,
    # Recordings copied home from Twilio (152-FZ), then deleted there.
    "RECORDINGS_FORMAT": "mp3",
    "RECORDINGS_STORAGE": "local",
    "RECORDINGS_DIR": None,
    "RECORDINGS_COPY": "queue",
    "RECORDINGS_MAX_ATTEMPTS": 8,
    "RECORDINGS_SYNC_DAYS": 30,
    "S3_ENDPOINT_URL": None,
    "S3_BUCKET": None,
    "S3_ACCESS_KEY_ID": None,
    "S3_SECRET_ACCESS_KEY": None,
    "S3_REGION": None,
    "S3_PREFIX": "recordings/",
    # The task queue (Huey): SQLite storage in instance/ unless REDIS_URL names a Redis.
    "REDIS_URL": None,
    "TASKS_DB": None,
    "TASKS_IMMEDIATE": False,
}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says why in one line."""


#: The values of ``APP_ENV``; anything else is refused rather than read as development.
ENVIRONMENTS = ("production", "development")
#: The values of ``TRANSCRIPTION``: off (the default), or Twilio's live transcription.
TRANSCRIPTION_MODES = ("off", "twilio")


def _coerce(name: str, raw: str) -> Any:
    default = DEFAULTS[name]
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    return raw or None


def load(overrides: Mapping[str, Any] | None, instance_path: Path) -> dict[str, Any]:
    """The settings in force: defaults < environment < ``overrides``."""
    config = dict(DEFAULTS)
    for name in DEFAULTS:
        # An empty variable (``TZ_NAME=``) is the same as an unset one: the default stays.
        if os.environ.get(name, "").strip():
            config[name] = _coerce(name, os.environ[name])
    for name, value in (overrides or {}).items():
        if isinstance(value, str) and isinstance(DEFAULTS.get(name), bool | int):
            value = _coerce(name, value)
        config[name] = value
    for name, default in DEFAULTS.items():
        if config[name] is None and default is not None:
            config[name] = default
    _validate(config)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'reception.sqlite3'}"
    if not config["SPOOL_DIR"]:
        config["SPOOL_DIR"] = str(instance_path / "spool")
    if not config["TASKS_DB"]:
        config["TASKS_DB"] = str(instance_path / "tasks.sqlite3")
    config["DEVELOPMENT"] = config["APP_ENV"] != "production"
    return config


def _validate(config: dict[str, Any]) -> None:
    """Refuse values that would silently weaken the service (a typo must not mean dev mode)."""
    environment = str(config["APP_ENV"]).strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be {' or '.join(ENVIRONMENTS)}, not {config['APP_ENV']!r}")
    config["APP_ENV"] = environment
    transcription = str(config["TRANSCRIPTION"]).strip().lower()
    if transcription not in TRANSCRIPTION_MODES:
        raise ConfigError(
            f"TRANSCRIPTION must be {' or '.join(TRANSCRIPTION_MODES)}, "
            f"not {config['TRANSCRIPTION']!r}"
        )
    config["TRANSCRIPTION"] = transcription
    numbers = [name for name, default in DEFAULTS.items() if type(default) is int]
    for name in numbers:
        value = config[name]
        wanted = int if name == "TRUSTED_PROXY_HOPS" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted) or value < 0:
            raise ConfigError(f"{name} must be a number of at least 0, not {value!r}")
    if (timeout := config["TWILIO_TIMEOUT_S"]) <= 0:
        raise ConfigError(f"TWILIO_TIMEOUT_S must be a number of seconds above 0, not {timeout!r}")
    base = config["PUBLIC_BASE_URL"]
    if base:
        parts = urlsplit(str(base))
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ConfigError(
                "PUBLIC_BASE_URL must be the absolute address Twilio calls, such as "
                f"https://reception.example, not {base!r}"
            )
        config["PUBLIC_BASE_URL"] = str(base).rstrip("/")


def check(config: dict[str, Any]) -> list[str]:
    """Refuse settings unsafe in production; return the warnings for development."""
    if config["DEVELOPMENT"]:
        warnings = []
        if not config["TWILIO_AUTH_TOKEN"]:
            warnings.append(
                "TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked "
                "(development mode only; production refuses to start like this)"
            )
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = secrets.token_hex(32)
        return warnings
    if not config["TWILIO_AUTH_TOKEN"]:
        raise ConfigError(
            "TWILIO_AUTH_TOKEN is not set: refusing to start in production, where every "
            "Twilio webhook must be signed (set APP_ENV=development to try the service locally)"
        )
    if not config["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY is not set: refusing to start in production")
    return []
