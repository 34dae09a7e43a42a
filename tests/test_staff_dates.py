"""A date staff cannot mean is answered in Russian on every page that takes dates, never
ignored and never a 500; the API refuses a reversed period too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

import db
from calllog.tokens import create_token
from models import StaffRole
from tests.conftest import OPEN_TIME

REVERSED = "Конец периода раньше начала: проверьте даты."
UNREADABLE = "Дата должна быть как 2026-12-02."


@pytest.fixture
def supervisor(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.SUPERVISOR)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/calls?since=garbage", 400, UNREADABLE),
        ("/calls?since=2026-12-05&until=2026-12-01", 400, REVERSED),
        ("/calls/export.csv?until=garbage", 400, UNREADABLE),
        ("/calls/export.csv?since=2026-12-05&until=2026-12-01", 400, REVERSED),
        ("/reports?since=garbage", 400, UNREADABLE),
        ("/reports?since=2026-12-05&until=2026-12-01", 400, REVERSED),
        ("/appeals?since=2026-12-05&until=2026-12-01", 200, REVERSED),
        ("/appeals?since=garbage", 200, "Неверное значение даты"),
        ("/audit?since=2026-12-05&until=2026-12-01", 200, REVERSED),
        ("/audit?until=garbage", 200, "Неверное значение даты"),
        ("/appointments?date=garbage", 200, "Не удалось прочитать дату"),
    ],
)
def test_a_bad_date_is_said_in_russian(
    client: FlaskClient, supervisor: str, url: str, status: int, message: str
) -> None:
    reply = client.get(url)

    assert reply.status_code == status
    assert reply.mimetype == "text/html"
    assert message in reply.get_data(as_text=True)


def test_a_reversed_period_exports_nothing(client: FlaskClient, supervisor: str) -> None:
    reply = client.get("/calls/export.csv?since=2026-12-05&until=2026-12-01&format=codes")
    assert reply.status_code == 400
    assert not reply.get_data().startswith(b"\xef\xbb\xbf")


def test_the_report_of_a_reversed_period_is_the_month_so_far_with_the_message(
    client: FlaskClient, supervisor: str
) -> None:
    page = client.get("/reports?since=2026-12-05&until=2026-12-01").get_data(as_text=True)
    assert "С 01.12.2026 по 02.12.2026" in page


@pytest.mark.parametrize(
    "url",
    [
        "/api/calls?since=2026-12-05&until=2026-12-01",
        "/api/appeals?since=2026-12-05&until=2026-12-01",
        "/api/reports/summary?since=2026-12-05&until=2026-12-01",
    ],
)
def test_the_api_refuses_a_reversed_period(app, client: FlaskClient, url: str) -> None:
    with app.app_context():
        session = db.get_session()
        _, secret = create_token(session, "head-olga", StaffRole.SUPERVISOR, OPEN_TIME)
        session.commit()

    reply = client.get(url, headers={"Authorization": f"Bearer {secret}"})

    assert reply.status_code == 400
    assert reply.json == {"error": "until must not be before since"}
