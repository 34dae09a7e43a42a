"""Staff accounts and API tokens, administered on /users (admins only)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from calllog.staff import FAILURES_BEFORE_LOCK, create_user, find_user, password_matches
from calllog.tokens import create_token, verify_token
from models import ApiToken, AuditEntry, StaffRole, StaffUser
from tests.conftest import STAFF_PASSWORD, form_token

NEW_PASSWORD = "a new long password"


@pytest.fixture
def admin(sign_in):
    return sign_in(StaffRole.ADMIN, "root")


@pytest.fixture
def colleague(records, clock):
    """``colleague("boris")``: another account; returns its id."""

    def make(login: str = "boris", role: StaffRole = StaffRole.OPERATOR) -> int:
        with records() as session:
            user = create_user(session, login, STAFF_PASSWORD, role, clock.now())
            session.commit()
            return user.id

    return make


def post(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": form_token(client, "/"), **data})


def account(records, login: str) -> StaffUser:
    return find_user(records(), login)


def changes(records) -> list[tuple[str, str]]:
    entries = records().scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "change").order_by(AuditEntry.id)
    )
    return [(entry.subject, entry.detail) for entry in entries]


@pytest.mark.parametrize("role", [StaffRole.OPERATOR, StaffRole.SUPERVISOR])
def test_only_an_admin_may_open_the_staff_pages(client, sign_in, colleague, role):
    other = colleague()
    sign_in(role)

    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{other}").status_code == 403
    assert post(client, "/users", login="x").status_code == 403
    assert post(client, f"/users/{other}/active", active="0").status_code == 403
    assert "/users" not in client.get("/").get_data(as_text=True)


def test_the_list_shows_every_account(client, admin, colleague, records, clock):
    colleague("boris", StaffRole.SUPERVISOR)
    with records() as session:
        boris = find_user(session, "boris")
        boris.full_name, boris.phone = "Борисов Борис", "+79024712233"
        boris.locked_until = clock.now() + timedelta(minutes=10)
        session.commit()

    page = client.get("/users").get_data(as_text=True)

    row = page[page.index(">boris</a>") :]
    row = row[: row.index("</tr>")]
    assert "Борисов Борис" in row
    assert "руководитель" in row
    assert "действует" in row
    assert "8 (902) 471-22-33" in row
    assert "до 02.12.2026 11:10" in row
    assert ">root</a> <small>(вы)</small>" in page
    assert 'href="/users"' in page  # in the menu


def test_an_admin_adds_an_account(client, admin, records):
    reply = post(
        client,
        "/users",
        login="vera",
        full_name="Вера Петрова",
        role="supervisor",
        phone="8 902 471-22-33",
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )

    assert reply.status_code == 302
    vera = account(records, "vera")
    assert (vera.full_name, vera.role, vera.phone, vera.active) == (
        "Вера Петрова",
        StaffRole.SUPERVISOR,
        "+79024712233",
        True,
    )
    assert password_matches(vera, NEW_PASSWORD)
    assert changes(records) == [("staff_user:vera", "created, role supervisor")]
    assert "Сотрудник vera добавлен" in client.get("/users").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short", "confirm": "short"}, "не короче 8"),
        ({"confirm": "something else"}, "Пароли не совпадают"),
        ({"login": "root"}, "Такой логин уже есть"),
        ({"login": "вера"}, "Латинские буквы"),
        ({"role": "owner"}, "Неверный вариант"),
        ({"phone": "12"}, "не номер телефона"),
    ],
)
def test_a_bad_new_account_is_not_added(client, admin, records, fields, message):
    data = {"login": "vera", "role": "operator", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}

    reply = post(client, "/users", **(data | fields))

    assert reply.status_code == 422
    assert message in reply.get_data(as_text=True)
    assert records().scalar(sa.select(sa.func.count(StaffUser.id))) == 1
    assert changes(records) == []


def test_an_admin_changes_a_role_name_and_phone(client, admin, colleague, records):
    boris = colleague("boris")

    reply = post(
        client, f"/users/{boris}", role="supervisor", full_name="Борис", phone="+73422123456"
    )

    assert reply.status_code == 302
    saved = account(records, "boris")
    assert (saved.role, saved.full_name, saved.phone) == (
        StaffRole.SUPERVISOR,
        "Борис",
        "+73422123456",
    )
    assert changes(records) == [
        ("staff_user:boris", "changed: role operator -> supervisor, full_name, phone")
    ]
    post(client, f"/users/{boris}", role="supervisor", full_name="Борис", phone="")
    assert account(records, "boris").phone is None


def test_an_admin_cannot_change_their_own_role(client, admin, records):
    root = account(records, "root").id

    reply = post(client, f"/users/{root}", role="operator", full_name="Главный")

    assert account(records, "root").role is StaffRole.ADMIN
    assert "Свою роль изменить нельзя" in client.get(reply.location).get_data(as_text=True)
    assert changes(records) == []


def test_a_deactivated_account_cannot_sign_in_until_reactivated(
    app, client, admin, colleague, records
):
    boris = colleague("boris")

    reply = post(client, f"/users/{boris}/active", active="0")

    assert reply.status_code == 302
    assert account(records, "boris").active is False
    assert "отключена" in client.get("/users").get_data(as_text=True)
    other = app.test_client()
    token = form_token(other)
    refused = other.post(
        "/login", data={"login": "boris", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 200
    assert "Неверный логин или пароль" in refused.get_data(as_text=True)

    post(client, f"/users/{boris}/active", active="1")
    assert account(records, "boris").active is True
    allowed = other.post(
        "/login", data={"login": "boris", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert allowed.status_code == 302
    assert changes(records) == [
        ("staff_user:boris", "deactivated"),
        ("staff_user:boris", "reactivated"),
    ]


def test_an_admin_cannot_deactivate_themself(client, admin, records):
    root = account(records, "root").id

    reply = post(client, f"/users/{root}/active", active="0")

    assert account(records, "root").active is True
    assert "Свою учётную запись отключить нельзя" in client.get(reply.location).get_data(
        as_text=True
    )
    assert client.get("/users").status_code == 200
    assert changes(records) == []


def test_resetting_a_password_also_lifts_the_lock(client, admin, colleague, records, clock):
    boris = colleague("boris")
    with records() as session:
        user = find_user(session, "boris")
        user.failed_logins, user.locked_until = FAILURES_BEFORE_LOCK - 1, clock.now()
        session.commit()

    short = post(client, f"/users/{boris}/password", password="short", confirm="short")
    assert short.status_code == 422
    assert password_matches(account(records, "boris"), STAFF_PASSWORD)

    reply = post(client, f"/users/{boris}/password", password=NEW_PASSWORD, confirm=NEW_PASSWORD)

    assert reply.status_code == 302
    saved = account(records, "boris")
    assert password_matches(saved, NEW_PASSWORD)
    assert (saved.failed_logins, saved.locked_until) == (0, None)
    assert changes(records) == [("staff_user:boris", "password reset")]
    assert NEW_PASSWORD not in str(changes(records))


def test_api_tokens_are_listed_and_revoked(client, admin, records, clock):
    with records() as session:
        token, secret = create_token(session, "reports-bot", StaffRole.SUPERVISOR, clock.now())
        session.commit()

    page = client.get("/users").get_data(as_text=True)
    tokens = page[page.index('id="tokens"') :]
    assert "reports-bot" in tokens
    assert "руководитель" in tokens
    assert "бессрочно" in tokens
    assert secret not in page

    reply = post(client, f"/users/tokens/{token.id}/revoke")

    assert reply.status_code == 302
    assert verify_token(records(), secret, clock.now()) is None
    assert records().get(ApiToken, token.id).revoked_at == clock.now()
    assert changes(records) == [("api_token:reports-bot", f"revoked token #{token.id}")]
    page = client.get("/users").get_data(as_text=True)
    assert f'action="/users/tokens/{token.id}/revoke"' not in page
    assert post(client, "/users/tokens/999999/revoke").status_code == 404
    assert post(client, f"/users/tokens/{2**63}/revoke").status_code == 404


def test_the_account_page_shows_no_self_deactivation(client, admin, colleague, records):
    boris = colleague("boris")
    root = account(records, "root").id

    own = client.get(f"/users/{root}").get_data(as_text=True)
    other = client.get(f"/users/{boris}").get_data(as_text=True)

    assert f'action="/users/{root}/active"' not in own
    assert f'action="/users/{boris}/active"' in other
    assert re.search(r'<select[^>]*disabled[^>]*name="role"|name="role"[^>]*disabled', own)
    assert client.get("/users/999999").status_code == 404
    assert client.get(f"/users/{2**31}").status_code == 404  # beyond the integer column
