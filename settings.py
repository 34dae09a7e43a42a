"""Configuration: defaults, then environment variables, then a mapping passed to the factory.

Every setting has the name of its environment variable (product specification §9).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    "SMS_FROM": None,
    "MESSAGING_SERVICE_SID": None,
    "TZ_NAME": "Asia/Yekaterinburg",
    "OFFICE_HOURS": None,
    "VOICE": "Polly.Tatyana",
    "SPEECH_INPUT": False,
    "PROMPTS_FILE": None,
    "SPOOL_DIR": None,
    "LOG_LEVEL": "INFO",
    "BOOKING_MIN_HOURS_AHEAD": 2,
    "BOOKING_MAX_DAYS_AHEAD": 30,
    "RETENTION_RECORDINGS_DAYS": 365,
    "RETENTION_CALLS_DAYS": 1095,
}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says why in one line."""


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
        if name in os.environ:
            config[name] = _coerce(name, os.environ[name])
    config.update(overrides or {})
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'reception.sqlite3'}"
    if not config["SPOOL_DIR"]:
        config["SPOOL_DIR"] = str(instance_path / "spool")
    config["DEVELOPMENT"] = config["APP_ENV"] != "production"
    return config


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
