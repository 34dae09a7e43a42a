"""Every API endpoint takes the query arguments its OpenAPI document declares, and no other."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import db
from calllog.tokens import create_token
from models import StaffRole
from staff.api.openapi import PATHS, query_names
from tests.conftest import OPEN_TIME


@pytest.fixture
def headers(app) -> dict[str, str]:
    with app.app_context():
        session = db.get_session()
        _, secret = create_token(session, "head-olga", StaffRole.SUPERVISOR, OPEN_TIME)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/api/calls?stauts=busy", "line, outcome, status, caller, since, until, cursor, limit"),
        ("/api/appeals?state=closed", "q, status, topic, overdue, since, until, cursor, limit"),
        ("/api/appointments?date=2026-12-02&day=2026-12-02", "date, status, cursor, limit"),
        ("/api/callbacks?stat=done", "status, cursor, limit"),
        ("/api/reports/summary?since=2026-12-01&until=2026-12-02&line=1", "since, until"),
        ("/api/calls/CA0?verbose=1", "none"),
        ("/api/openapi.json?x=1", "none"),
    ],
)
def test_an_unknown_argument_is_refused_naming_the_allowed_ones(
    client: FlaskClient, headers: dict[str, str], url: str, allowed: str
) -> None:
    reply = client.get(url, headers=headers)

    assert reply.status_code == 400
    assert reply.is_json
    assert reply.json["error"].endswith(f"; allowed: {allowed}")
    assert reply.json["error"].startswith("unknown query parameter '")


def test_declared_arguments_are_still_taken(client: FlaskClient, headers: dict[str, str]) -> None:
    reply = client.get(
        "/api/calls?line=&outcome=&status=&caller=&since=&until=&limit=5", headers=headers
    )
    assert reply.status_code == 200, reply.json
    assert client.get("/api/callbacks?status=done&limit=1", headers=headers).status_code == 200


def test_a_body_endpoint_refuses_query_arguments(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    reply = client.post("/api/callbacks/1/attempts?dry_run=1", json={}, headers=headers)
    assert reply.status_code == 400
    assert "dry_run" in reply.json["error"]


def test_an_unsigned_request_is_refused_before_its_arguments_are_read(
    client: FlaskClient,
) -> None:
    assert client.get("/api/calls?stauts=busy").status_code == 401


def test_every_documented_path_is_looked_up_by_its_flask_rule() -> None:
    assert query_names("/api/calls", "GET")[:2] == ["line", "outcome"]
    assert query_names("/api/calls/<sid>", "GET") == []
    assert query_names("/api/callbacks/<int:callback_id>/attempts", "POST") == []
    assert "/callbacks/{callback_id}/attempts" in PATHS
