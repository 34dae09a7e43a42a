"""``/api/openapi.json`` describes exactly the API's routes, and real answers fit it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from calllog import appeals, booking
from calllog.tokens import create_token
from models import AppealChannel, BookingSource, StaffRole
from tests.conftest import LINE, MOBILE, PERM


@pytest.fixture
def token(records, clock) -> str:
    with records() as session:
        _, secret = create_token(session, "docs", StaffRole.ADMIN, clock.now())
        session.commit()
    return secret


@pytest.fixture
def document(client, token) -> dict:
    reply = client.get("/api/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    return reply.json


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api"))
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_the_document_and_the_routes_match(app, document):
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    assert documented == api_routes(app)


def test_the_document_needs_a_token(client):
    assert client.get("/api/openapi.json").status_code == 401


def check(document: dict, path: str, data: object) -> None:
    """Validate ``data`` against the 200 answer documented for GET ``path``."""
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]
    schemas = document["components"]["schemas"]
    Draft202012Validator(inline_refs(schema["application/json"]["schema"], schemas)).validate(data)


def inline_refs(node: object, schemas: dict) -> object:
    """The schema with every ``#/components/schemas/…`` reference replaced by its target."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inline_refs(schemas[node["$ref"].rsplit("/", 1)[1]], schemas)
        return {key: inline_refs(value, schemas) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(value, schemas) for value in node]
    return node


def test_real_answers_fit_the_documented_schemas(
    client, document, token, twilio, records, schedule, clock
):
    slots = schedule(datetime(2026, 12, 3, 10, 0, tzinfo=PERM))
    with records() as session:
        booking.book(
            session, slot_id=slots[0], phone=MOBILE, now=clock.now(), source=BookingSource.STAFF
        )
        appeal = appeals.create_appeal(
            session, topic="housing", channel=AppealChannel.PHONE, phone=MOBILE, now=clock.now()
        )
        number = appeal.number
        session.commit()
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.hangup().finish()
    auth = {"Authorization": f"Bearer {token}"}

    def get(url: str) -> object:
        reply = client.get(url, headers=auth)
        assert reply.status_code == 200, reply.json
        return reply.json

    check(document, "/calls", get("/api/calls"))
    check(document, "/calls/{sid}", get(f"/api/calls/{call.sid}"))
    check(document, "/appeals", get("/api/appeals"))
    check(document, "/appeals/{number}", get(f"/api/appeals/{number}"))
    check(document, "/appointments", get("/api/appointments?date=2026-12-03"))
    check(document, "/callbacks", get("/api/callbacks"))
    check(
        document, "/reports/summary", get("/api/reports/summary?since=2026-12-01&until=2026-12-03")
    )
