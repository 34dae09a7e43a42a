"""Every ``/twilio/*`` request needs Twilio's signature for the URL Twilio called (§5).

The URL table is read from ``app.url_map``, so a route added later is covered too.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import orm
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule

import models
from app import create_app
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, LINE, MOBILE

CALL_SID = "CA" + "0123456789abcdef" * 2
INTERNAL = "http://internal:8000"
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "reception.example"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def twilio_rules() -> list[Rule]:
    """The ``/twilio/*`` URL rules of the application, read from its URL map."""
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
    """A concrete path for ``rule``; any URL variables are filled with ``1``."""
    return rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1]


def rule_methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - IGNORED_METHODS)


RULES = twilio_rules()
RULE_CASES = [
    pytest.param(rule_path(rule), method, id=f"{method} {rule.rule}")
    for rule in RULES
    for method in rule_methods(rule)
]


def call_params(**extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": CALL_SID,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": MOBILE,
        "Caller": MOBILE,
        "To": LINE,
        "Called": LINE,
        **extra,
    }


def sign(url: str, params: Any = None) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params or {})


def send(
    client: FlaskClient,
    method: str,
    path: str,
    params: dict[str, str] | MultiDict | None = None,
    *,
    signed_for: str | None,
    base_url: str = BASE_URL,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Send ``params`` to ``base_url + path``, signed for the absolute URL ``signed_for``."""
    all_headers = dict(headers or {})
    if signature is None and signed_for is not None:
        signature = sign(signed_for, params if method == "POST" else {})
    if signature is not None:
        all_headers["X-Twilio-Signature"] = signature
    return client.open(
        path,
        method=method,
        base_url=base_url,
        data=params if method == "POST" else None,
        headers=all_headers,
    )


@pytest.fixture
def count_rows(records: Callable[[], orm.Session]) -> Callable[[], dict[str, int]]:
    """Count the rows of every table of the schema."""

    def count() -> dict[str, int]:
        with records() as session:
            return {
                table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in models.Base.metadata.sorted_tables
            }

    return count


def spooled(app: Flask) -> list[Path]:
    folder = Path(app.config["SPOOL_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def twiml_urls(body: str) -> dict[str, list[str]]:
    """The URLs a TwiML document sends Twilio to, by verb (``Gather``, ``Redirect``…)."""
    root = ET.fromstring(body)
    assert root.tag == "Response"
    urls: dict[str, list[str]] = {}
    for element in root.iter():
        for name in ("action", "url", "recordingStatusCallback", "statusCallback"):
            if name in element.attrib:
                urls.setdefault(element.tag, []).append(element.attrib[name])
        if element.tag == "Redirect":
            urls.setdefault("Redirect", []).append((element.text or "").strip())
    return urls


# --- the URL table ------------------------------------------------------------------------


def test_the_url_table_holds_the_contract_urls() -> None:
    paths = {rule.rule for rule in RULES}
    assert {"/twilio/voice", "/twilio/status", "/twilio/fallback"} <= paths
    assert all(rule_methods(rule) for rule in RULES)


# --- refused: 403 and nothing written -------------------------------------------------------


@pytest.mark.parametrize(("path", "method"), RULE_CASES)
def test_an_unsigned_request_is_refused_and_writes_nothing(
    app: Flask,
    client: FlaskClient,
    count_rows: Callable[[], dict[str, int]],
    path: str,
    method: str,
) -> None:
    before = count_rows()
    params = call_params(
        CallStatus="completed",
        CallDuration="30",
        Digits="1",
        RecordingSid="RE" + "1" * 32,
        RecordingDuration="10",
        RecordingUrl="https://api.twilio.com/x",
    )
    response = send(client, method, path, params, signed_for=None)
    assert response.status_code == 403
    assert count_rows() == before
    assert spooled(app) == []


@pytest.mark.parametrize(("path", "method"), RULE_CASES)
def test_a_forged_signature_is_refused_and_writes_nothing(
    app: Flask,
    client: FlaskClient,
    count_rows: Callable[[], dict[str, int]],
    path: str,
    method: str,
) -> None:
    before = count_rows()
    params = call_params(RecordingSid="RE" + "2" * 32, RecordingDuration="10")
    forged = base64.b64encode(b"not the real HMAC-SHA1 at all").decode()
    response = send(client, method, path, params, signed_for=None, signature=forged)
    assert response.status_code == 403
    assert count_rows() == before
    assert spooled(app) == []


@pytest.mark.parametrize(
    ("signed_for", "sent_to"),
    [
        pytest.param("https://attacker.example/twilio/voice", "/twilio/voice", id="another host"),
        pytest.param("http://reception.example/twilio/voice", "/twilio/voice", id="http"),
        pytest.param(f"{BASE_URL}/twilio/fallback", "/twilio/voice", id="another path"),
        pytest.param(f"{BASE_URL}/twilio/voice/", "/twilio/voice", id="trailing slash"),
        pytest.param(
            f"{BASE_URL}/twilio/menu?attempt=1", "/twilio/menu?attempt=3", id="changed query"
        ),
        pytest.param(f"{BASE_URL}/twilio/menu", "/twilio/menu?attempt=3", id="added query"),
        pytest.param(f"{BASE_URL}/twilio/menu?attempt=1", "/twilio/menu", id="dropped query"),
    ],
)
def test_a_signature_for_another_url_is_refused(
    client: FlaskClient,
    count_rows: Callable[[], dict[str, int]],
    signed_for: str,
    sent_to: str,
) -> None:
    before = count_rows()
    response = send(client, "POST", sent_to, call_params(Digits="1"), signed_for=signed_for)
    assert response.status_code == 403
    assert count_rows() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Digits", "2"),
        ("From", "+79120000009"),
        ("CallSid", "CA" + "f" * 32),
        ("To", "+73422367992"),
        ("Extra", "added"),
    ],
)
def test_a_replayed_request_with_one_field_changed_is_refused(
    client: FlaskClient, count_rows: Callable[[], dict[str, int]], field: str, value: str
) -> None:
    url = f"{BASE_URL}/twilio/menu?attempt=1"
    params = call_params(Digits="1")
    signature = sign(url, params)
    assert send(client, "POST", "/twilio/menu?attempt=1", params, signed_for=url).status_code == 200
    before = count_rows()

    tampered = params | {field: value}
    response = send(
        client, "POST", "/twilio/menu?attempt=1", tampered, signed_for=None, signature=signature
    )
    assert response.status_code == 403
    assert count_rows() == before


def test_a_signature_without_a_field_twilio_sent_is_refused(client: FlaskClient) -> None:
    url = f"{BASE_URL}/twilio/voice"
    params = call_params()
    signature = sign(url, params)
    del params["From"]
    response = send(client, "POST", "/twilio/voice", params, signed_for=None, signature=signature)
    assert response.status_code == 403


def test_a_signature_made_with_another_token_is_refused(client: FlaskClient) -> None:
    url = f"{BASE_URL}/twilio/voice"
    params = call_params()
    signature = RequestValidator("another-auth-token").compute_signature(url, params)
    response = send(client, "POST", "/twilio/voice", params, signed_for=None, signature=signature)
    assert response.status_code == 403


# --- accepted -----------------------------------------------------------------------------


def test_a_valid_signature_is_accepted(
    client: FlaskClient, count_rows: Callable[[], dict[str, int]]
) -> None:
    before = count_rows()
    response = send(
        client, "POST", "/twilio/voice", call_params(), signed_for=f"{BASE_URL}/twilio/voice"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert ET.fromstring(response.get_data(as_text=True)).tag == "Response"
    assert count_rows()["call"] == before["call"] + 1


def test_a_valid_signature_with_a_query_string_is_accepted(client: FlaskClient) -> None:
    url = f"{BASE_URL}/twilio/menu?attempt=2"
    response = send(
        client, "POST", "/twilio/menu?attempt=2", call_params(Digits="*"), signed_for=url
    )
    assert response.status_code == 200


def test_repeated_fields_are_validated_as_twilio_signs_them(client: FlaskClient) -> None:
    url = f"{BASE_URL}/twilio/voice"
    params = MultiDict(list(call_params().items()) + [("Extra", "b"), ("Extra", "a")])
    response = send(client, "POST", "/twilio/voice", params, signed_for=url)
    assert response.status_code == 200


def test_a_call_through_the_simulator_is_accepted_everywhere(twilio: Any) -> None:
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.silence().press("9").finish()
    assert call.errors == []
    assert all(exchange.status in (200, 204) for exchange in call.log)


@pytest.mark.parametrize(("path", "method"), RULE_CASES)
def test_a_valid_signature_passes_the_check_on_every_url(
    client: FlaskClient, path: str, method: str
) -> None:
    params = call_params(RecordingSid="RE" + "3" * 32, RecordingDuration="10")
    url = BASE_URL + path
    response = send(client, method, path, params, signed_for=url)
    assert response.status_code != 403


# --- the public URL: PUBLIC_BASE_URL or a trusted TLS proxy ---------------------------------


@pytest.fixture
def proxied_config(config: dict) -> dict:
    """Behind one trusted TLS proxy, with no fixed public base."""
    config["PUBLIC_BASE_URL"] = None
    config["TRUSTED_PROXY_HOPS"] = 1
    return config


def test_behind_a_trusted_proxy_the_forwarded_url_is_validated(
    proxied_config: dict, request: pytest.FixtureRequest
) -> None:
    client: FlaskClient = request.getfixturevalue("client")
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for="https://reception.example/twilio/voice",
        base_url=INTERNAL,
        headers=PROXY_HEADERS,
    )
    assert response.status_code == 200
    urls = twiml_urls(response.get_data(as_text=True))
    assert urls["Gather"]
    assert urls["Redirect"]
    for url in urls["Gather"] + urls["Redirect"]:
        assert url.startswith("https://reception.example/twilio/"), url


def test_behind_a_trusted_proxy_the_internal_url_is_refused(
    proxied_config: dict, request: pytest.FixtureRequest
) -> None:
    client: FlaskClient = request.getfixturevalue("client")
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for=f"{INTERNAL}/twilio/voice",
        base_url=INTERNAL,
        headers=PROXY_HEADERS,
    )
    assert response.status_code == 403


def test_behind_a_trusted_proxy_the_simulator_gets_through_a_whole_call(
    proxied_config: dict, request: pytest.FixtureRequest
) -> None:
    from simulator import FlaskTransport, Simulator

    client: FlaskClient = request.getfixturevalue("client")
    twilio = Simulator(
        FlaskTransport(client, base_url=INTERNAL),
        AUTH_TOKEN,
        ACCOUNT_SID,
        "https://reception.example",
        headers=PROXY_HEADERS,
    )
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("7").finish()
    assert call.errors == []
    assert [exchange.status for exchange in call.log] == [200, 200, 204]


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(
    config: dict, request: pytest.FixtureRequest
) -> None:
    config["PUBLIC_BASE_URL"] = None
    config["TRUSTED_PROXY_HOPS"] = 0
    client: FlaskClient = request.getfixturevalue("client")
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for="https://reception.example/twilio/voice",
        base_url=INTERNAL,
        headers=PROXY_HEADERS,
    )
    assert response.status_code == 403


def test_with_a_public_base_url_a_request_on_another_host_signed_for_it_is_valid(
    client: FlaskClient,
) -> None:
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for=f"{BASE_URL}/twilio/voice",
        base_url=INTERNAL,
    )
    assert response.status_code == 200
    urls = twiml_urls(response.get_data(as_text=True))
    assert urls["Gather"]
    assert urls["Redirect"]
    for url in urls["Gather"] + urls["Redirect"]:
        assert url.startswith(BASE_URL + "/twilio/"), url


def test_with_a_public_base_url_a_signature_for_the_internal_url_is_refused(
    client: FlaskClient,
) -> None:
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for=f"{INTERNAL}/twilio/voice",
        base_url=INTERNAL,
    )
    assert response.status_code == 403


def test_with_a_public_base_url_forwarded_headers_cannot_change_the_url(
    config: dict, request: pytest.FixtureRequest
) -> None:
    config["TRUSTED_PROXY_HOPS"] = 1
    client: FlaskClient = request.getfixturevalue("client")
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for="https://attacker.example/twilio/voice",
        base_url=INTERNAL,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/twilio/voice", {}),
        ("/twilio/menu?attempt=1", {"Digits": "9"}),
        ("/twilio/menu?attempt=3", {"Digits": "9"}),
        ("/twilio/fallback", {"ErrorCode": "11200", "ErrorUrl": f"{BASE_URL}/twilio/voice"}),
    ],
)
def test_every_absolute_url_in_the_twiml_is_on_the_public_base(
    client: FlaskClient, path: str, fields: dict[str, str]
) -> None:
    response = send(
        client,
        "POST",
        path,
        call_params(**fields),
        signed_for=BASE_URL + path,
        base_url=INTERNAL,
    )
    assert response.status_code == 200
    urls = [url for found in twiml_urls(response.get_data(as_text=True)).values() for url in found]
    for url in urls:
        if "://" in url:
            assert url.startswith(BASE_URL + "/twilio/"), url


def test_the_fallback_record_sends_twilio_to_the_public_base(client: FlaskClient) -> None:
    response = send(
        client,
        "POST",
        "/twilio/fallback",
        call_params(ErrorCode="11200"),
        signed_for=f"{BASE_URL}/twilio/fallback",
        base_url=INTERNAL,
    )
    urls = twiml_urls(response.get_data(as_text=True))
    assert urls["Record"] == [f"{BASE_URL}/twilio/message", f"{BASE_URL}/twilio/message/ready"]


def test_a_public_base_url_with_a_path_works_when_the_app_is_mounted_there(
    config: dict, request: pytest.FixtureRequest
) -> None:
    config["PUBLIC_BASE_URL"] = "https://reception.example/reception"
    client: FlaskClient = request.getfixturevalue("client")
    response = send(
        client,
        "POST",
        "/twilio/voice",
        call_params(),
        signed_for="https://reception.example/reception/twilio/voice",
        base_url="http://internal:8000/reception",
    )
    assert response.status_code == 200
    urls = twiml_urls(response.get_data(as_text=True))
    for url in urls["Gather"] + urls["Redirect"]:
        assert url.startswith("https://reception.example/reception/twilio/"), url
