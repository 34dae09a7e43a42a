"""Nobody in without an account, enumerated from the URL map (§5, §6, §11; issue 6).

Builds on ``test_signatures.py`` (unsigned, forged and wrong-URL webhooks),
``test_access.py`` (no session or token; a lower role on GET pages) and the API and staff
tests (one route each for revoked and expired tokens). What those leave open is checked
here on every route:

* a signed webhook replayed with a field or the query changed, a field added or removed,
  or sent to another route: 403 and nothing written, on every ``/twilio/*`` route;
* revoked, expired, unknown and malformed tokens on every API route: 401, nothing written;
* operator, supervisor and admin: every API route and every staff form refuses a lower
  role (403, nothing written) and lets the right one in;
* CSRF on every staff form: refused without the token, nothing written;
* an id beyond the database's integers: a 404, never a 500;
* no API answer names a Twilio recording URL (recordings only through the service);
* every view and export of personal data writes an audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

import models
from app import create_app
from calllog.tokens import create_token, revoke_token
from models import AuditEntry, StaffRole
from simulator import FlaskTransport, Simulator
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    LINE,
    MOBILE,
    PERM,
    form_token,
    make_config,
)
from tests.fakes import FakeTwilioHttp

CALL_SID = "CA" + "5a" * 16


def url_map_app() -> Flask:
    return create_app(make_config(Path(mkdtemp()), FakeTwilioHttp(), "sqlite://"))


APP = url_map_app()


def concrete(rule: str) -> str:
    url = re.sub(r"<(?:int|id):[a-z_]+>", "1", rule)
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", url)


TWILIO_POSTS = sorted(
    rule.rule
    for rule in APP.url_map.iter_rules()
    if rule.rule.startswith("/twilio/") and "POST" in (rule.methods or ())
)
API_ROUTES = sorted(
    (method, rule.rule)
    for rule in APP.url_map.iter_rules()
    if rule.endpoint.startswith("api.")
    for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
)
STAFF_FORMS = sorted(
    (rule.endpoint, rule.rule)
    for rule in APP.url_map.iter_rules()
    if rule.endpoint.startswith("staff.")
    and "POST" in (rule.methods or ())
    and rule.endpoint not in {"staff.login"}
)
STAFF_GETS = sorted(
    (rule.endpoint, rule.rule)
    for rule in APP.url_map.iter_rules()
    if rule.endpoint.startswith("staff.")
    and "GET" in (rule.methods or ())
    and rule.endpoint not in {"staff.login", "staff.static"}
)
INT_ROUTES = sorted(
    (method, rule.rule)
    for rule in APP.url_map.iter_rules()
    if "<id:" in rule.rule or rule.rule.startswith("/api/callbacks/<")
    for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
)
#: The API routes above the operator's rights: creating reception sessions (§7) and the
#: period report (the head of reception's, §1). Everything else is for any token.
API_REQUIRES = {
    ("POST", "/api/sessions"): StaffRole.SUPERVISOR,
    ("GET", "/api/reports/summary"): StaffRole.SUPERVISOR,
}


def required_role(endpoint: str) -> StaffRole | None:
    return getattr(APP.view_functions[endpoint], "required_role", None)


@pytest.fixture
def count_rows(records: Callable[[], orm.Session]) -> Callable[[], dict[str, int]]:
    def count() -> dict[str, int]:
        with records() as session:
            return {
                table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in models.Base.metadata.sorted_tables
            }

    return count


def spool_files(app: Flask) -> list[Path]:
    folder = Path(app.config["SPOOL_DIR"])
    return sorted(folder.rglob("*.json")) if folder.exists() else []


# --- webhooks replayed with something changed --------------------------------------------


def webhook_form() -> list[tuple[str, str]]:
    return [
        ("AccountSid", ACCOUNT_SID),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", CALL_SID),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("From", MOBILE),
        ("To", LINE),
        ("Digits", "1"),
        ("RecordingSid", "RE" + "7" * 32),
        ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE7"),
        ("RecordingDuration", "12"),
        ("RecordingStatus", "completed"),
    ]


def tampered(form: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    def changed(name: str, value: str) -> list[tuple[str, str]]:
        return [(key, value if key == name else old) for key, old in form]

    return {
        "Digits changed": changed("Digits", "2"),
        "From changed": changed("From", "+79120000009"),
        "CallSid changed": changed("CallSid", "CA" + "6b" * 16),
        "RecordingSid changed": changed("RecordingSid", "RE" + "8" * 32),
        "CallStatus changed": changed("CallStatus", "completed"),
        "a field added": [*form, ("CallDuration", "30")],
        "a value repeated": [*form, ("Digits", "2")],
        "a field removed": [item for item in form if item[0] != "To"],
    }


@pytest.mark.parametrize("route", TWILIO_POSTS)
def test_a_signed_webhook_replayed_with_anything_changed_is_refused(
    app: Flask, client: FlaskClient, count_rows, report, route: str
) -> None:
    path = concrete(route) + "?attempt=1&topic=housing"
    form = webhook_form()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + path, MultiDict(form))

    def send(target: str, data: list[tuple[str, str]]) -> int:
        reply = client.post(
            target,
            base_url=BASE_URL,
            data=MultiDict(data),
            headers={"X-Twilio-Signature": signature},
        )
        return reply.status_code

    assert send(path, form) != 403  # the genuine request passes the check
    before, spooled = count_rows(), spool_files(app)
    attempts = {
        **tampered(form),
        "the query changed": None,
        "another route": None,
    }
    refused = {}
    for name, data in attempts.items():
        if name == "the query changed":
            refused[name] = send(path.replace("attempt=1", "attempt=3"), form)
        elif name == "another route":
            other = "/twilio/status" if route != "/twilio/status" else "/twilio/voice"
            refused[name] = send(other, form)
        else:
            refused[name] = send(path, data)
    report(requests=len(attempts) + 1, records_checked=len(before))
    assert refused == dict.fromkeys(attempts, 403)
    assert count_rows() == before
    assert spool_files(app) == spooled


# --- API tokens ------------------------------------------------------------------------------


def api_call(client: FlaskClient, method: str, rule: str, headers: dict[str, str]):
    url = concrete(rule)
    body = {"status": "in_review", "note": "x", "result": "reached"} if method != "GET" else None
    return client.open(url, method=method, json=body, headers=headers)


@pytest.fixture
def bad_tokens(records, clock) -> dict[str, dict[str, str]]:
    """Authorization headers that must not let anyone in."""
    with records() as session:
        _, revoked = create_token(session, "revoked", StaffRole.ADMIN, clock.now())
        revoke_token(session, "revoked", clock.now())
        _, expired = create_token(
            session,
            "expired",
            StaffRole.ADMIN,
            clock.now() - timedelta(days=2),
            expires_at=clock.now() - timedelta(seconds=1),
        )
        _, good = create_token(session, "good", StaffRole.ADMIN, clock.now())
        session.commit()
    last = "A" if good[-1] != "A" else "B"
    return {
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "unknown": {"Authorization": f"Bearer {good[:8]}{'z' * (len(good) - 8)}"},
        "one character off": {"Authorization": f"Bearer {good[:-1]}{last}"},
        "basic scheme": {"Authorization": f"Basic {good}"},
        "bare bearer": {"Authorization": "Bearer "},
        "cookie instead": {"Cookie": f"token={good}"},
    }


@pytest.mark.parametrize(("method", "rule"), API_ROUTES)
def test_every_api_route_refuses_revoked_expired_and_malformed_tokens(
    client: FlaskClient, bad_tokens, count_rows, report, method: str, rule: str
) -> None:
    before = count_rows()
    answers = {
        name: api_call(client, method, rule, headers).status_code
        for name, headers in bad_tokens.items()
    }
    report(requests=len(answers), records_checked=len(before))
    assert answers == dict.fromkeys(bad_tokens, 401)
    assert count_rows() == before


@pytest.fixture
def role_tokens(records, clock) -> dict[StaffRole, str]:
    tokens = {}
    with records() as session:
        for role in StaffRole:
            _, tokens[role] = create_token(session, f"role-{role.value}", role, clock.now())
        session.commit()
    return tokens


@pytest.mark.parametrize(("method", "rule"), API_ROUTES)
def test_every_api_route_lets_in_exactly_the_roles_it_should(
    client: FlaskClient, role_tokens, report, method: str, rule: str
) -> None:
    needed = API_REQUIRES.get((method, rule), StaffRole.OPERATOR)
    answers = {}
    for role, secret in role_tokens.items():
        reply = api_call(client, method, rule, {"Authorization": f"Bearer {secret}"})
        answers[role] = reply.status_code
        assert reply.status_code < 500
    report(requests=len(answers))
    for role, status in answers.items():
        if role.includes(needed):
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


# --- staff forms: roles and CSRF ---------------------------------------------------------------


@pytest.fixture
def csrf_on(config: dict) -> None:
    """CSRF on, as in production (Flask-WTF skips it when testing)."""
    config["WTF_CSRF_ENABLED"] = True


def form_data(rule: str) -> dict[str, str]:
    """Plausible fields for any staff form: enough to be acted on if let through."""
    return {
        "status": "in_review",
        "note": "проверка",
        "result": "reached",
        "name": "Иванов",
        "login": "intruder",
        "password": "a long enough password",
        "role": "admin",
        "active": "0",
        "phone": MOBILE,
        "slot": "1",
    }


@pytest.mark.parametrize(("endpoint", "rule"), STAFF_FORMS)
def test_every_staff_form_needs_its_csrf_token(
    csrf_on, app, client: FlaskClient, sign_in, count_rows, report, endpoint: str, rule: str
) -> None:
    sign_in(StaffRole.ADMIN)
    before = count_rows()
    reply = client.post(concrete(rule), data=form_data(rule))
    wrong = client.post(concrete(rule), data={**form_data(rule), "csrf_token": "forged"})
    report(requests=2, records_checked=len(before))
    assert (reply.status_code, wrong.status_code) == (400, 400)
    assert count_rows() == before


RESTRICTED_FORMS = [
    (endpoint, rule, required_role(endpoint))
    for endpoint, rule in STAFF_FORMS
    if required_role(endpoint) not in (None, StaffRole.OPERATOR)
]


@pytest.mark.parametrize(("endpoint", "rule", "role"), RESTRICTED_FORMS)
def test_a_lower_role_cannot_post_a_staff_form(
    csrf_on, client: FlaskClient, sign_in, count_rows, report, endpoint, rule, role
) -> None:
    lower = list(StaffRole)[list(StaffRole).index(role) - 1]
    sign_in(lower)
    before = count_rows()
    token = form_token(client, "/")
    reply = client.post(concrete(rule), data={**form_data(rule), "csrf_token": token})
    report(requests=1, records_checked=len(before))
    assert reply.status_code == 403
    # Signing in may have touched the user's row; nothing else is written.
    assert count_rows() == before


@pytest.mark.parametrize(
    ("endpoint", "rule"),
    [(endpoint, rule) for endpoint, rule in STAFF_GETS if required_role(endpoint)],
)
def test_the_role_a_page_needs_may_open_it(
    client: FlaskClient, sign_in, endpoint: str, rule: str
) -> None:
    sign_in(required_role(endpoint))
    assert client.get(concrete(rule)).status_code in (200, 302, 404)


# --- ids beyond the database's integers ------------------------------------------------------


BEYOND = ["2147483648", "99999999999999999999"]


@pytest.mark.parametrize(("method", "rule"), INT_ROUTES)
def test_an_id_beyond_the_database_integers_is_not_found(
    app, client: FlaskClient, sign_in, role_tokens, report, method: str, rule: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as the 500 it would be
    sign_in(StaffRole.ADMIN)
    headers = {"Authorization": f"Bearer {role_tokens[StaffRole.ADMIN]}"}
    statuses = []
    for value in BEYOND:
        url = re.sub(r"<(?:int:)?[a-z_]+>", value, rule)
        body = {"result": "reached", "note": "x"} if rule.startswith("/api/") else None
        data = None if body else {"csrf_token": "", "note": "x"}
        reply = client.open(url, method=method, json=body, data=data, headers=headers)
        statuses.append(reply.status_code)
    report(requests=len(statuses))
    assert all(400 <= status < 500 for status in statuses), statuses


# --- recordings and the audit log --------------------------------------------------------------


@pytest.fixture
def a_call_with_everything(client: FlaskClient, schedule, records) -> dict[str, str]:
    """A booking with a name recording and a request with its recording, through Twilio."""
    schedule(datetime(2026, 12, 3, 10, 0, tzinfo=PERM), minutes=60)
    twilio = Simulator(FlaskTransport(client), AUTH_TOKEN, ACCOUNT_SID, BASE_URL)
    booked = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    booked.press("1").press("1").press("1").record(4, "#").silence()
    booked.finish()
    request_call = twilio.incoming_call(from_="+79024712299", to=LINE).start()
    request_call.press("2").press("1").press("1").record(20, "#").silence()
    request_call.finish()
    person = twilio.incoming_call(from_="+79024712277", to=LINE).start()
    person.press("0").dial(status="no-answer")
    person.finish()
    session = records()
    appeal = session.scalar(sa.select(models.Appeal))
    callback = session.scalar(sa.select(models.Callback))
    appointment = session.scalar(sa.select(models.Appointment))
    recording = session.scalar(sa.select(models.Recording))
    return {
        "sid": request_call.sid,
        "number": appeal.number,
        "callback_id": str(callback.id) if callback else "1",
        "appointment_id": str(appointment.id),
        "recording_id": str(recording.id),
        "date": "2026-12-03",
    }


def test_no_api_answer_names_a_twilio_recording_url(
    client: FlaskClient, role_tokens, a_call_with_everything, report
) -> None:
    headers = {"Authorization": f"Bearer {role_tokens[StaffRole.ADMIN]}"}
    made = a_call_with_everything
    urls = [
        "/api/calls",
        f"/api/calls/{made['sid']}",
        "/api/appeals",
        f"/api/appeals/{made['number']}",
        f"/api/appointments?date={made['date']}",
        "/api/callbacks",
    ]
    for url in urls:
        reply = client.get(url, headers=headers)
        assert reply.status_code == 200, url
        assert "twilio.com" not in reply.get_data(as_text=True), url
        assert "/Recordings/" not in reply.get_data(as_text=True), url
    report(requests=len(urls))


#: Staff pages that show personal data, with the values their URLs need.
PERSONAL_PAGES = {
    "staff.calls": "/calls?caller={phone}",
    "staff.call": "/calls/{sid}",
    "staff.calls_export": "/calls/export.csv",
    "staff.appeals": "/appeals",
    "staff.appeal": "/appeals/{number}",
    "staff.callbacks": "/callbacks",
    "staff.callback": "/callbacks/{callback_id}",
    "staff.appointments": "/appointments?date={date}",
}
# Listening to a recording is audited too: tests/test_staff_calls.py plays a stored copy.


def audit_entries(records) -> int:
    return records().scalar(sa.select(sa.func.count(AuditEntry.id))) or 0


@pytest.mark.parametrize("endpoint", sorted(PERSONAL_PAGES))
def test_every_view_and_export_of_personal_data_is_audited(
    client: FlaskClient, sign_in, records, a_call_with_everything, report, endpoint: str
) -> None:
    sign_in(StaffRole.OPERATOR)
    url = PERSONAL_PAGES[endpoint].format(phone=MOBILE, **a_call_with_everything)
    before = audit_entries(records)
    reply = client.get(url)
    report(requests=1, records_checked=1)
    assert reply.status_code in (200, 206, 404), (url, reply.status_code)
    if reply.status_code == 404:
        pytest.skip(f"{url}: nothing to show in this setup")
    assert audit_entries(records) > before, url


def test_the_personal_pages_listed_are_the_app_s() -> None:
    endpoints = {endpoint for endpoint, _ in STAFF_GETS}
    assert set(PERSONAL_PAGES) <= endpoints


def test_reading_personal_data_through_the_api_is_audited(
    client: FlaskClient, role_tokens, records, a_call_with_everything
) -> None:
    headers = {"Authorization": f"Bearer {role_tokens[StaffRole.OPERATOR]}"}
    before = audit_entries(records)
    client.get(f"/api/calls/{a_call_with_everything['sid']}", headers=headers)
    client.get(f"/api/appeals/{a_call_with_everything['number']}", headers=headers)
    assert audit_entries(records) >= before + 2
