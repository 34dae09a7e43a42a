"""Fixtures: the app on SQLite or PostgreSQL (``TEST_DATABASE_URL``), signed Twilio calls."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask, Response, request
from flask.testing import FlaskClient
from huey import Huey
from sqlalchemy import orm
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

import db
import tasks.queue
from app import create_app
from calllog.migrate import alembic_config
from calllog.schedule import create_session
from calllog.staff import create_user, find_user
from clock import FixedClock
from models import StaffRole
from simulator import FlaskTransport, Simulator, inbound_params
from tests.fakes import FakeTwilioHttp
from tests.twiml_conformance import violations

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
BASE_URL = "https://reception.example"
PERM = ZoneInfo("Asia/Yekaterinburg")
# A Wednesday in office hours.
OPEN_TIME = datetime(2026, 12, 2, 11, 0, tzinfo=PERM)
LINE = "+73422368229"
MOBILE = "+79024712233"


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database whose schema the migrations built, once per test run."""
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )
    engine = db.create_engine(url)
    with engine.begin() as connection:
        if is_postgres(url):
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = db.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_twilio() -> FakeTwilioHttp:
    return FakeTwilioHttp()


def make_config(tmp_path: Path, fake_twilio: FakeTwilioHttp, database_url: str) -> dict:
    return {
        "TESTING": True,
        "APP_ENV": "production",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_HTTP_CLIENT": fake_twilio,
        "PUBLIC_BASE_URL": BASE_URL,
        "SPOOL_DIR": str(tmp_path / "spool"),
        "STAFF_PHONES": "+79120000001,+79120000002",
        "TASKS_IMMEDIATE": True,
    }


@pytest.fixture
def config(tmp_path: Path, fake_twilio: FakeTwilioHttp, database_url: str) -> dict:
    """The settings the ``app`` fixture uses; a test may change them before using ``app``."""
    return make_config(tmp_path, fake_twilio, database_url)


def check_twiml(app: Flask) -> list[str]:
    """Check every TwiML answer of ``app`` against Twilio's rules (``tests.twiml_conformance``);
    the list collects what does not conform, for the test to fail on."""
    problems: list[str] = []

    def check(response: Response) -> Response:
        if response.mimetype == "text/xml" and not response.is_streamed:
            body = response.get_data()
            problems.extend(f"{request.path}: {problem}" for problem in violations(body))
        return response

    app.after_request(check)
    return problems


@pytest.fixture
def app(config: dict, engine: sa.Engine) -> Iterator[Flask]:
    """The app inside one outer transaction, rolled back after the test.

    Commits made by the code under test become savepoints (SQLAlchemy's recipe for
    joining a session into an external transaction). Every TwiML it answers must be
    TwiML Twilio accepts: the test fails otherwise.
    """
    app = create_app(config)
    twiml_problems = check_twiml(app)
    app.extensions["sessionmaker"].kw["bind"].dispose()
    app.extensions["office"].clock = FixedClock(OPEN_TIME)
    with engine.connect() as connection:
        transaction = connection.begin()
        app.extensions["sessionmaker"].configure(
            bind=connection, join_transaction_mode="create_savepoint"
        )
        yield app
        transaction.rollback()
    assert not twiml_problems, "TwiML Twilio would refuse:\n" + "\n".join(twiml_problems)


@pytest.fixture
def queue(app: Flask, tmp_path: Path) -> Huey:
    """The task queue as in production (SQLite storage), its tasks run only by the test
    (:func:`run_queued`) instead of where they are queued."""
    app.config.update(TASKS_IMMEDIATE=False, TASKS_DB=str(tmp_path / "tasks.sqlite3"))
    tasks.queue.init_app(app)
    return app.extensions["huey"]


def run_queued(huey: Huey) -> list[str]:
    """Run what is on the queue now, as a worker would; the names of the tasks run."""
    names = []
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        names.append(task.name)
    return names


@pytest.fixture
def clock(app: Flask) -> FixedClock:
    return app.extensions["office"].clock


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def twilio(client: FlaskClient) -> Simulator:
    """Twilio, as far as the webhooks can tell: signed requests, TwiML followed faithfully."""
    return Simulator(FlaskTransport(client), AUTH_TOKEN, ACCOUNT_SID, BASE_URL)


@pytest.fixture
def records(app: Flask) -> Iterator[Callable[[], orm.Session]]:
    """Open a fresh session to look at what the requests wrote.

    The sessions stay referenced (so what they loaded stays usable) and are not closed:
    closing would roll back to savepoints that later sessions on the test's connection
    have released. The ``app`` fixture's outer rollback discards everything anyway.
    """
    sessions: list[orm.Session] = []

    def open_session() -> orm.Session:
        sessions.append(app.extensions["sessionmaker"]())
        return sessions[-1]

    yield open_session
    sessions.clear()


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


