"""Any input, however malformed, gets valid TwiML or a 4xx: never a 5xx or a traceback (§5).

Every request here is correctly signed, so it passes the signature check and reaches the
view; the URL table is read from ``app.url_map``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

from app import create_app
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, LINE, MOBILE

CALL_SID = "CA" + "fedcba9876543210" * 2
TRACEBACK_MARKERS = ("Traceback", 'File "', "Error:", "werkzeug", "sqlalchemy", "psycopg")

Params = list[tuple[str, str]]


def twilio_rules() -> list[Rule]:
    app = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "x",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "DATABASE_URL": "sqlite://",
        }
    )
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/twilio/")]
    return sorted(rules, key=lambda rule: rule.rule)


def rule_path(rule: Rule) -> str:
    return rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1]


RULES = twilio_rules()
POST_PATHS = [rule_path(rule) for rule in RULES if "POST" in rule.methods]
PATHS = [pytest.param(path, id=path) for path in POST_PATHS]
GET_REFUSED = [
    pytest.param(rule_path(rule), id=rule.rule) for rule in RULES if "GET" not in rule.methods
]


def base(**changes: str | None) -> Params:
    """A complete call webhook, with fields changed (``None`` drops one)."""
    fields: dict[str, str | None] = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": CALL_SID,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": MOBILE,
        "Caller": MOBILE,
        "To": LINE,
        "Called": LINE,
        "Digits": "1",
        "RecordingSid": "RE" + "a" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "RecordingDuration": "10",
        "RecordingStatus": "completed",
    }
    fields |= changes
    return [(name, value) for name, value in fields.items() if value is not None]


LONG = "7" * 3000
BODIES: list[Any] = [
    pytest.param([], id="empty body"),
    pytest.param(base(CallSid=None), id="no CallSid"),
    pytest.param(base(CallSid=""), id="empty CallSid"),
    pytest.param(base(CallSid="CA123"), id="short CallSid"),
    pytest.param(base(CallSid="CA" + "g" * 32), id="non-hex CallSid"),
    pytest.param(base(CallSid="CA" + "a" * 40), id="long CallSid"),
    pytest.param(base(CallSid="'; DROP TABLE call; --"), id="SQL in CallSid"),
    pytest.param(base(CallSid=f"CA{'0' * 32}\n"), id="CallSid with newline"),
    pytest.param(base(From=LONG), id="3000-char From"),
    pytest.param(base(Digits=LONG), id="3000-char Digits"),
    pytest.param(base(To=LONG), id="3000-char To"),
    pytest.param(base(ErrorUrl=LONG, ErrorCode=LONG), id="3000-char ErrorUrl"),
    pytest.param(base(RecordingSid="RE" + "b" * 3000), id="3000-char RecordingSid"),
    pytest.param(base(Unknown=LONG), id="3000-char unknown field"),
    pytest.param(base(From="☎ звонок 📞"), id="unicode From"),
    pytest.param(base(From="+7902\x00471\x072233"), id="control chars in From"),
    pytest.param(base(From="\u202e+79024712233"), id="bidi override in From"),
    pytest.param(base(From="\ud7ff\ufffe\uffff"), id="noncharacters in From"),
    pytest.param(base(From="<Say>hi</Say>&amp;"), id="XML in From"),
    pytest.param(base(Digits="\x00"), id="NUL Digits"),
    pytest.param(base(Digits="\x1b[2J1"), id="escape sequence Digits"),
    pytest.param(base(Digits="١٢"), id="arabic-indic Digits"),
    pytest.param(base(Digits="１"), id="fullwidth Digits"),
    pytest.param(base(Digits="ё"), id="cyrillic Digits"),
    pytest.param(base(Digits="hangup"), id="hangup Digits"),
    pytest.param(base(To="sip:\x00@host", Called="<sip:@>"), id="broken SIP To"),
    pytest.param(base(To=None, Called=None), id="no To"),
    pytest.param(base(From=None, Caller=None), id="no From"),
    pytest.param(base(CallStatus="exploded"), id="unknown CallStatus"),
    pytest.param(
        base(CallStatus="completed", CallDuration="-5", SequenceNumber="9" * 40),
        id="odd numbers in status",
    ),
    pytest.param(base(CallStatus="completed", CallDuration="1e999"), id="float duration"),
    pytest.param(base(RecordingDuration="-10"), id="negative RecordingDuration"),
    pytest.param(base(RecordingDuration="9" * 40), id="huge RecordingDuration"),
    pytest.param(base(RecordingDuration="ten"), id="wordy RecordingDuration"),
    pytest.param(base(RecordingSid="RE"), id="bare RE RecordingSid"),
    pytest.param(base(RecordingUrl="javascript:alert(1)"), id="odd RecordingUrl"),
    pytest.param(base(Direction="x" * 100), id="long Direction"),
    pytest.param(
        base() + [("Digits", "2"), ("From", "+79120000009")], id="repeated Digits and From"
    ),
    pytest.param(base() + [("CallSid", "CA" + "1" * 32)], id="repeated CallSid"),
    pytest.param(base(CallSid=None) + [("CallSid", ""), ("CallSid", "x")], id="CallSids all bad"),
]

QUERIES = [
    pytest.param("", id="no query"),
    pytest.param("attempt=abc", id="attempt=abc"),
    pytest.param("attempt=", id="attempt empty"),
    pytest.param("attempt=-1", id="attempt=-1"),
    pytest.param("attempt=0", id="attempt=0"),
    pytest.param("attempt=4", id="attempt=4"),
    pytest.param("attempt=1.5", id="attempt=1.5"),
    pytest.param("attempt=" + "9" * 40, id="attempt huge"),
    pytest.param("attempt=%EF%BC%91", id="attempt fullwidth"),
    pytest.param("attempt=1&attempt=2", id="attempt twice"),
    pytest.param("attempt=2&timeout=1", id="attempt with timeout"),
    pytest.param("timeout=yes&attempt=%00", id="attempt NUL"),
]


def post(client: FlaskClient, path: str, params: Params) -> Any:
    """POST ``params`` to ``path``, correctly signed for the public URL."""
    form = MultiDict(params)
    url = BASE_URL + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    return client.post(
        path, base_url=BASE_URL, data=form, headers={"X-Twilio-Signature": signature}
    )


def problems(response: Any) -> list[str]:
    """What is wrong with an answer to Twilio: a 5xx, a traceback, or a 2xx that is not TwiML."""
    body = response.get_data(as_text=True)
    found = [f"{marker!r} in the body" for marker in TRACEBACK_MARKERS if marker in body]
    status = response.status_code
    if status >= 500:
        found.append(f"status {status}")
    elif status in (200, 204):
        if status == 200 and body.strip():
            found += twiml_problems(response.mimetype, body)
    elif not 400 <= status < 500:
        found.append(f"status {status}")
    return [f"{problem}: {body[:300]!r}" for problem in found]


def twiml_problems(mimetype: str, body: str) -> list[str]:
    if mimetype not in ("text/xml", "application/xml"):
        return [f"content type {mimetype}"]
    if len(body.encode("utf-8")) >= 64 * 1024:
        return ["TwiML over 64 kB"]
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        return [f"not XML ({error})"]
    return [] if root.tag == "Response" else [f"root <{root.tag}>"]


def assert_twiml_or_4xx(response: Any) -> None:
    assert problems(response) == []


def assert_every_route_answers(client: FlaskClient, params: Params, query: str = "") -> None:
    """POST ``params`` to every Twilio route; each must answer TwiML or a 4xx."""
    failures = []
    for path in POST_PATHS:
        target = f"{path}?{query}" if query else path
        failures += [f"{target}: {problem}" for problem in problems(post(client, target, params))]
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("params", BODIES)
def test_malformed_fields_get_twiml_or_a_4xx_on_every_route(
    client: FlaskClient, params: Params
) -> None:
    assert_every_route_answers(client, params)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("digits", ["", "1", "5", "*"])
def test_unknown_query_values_get_twiml_or_a_4xx_on_every_route(
    client: FlaskClient, query: str, digits: str
) -> None:
    assert_every_route_answers(client, base(Digits=digits), query)


@pytest.mark.parametrize("path", GET_REFUSED)
def test_get_on_a_post_route_is_a_4xx(client: FlaskClient, path: str) -> None:
    url = f"{BASE_URL}{path}?CallSid={CALL_SID}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    response = client.get(
        f"{path}?CallSid={CALL_SID}",
        base_url=BASE_URL,
        headers={"X-Twilio-Signature": signature},
    )
    assert 400 <= response.status_code < 500
    assert_twiml_or_4xx(response)


@pytest.mark.parametrize("path", PATHS)
def test_a_json_body_gets_twiml_or_a_4xx(client: FlaskClient, path: str) -> None:
    body = f'{{"CallSid": "{CALL_SID}", "Digits": [1, 2]}}'
    url = BASE_URL + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    response = client.post(
        path,
        base_url=BASE_URL,
        data=body,
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert_twiml_or_4xx(response)


@pytest.mark.parametrize("path", PATHS)
def test_a_broken_form_encoding_gets_twiml_or_a_4xx(client: FlaskClient, path: str) -> None:
    body = f"CallSid={CALL_SID}&From=%ZZ%&Digits=%FF%FE&=&&To"
    url = BASE_URL + path
    response = client.post(
        path,
        base_url=BASE_URL,
        data=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers={"X-Twilio-Signature": "bogus"},
    )
    assert_twiml_or_4xx(response)
    # The same body, signed the way Twilio would sign what the form parser read.
    with client.application.test_request_context(
        path,
        base_url=BASE_URL,
        method="POST",
        data=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    ) as ctx:
        form = ctx.request.form.copy()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    response = client.post(
        path,
        base_url=BASE_URL,
        data=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers={"X-Twilio-Signature": signature},
    )
    assert_twiml_or_4xx(response)


def test_the_same_malformed_webhook_twice_still_answers(client: FlaskClient) -> None:
    params = base(From="\x00" * 10, Digits="\x00")
    for _ in range(2):
        for path in ("/twilio/voice", "/twilio/menu?attempt=3", "/twilio/status"):
            assert_twiml_or_4xx(post(client, path, params))


def test_a_nul_byte_in_from_still_gets_the_menu(client: FlaskClient) -> None:
    response = post(client, "/twilio/voice", base(From="+7902\x00471\x072233"))
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.find("Gather") is not None
    assert root.find("Record") is None


def test_a_nul_byte_in_a_status_callback_is_not_spooled(client: FlaskClient) -> None:
    response = post(client, "/twilio/status", base(CallStatus="completed", From="\x00"))
    assert response.status_code == 204
    spool = Path(client.application.config["SPOOL_DIR"])
    assert not spool.exists() or not list(spool.glob("*.json"))
