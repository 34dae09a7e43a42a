"""``demo seed`` on a fresh SQLite database, as ``bin/demo`` runs it: no Twilio account.

A week of calls through the simulator, and every staff page has something to show at the
first sign-in of the README's accounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import db
from models import (
    Appeal,
    AppealStatus,
    Appointment,
    AppointmentStatus,
    Call,
    Callback,
    CallOutcome,
    ReceptionSession,
    Recording,
)
from simulator.demo import DEMO_ACCOUNTS
from tests.conftest import OPEN_TIME, PERM
from tests.demo_app import seeded_demo

#: Staff pages and what each shows only when it has data.
PAGES = {
    "/": "Сегодня",
    "/calls": "<tbody>",
    "/callbacks": "<tbody>",
    "/appeals": "<tbody>",
    "/appointments": "code-",
    "/schedule": "Екатерининская",
    "/reports": "svg",
    "/audit": "<tbody>",
    "/users": "operator",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app, output = seeded_demo(tmp_path_factory.mktemp("demo"), "demo-tests")
    assert "admin / admin-password" in output
    yield app
    app.extensions["sessionmaker"].kw["bind"].dispose()


def signed_in(app: Flask, login: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token
    password = next(pw for name, pw, _ in DEMO_ACCOUNTS if name == login)
    reply = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token[1]}
    )
    assert reply.status_code == 302, f"{login} cannot sign in"
    return client


def test_the_week_was_called_in_through_the_simulator(demo):
    with demo.app_context():
        session = db.get_session()
        calls = session.scalars(sa.select(Call)).all()
        assert 150 <= len(calls) <= 400
        started = [call.started_at.astimezone(PERM) for call in calls]
        assert min(started).date() == OPEN_TIME.date() - timedelta(days=7)
        assert max(started) < OPEN_TIME
        outcomes = {call.outcome for call in calls}
        assert {
            CallOutcome.BOOKED,
            CallOutcome.REQUEST_LEFT,
            CallOutcome.STATUS_CHECKED,
            CallOutcome.TRANSFERRED,
            CallOutcome.ABANDONED,
            CallOutcome.CALLBACK_REQUESTED,
        } <= outcomes
        statuses = set(session.scalars(sa.select(Appeal.status)))
        assert {AppealStatus.REGISTERED, AppealStatus.IN_REVIEW} <= statuses
        assert statuses & {AppealStatus.EXPLAINED, AppealStatus.FORWARDED}
        visits = set(session.scalars(sa.select(Appointment.status)))
        assert {AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED} <= visits
        assert session.scalar(sa.select(sa.func.count(Callback.id))) > 0


def test_sessions_run_from_last_week_to_a_month_ahead_on_open_days(demo):
    hours = demo.extensions["office"].hours
    with demo.app_context():
        sessions = db.get_session().scalars(sa.select(ReceptionSession)).all()
        starts = [reception.starts_at.astimezone(PERM) for reception in sessions]
        assert min(starts) < OPEN_TIME < max(starts)
        assert max(starts) <= OPEN_TIME + timedelta(days=31)
        assert [r for r in sessions if r.outreach]
        for reception in sessions:
            if not reception.outreach:
                assert hours.intervals(reception.starts_at.astimezone(PERM).date())


@pytest.mark.parametrize(("login", "_password", "role"), DEMO_ACCOUNTS)
def test_every_account_of_the_tour_signs_in(demo, login, _password, role):
    client = signed_in(demo, login)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_every_staff_page_shows_data_at_the_first_sign_in(demo, path):
    page = signed_in(demo, "admin").get(path)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert PAGES[path] in text


def test_records_behind_the_lists_open(demo):
    client = signed_in(demo, "operator")
    with demo.app_context():
        session = db.get_session()
        call_sid = session.scalar(
            sa.select(Call.sid).join(Call.recordings).order_by(Call.id).limit(1)
        )
        number = session.scalar(sa.select(Appeal.number).order_by(Appeal.id).limit(1))
        callback_id = session.scalar(sa.select(Callback.id).order_by(Callback.id).limit(1))
    for path in (f"/calls/{call_sid}", f"/appeals/{number}", f"/callbacks/{callback_id}"):
        assert client.get(path).status_code == 200, path


def test_a_demo_recording_says_why_it_has_no_audio(demo):
    client = signed_in(demo, "operator")
    with demo.app_context():
        recording = db.get_session().scalars(sa.select(Recording).limit(1)).one()
        call_sid, appeal = recording.call.sid, recording.appeal
    page = client.get(f"/calls/{call_sid}").get_data(as_text=True)
    assert "звука нет: сервис не подключён к Twilio" in page
    assert "<audio" not in page
    if appeal is not None:
        card = client.get(f"/appeals/{appeal.number}").get_data(as_text=True)
        assert "в демонстрации звонки смоделированы" in card


def test_seeding_again_adds_nothing(demo):
    with demo.app_context():
        before = db.get_session().scalar(sa.select(sa.func.count(Call.id)))
    result = demo.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "nothing seeded" in result.output
    with demo.app_context():
        assert db.get_session().scalar(sa.select(sa.func.count(Call.id))) == before
