"""Staff sign-in: every page behind it, roles, throttling and CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from calllog.staff import create_user
from models import StaffRole

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(records, clock):
    """Create a staff account: ``staff("anna", StaffRole.OPERATOR)``."""

    def create(login: str, role: StaffRole = StaffRole.OPERATOR) -> None:
        with records() as session:
            create_user(session, login, PASSWORD, role, clock.now())
            session.commit()

    return create


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)[1]


def sign_in(client, login: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_token(client)}
    )


@pytest.fixture
def csrf_app(config):
    """CSRF is on in these tests, as in production (Flask-WTF skips it when testing)."""
    config["WTF_CSRF_ENABLED"] = True


def test_a_page_redirects_to_sign_in(client):
    reply = client.get("/")

    assert reply.status_code == 302
    assert reply.location.startswith("/login?next=")


def test_staff_sign_in_and_see_today(client, staff):
    staff("anna")

    reply = sign_in(client, "anna")

    assert reply.status_code == 302
    assert reply.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Сегодня</h1>" in page
    assert "звонков" in page


def test_a_wrong_password_is_refused(client, staff):
    staff("anna")

    reply = sign_in(client, "anna", "wrong password")

    assert reply.status_code == 200
    assert "Неверный логин или пароль" in reply.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_for_fifteen_minutes(client, staff, clock):
    staff("anna")
    for _ in range(5):
        sign_in(client, "anna", "guess")

    assert sign_in(client, "anna").status_code == 200  # locked, even with the right password
    clock.advance(minutes=16)
    assert sign_in(client, "anna").status_code == 302


def test_a_next_link_to_another_site_is_ignored(client, staff):
    staff("anna")
    token = csrf_token(client)

    reply = client.post(
        "/login?next=//evil.example/",
        data={"login": "anna", "password": PASSWORD, "csrf_token": token},
    )

    assert reply.location == "/"


def test_sign_out_needs_a_post(client, staff):
    staff("anna")
    sign_in(client, "anna")

    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_csrf_is_enforced_on_sign_in(csrf_app, client, staff):
    staff("anna")

    reply = client.post("/login", data={"login": "anna", "password": PASSWORD})

    assert reply.status_code == 400
    assert sign_in(client, "anna").status_code == 302


def test_webhooks_and_the_api_are_not_subject_to_csrf(csrf_app, twilio):
    call = twilio.incoming_call(from_="+79024712233", to="+73422368229").start()

    assert not call.errors
    assert call.waiting_for == "gather"


def test_a_deactivated_account_is_signed_out(client, staff, records):
    from sqlalchemy import select

    from models import StaffUser

    staff("anna")
    sign_in(client, "anna")
    with records() as session:
        session.scalar(select(StaffUser)).active = False
        session.commit()

    assert client.get("/").status_code == 302


def test_the_lock_ends_after_the_lock_time(staff, records, clock):
    from calllog.staff import LOCK_FOR
    from calllog.staff import sign_in as check

    staff("anna")
    session = records()
    for _ in range(5):
        check(session, "anna", "x", clock.now())
    assert check(session, "anna", PASSWORD, clock.now() + LOCK_FOR - timedelta(seconds=1)) is None
    assert check(session, "anna", PASSWORD, clock.now() + LOCK_FOR) is not None