@pytest.fixture
def webhook(client: FlaskClient) -> Callable[..., TestResponse]:
    """POST one signed Twilio request to ``path`` with ``params``, as Twilio would."""

    def post(path: str, params: dict[str, str], **headers: str) -> TestResponse:
        url = BASE_URL + path
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        return client.post(
            path,
            base_url=BASE_URL,
            data=params,
            headers={"X-Twilio-Signature": signature, **headers},
        )

    return post


@contextlib.contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Point the app at a database that cannot be opened, then restore it."""
    maker = app.extensions["sessionmaker"]
    working = maker.kw["bind"]
    broken = db.create_engine("sqlite:////nonexistent-folder/reception.sqlite3")
    maker.configure(bind=broken)
    try:
        yield
    finally:
        maker.configure(bind=working)
        broken.dispose()


def call_form(sid: str, caller: str = MOBILE, **extra: str) -> dict[str, str]:
    """The parameters Twilio sends with every request of an inbound call."""
    return {**inbound_params(ACCOUNT_SID, sid, caller, LINE, status="in-progress"), **extra}


EXPERT = "Иванова Мария Петровна"
OFFICE = "г. Пермь, ул. Екатерининская, 210, кабинет 3"


@pytest.fixture
def schedule(records: Callable[[], orm.Session]) -> Callable[..., list[int]]:
    """Add a reception session; returns its slot ids."""

    def add(
        starts_at: datetime,
        minutes: int = 60,
        slot_minutes: int = 20,
        *,
        expert: str = EXPERT,
        place: str = OFFICE,
        outreach: bool = False,
    ) -> list[int]:
        with records() as session:
            reception = create_session(
                session,
                expert=expert,
                title="депутат Законодательного собрания",
                place=place,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                slot_minutes=slot_minutes,
                outreach=outreach,
            )
            session.commit()
            return [slot.id for slot in reception.slots]

    return add


STAFF_PASSWORD = "correct horse battery"


def form_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match[1]


@pytest.fixture
def sign_in(client: FlaskClient, records: Callable[[], orm.Session], clock: FixedClock):
    """Sign ``client`` in as a staff member of ``role``: ``sign_in(StaffRole.ADMIN)``."""

    def as_role(role: StaffRole = StaffRole.OPERATOR, login: str | None = None) -> str:
        login = login or role.value
        with records() as session:
            if find_user(session, login) is None:
                create_user(session, login, STAFF_PASSWORD, role, clock.now())
                session.commit()
        reply = client.post(
            "/login",
            data={"login": login, "password": STAFF_PASSWORD, "csrf_token": form_token(client)},
        )
        assert reply.status_code == 302, "sign-in failed"
        return login

    return as_role


@pytest.fixture
def log_calls(records: Callable[[], orm.Session]) -> Callable[..., list[str]]:
    """Write call-log rows straight into the database, fast (no webhooks): for lists and exports.

    ``log_calls(120, start=OPEN_TIME, step=timedelta(minutes=-1), line=..., outcome=...)``
    returns the new CallSids in the order written; ``step`` spaces their start times.
    """
    from calllog.phones import parse_caller
    from models import Call, CallOutcome

    def write(
        count: int = 1,
        *,
        start: datetime = OPEN_TIME,
        step: timedelta = timedelta(minutes=-1),
        line: str = LINE,
        caller: str = MOBILE,
        status: str | None = "completed",
        outcome: CallOutcome | None = CallOutcome.INFO,
        duration_s: int | None = 42,
    ) -> list[str]:
        who = parse_caller(caller)
        rows = [
            {
                "sid": new_call_sid(),
                "direction": "inbound",
                "line": line,
                "caller": who.e164,
                "caller_raw": who.raw,
                "caller_kind": who.kind,
                "started_at": start + step * index,
                "ended_at": start + step * index + timedelta(seconds=duration_s or 0),
                "duration_s": duration_s,
                "status": status,
                "outcome": outcome,
            }
            for index in range(count)
        ]
        with records() as session:
            session.execute(sa.insert(Call), rows)
            session.commit()
        return [row["sid"] for row in rows]

    return write


@pytest.fixture
def form_post(client: FlaskClient) -> Callable[..., TestResponse]:
    """POST a staff form as the browser would, with the signed-in session's CSRF token.

    ``form_post("/callbacks/1/attempts", {"result": "reached"})``; sign in first.
    """
    tokens: list[str] = []

    def post(path: str, data: dict[str, object] | None = None) -> TestResponse:
        if not tokens:
            tokens.append(form_token(client, "/"))
        return client.post(path, data={"csrf_token": tokens[0], **(data or {})})

    return post
