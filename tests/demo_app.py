"""``bin/demo``'s service for the demo's tests: development, no Twilio account, seeded."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import create_app
from calllog.migrate import upgrade_url
from clock import FixedClock
from tests.conftest import OPEN_TIME


def seeded_demo(folder: Path, secret_key: str) -> tuple[Flask, str]:
    """A fresh SQLite database in ``folder``, the office's clock at ``OPEN_TIME``, and
    ``demo seed`` run on it: the app and what the command printed."""
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    upgrade_url(url)
    app = create_app(
        {
            "APP_ENV": "development",
            "SECRET_KEY": secret_key,
            "DATABASE_URL": url,
            "TASKS_DB": str(folder / "tasks.sqlite3"),
            "SPOOL_DIR": str(folder / "spool"),
            "RECORDINGS_DIR": str(folder / "recordings"),
        }
    )
    app.extensions["office"].clock = FixedClock(OPEN_TIME)
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return app, result.output
