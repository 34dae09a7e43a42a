"""The real staff application on a benchmark database, and a signed-in client for it."""

from __future__ import annotations

import gc
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from calllog.staff import create_user, find_user
from models import StaffRole

LOGIN = "bench-supervisor"
PASSWORD = "bench password, not a secret"
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class StaffClient:
    app: Flask
    client: FlaskClient


def staff_app(url: str) -> Flask:
    """The service as production runs it, on ``url``; Twilio settings are placeholders."""
    return create_app(
        {
            "APP_ENV": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "bench-auth-token",
            "PUBLIC_BASE_URL": "https://reception.example",
            "SPOOL_DIR": tempfile.mkdtemp(prefix="bench-spool-"),
            "LOG_LEVEL": "WARNING",
        }
    )


def signed_in(url: str) -> StaffClient:
    """A test client signed in as a supervisor (created on first use), through ``/login``."""
    app = staff_app(url)
    sessionmaker = app.extensions["sessionmaker"]
    with sessionmaker() as session:
        if find_user(session, LOGIN) is None:
            now = app.extensions["office"].now()
            create_user(session, LOGIN, PASSWORD, StaffRole.SUPERVISOR, now)
            session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page)
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    reply = client.post(
        "/login", data={"login": LOGIN, "password": PASSWORD, "csrf_token": token[1]}
    )
    if reply.status_code != 302:
        raise RuntimeError(f"sign-in failed: {reply.status_code}")
    gc.freeze()  # as gunicorn.conf.py does in each worker once the app is loaded
    return StaffClient(app, client)


Measured = TypeVar("Measured")


def measure_signed_in(url: str, measure: Callable[..., Measured], **options: object) -> Measured:
    """``measure(staff, engine, **options)`` with a signed-in client of the app on ``url``;
    the engine is disposed of afterwards."""
    staff = signed_in(url)
    engine = staff.app.extensions["sessionmaker"].kw["bind"]
    try:
        return measure(staff, engine, **options)
    finally:
        engine.dispose()
