"""``/api/calls`` (§7): bearer tokens, filters, keyset pagination, one call in detail.

The calls are made through the Twilio simulator; the office clock is moved between them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from calllog.tokens import create_token, revoke_token
from clock import FixedClock
from db import get_session
from models import StaffRole
from simulator import Simulator
from tests.conftest import PERM

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
LINE_A = "+73422368229"
LINE_B = "+73422368458"
LINE_C = "+73422367992"
MOBILE = "+79024712233"
OTHER = "+79124567890"
ANONYMOUS = "anonymous"
DETAIL_FIELDS = {
    "sid",
    "direction",
    "line",
    "caller",
    "status",
    "outcome",
    "started_at",
    "ended_at",
    "duration_s",
    "appeals",
    "appointments",
    "callback",
    "events",
}
SUMMARY_FIELDS = {
    "sid",
    "direction",
    "line",
    "caller",
    "status",
    "outcome",
    "started_at",
    "ended_at",
    "duration_s",
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


# --- tokens ---------------------------------------------------------------------------------


def new_token(
    app: Flask,
    role: StaffRole = StaffRole.OPERATOR,
    *,
    name: str = "api-test",
    expires_in: timedelta | None = None,
) -> str:
    with app.app_context():
        session = get_session()
        now = app.extensions["office"].now()
        expires = now + expires_in if expires_in is not None else None
        _, secret = create_token(session, name, role, now, expires)
        session.commit()
    return secret


@pytest.fixture
def token(app: Flask) -> str:
    return new_token(app)


@pytest.fixture
def api(client: FlaskClient, token: str) -> Callable[..., Any]:
    """GET an API path with a valid token; keyword arguments become the query string."""

    def get(path: str, **query: Any) -> Any:
        target = f"{path}?{urlencode(query)}" if query else path
        return client.get(target, headers={"Authorization": f"Bearer {token}"})

    return get


def assert_json_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    assert body["error"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer rl_" + "x" * 43,
        "Bearer not-a-token",
        "Bearer " + "rl_" + "y" * 5000,
        "Token rl_abc",
    ],
)
def test_without_a_valid_token_the_api_answers_401_json(
    client: FlaskClient, token: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    for path in ("/api/calls", "/api/calls/CA" + "0" * 32):
        response = client.get(path, headers=headers)
        assert_json_error(response, 401)
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_valid_token_is_accepted_whatever_the_scheme_case(
    client: FlaskClient, token: str
) -> None:
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/api/calls", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200
        assert response.get_json() == {"items": [], "next": None}


def test_a_token_differing_in_one_character_is_refused(client: FlaskClient, token: str) -> None:
    last = token[-1]
    wrong = token[:-1] + ("A" if last != "A" else "B")
    response = client.get("/api/calls", headers={"Authorization": f"Bearer {wrong}"})
    assert_json_error(response, 401)


def test_a_revoked_token_is_refused(app: Flask, client: FlaskClient) -> None:
    secret = new_token(app, name="to-revoke")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/calls", headers=headers).status_code == 200
    with app.app_context():
        session = get_session()
        assert revoke_token(session, "to-revoke", app.extensions["office"].now()) == 1
        session.commit()
    assert_json_error(client.get("/api/calls", headers=headers), 401)


def test_an_expired_token_is_refused(app: Flask, client: FlaskClient, clock: FixedClock) -> None:
    secret = new_token(app, name="short-lived", expires_in=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/calls", headers=headers).status_code == 200
    clock.advance(minutes=59)
    assert client.get("/api/calls", headers=headers).status_code == 200
    clock.advance(minutes=1)
    assert_json_error(client.get("/api/calls", headers=headers), 401)


def test_a_token_already_expired_when_created_is_refused(app: Flask, client: FlaskClient) -> None:
    secret = new_token(app, name="stillborn", expires_in=timedelta(seconds=-1))
    assert_json_error(client.get("/api/calls", headers={"Authorization": f"Bearer {secret}"}), 401)


# --- calls made through the simulator -------------------------------------------------------


@dataclass
class Made:
    sid: str
    line: str
    caller: str | None
    at: datetime


def hang_up_at_once(twilio: Simulator, line: str, from_: str) -> str:
    call = twilio.incoming_call(from_=from_, to=line).start()
    call.finish()
    assert call.errors == []
    return call.sid


def three_wrong_keys(twilio: Simulator, line: str, from_: str) -> str:
    call = twilio.incoming_call(from_=from_, to=line).start()
    for _ in range(3):
        call.press("9")
    call.finish()
    assert call.errors == []
    return call.sid


def still_talking(twilio: Simulator, line: str, from_: str) -> str:
    call = twilio.incoming_call(from_=from_, to=line, status_events=("answered", "completed"))
    call.start()
    call.deliver_callbacks()
    assert call.errors == []
    return call.sid


@pytest.fixture
def calls(twilio: Simulator, clock: FixedClock) -> dict[str, Made]:
    """Four calls over three local days, in different lines, outcomes and states."""
    made: dict[str, Made] = {}

    def make(name: str, at: datetime, line: str, from_: str, how: Callable[..., str]) -> None:
        clock.set(at)
        sid = how(twilio, line, from_)
        made[name] = Made(sid, line, from_ if from_.startswith("+") else None, at)

    make("first", local(1, 10), LINE_A, MOBILE, hang_up_at_once)
    make("menu", local(2, 11), LINE_B, OTHER, three_wrong_keys)
    make("late", local(2, 23, 30), LINE_A, ANONYMOUS, hang_up_at_once)
    make("night", local(3, 0, 30), LINE_C, MOBILE, still_talking)
    return made


def sids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"items", "next"}
    return [item["sid"] for item in body["items"]]


def test_the_list_is_newest_first_with_every_call(
    api: Callable[..., Any], calls: dict[str, Made]
) -> None:
    response = api("/api/calls")
    assert sids(response) == [calls[n].sid for n in ("night", "late", "menu", "first")]
    assert response.get_json()["next"] is None
    for item in response.get_json()["items"]:
        assert set(item) == SUMMARY_FIELDS
        assert item["started_at"].endswith("+05:00")


def test_list_items_carry_line_caller_status_outcome(
    api: Callable[..., Any], calls: dict[str, Made]
) -> None:
    items = {item["sid"]: item for item in api("/api/calls").get_json()["items"]}
    menu = items[calls["menu"].sid]
    assert menu["line"] == LINE_B
    assert menu["caller"] == OTHER
    assert menu["direction"] == "inbound"
    assert menu["status"] == "completed"
    assert menu["outcome"] == "callback_requested"
    assert menu["started_at"] == "2026-12-02T11:00:00+05:00"
    assert menu["ended_at"] == "2026-12-02T11:00:00+05:00"
    assert isinstance(menu["duration_s"], int)
    late = items[calls["late"].sid]
    assert late["caller"] is None
    assert late["outcome"] == "abandoned"
    assert late["started_at"] == "2026-12-02T23:30:00+05:00"
    night = items[calls["night"].sid]
    assert night["status"] == "in-progress"
    assert night["outcome"] is None
    assert night["ended_at"] is None
    assert night["duration_s"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"line": LINE_A}, ["late", "first"]),
        ({"line": LINE_B}, ["menu"]),
        ({"line": LINE_C}, ["night"]),
        ({"line": "+70000000000"}, []),
        ({"outcome": "abandoned"}, ["late", "first"]),
        ({"outcome": "callback_requested"}, ["menu"]),
        ({"outcome": "booked"}, []),
        ({"status": "completed"}, ["late", "menu", "first"]),
        ({"status": "in-progress"}, ["night"]),
        ({"status": "busy"}, []),
        ({"caller": MOBILE}, ["night", "first"]),
        ({"caller": "8 902 471-22-33"}, ["night", "first"]),
        ({"caller": "+7 (902) 471-22-33"}, ["night", "first"]),
        ({"caller": "9024712233"}, ["night", "first"]),
        ({"caller": "471-22-33"}, ["night", "first"]),
        ({"caller": OTHER}, ["menu"]),
        ({"caller": "+79990000000"}, []),
        ({"since": "2026-12-02"}, ["night", "late", "menu"]),
        ({"since": "2026-12-03"}, ["night"]),
        ({"since": "2026-12-04"}, []),
        ({"until": "2026-12-02"}, ["late", "menu", "first"]),
        ({"until": "2026-12-01"}, ["first"]),
        ({"until": "2026-11-30"}, []),
        ({"since": "2026-12-02", "until": "2026-12-02"}, ["late", "menu"]),
        ({"since": "2026-12-01", "until": "2026-12-03"}, ["night", "late", "menu", "first"]),
        ({"line": LINE_A, "outcome": "abandoned", "until": "2026-12-01"}, ["first"]),
        ({"caller": MOBILE, "status": "completed"}, ["first"]),
        ({"line": LINE_A, "since": "2026-12-02", "outcome": "abandoned"}, ["late"]),
    ],
    ids=lambda value: urlencode(value) if isinstance(value, dict) else None,
)
def test_each_filter_narrows_the_list(
    api: Callable[..., Any], calls: dict[str, Made], query: dict[str, str], expected: list[str]
) -> None:
    assert sids(api("/api/calls", **query)) == [calls[name].sid for name in expected]


def test_until_is_inclusive_in_local_time_not_utc(
    api: Callable[..., Any], calls: dict[str, Made]
) -> None:
    # 23:30 in Perm on the 2nd is 18:30 UTC on the 2nd; 00:30 on the 3rd is still the 2nd in UTC.
    assert calls["late"].sid in sids(api("/api/calls", until="2026-12-02"))
    assert calls["night"].sid not in sids(api("/api/calls", until="2026-12-02"))
    assert calls["night"].sid in sids(api("/api/calls", since="2026-12-03", until="2026-12-03"))


# --- keyset pagination ----------------------------------------------------------------------


@pytest.fixture
def many_calls(twilio: Simulator, clock: FixedClock) -> list[str]:
    """Nine calls, newest first; five of them at the very same moment."""
    made = []
    for minute in (0, 1):
        clock.set(local(2, 10, minute))
        made.append(hang_up_at_once(twilio, LINE_A, MOBILE))
    clock.set(local(2, 12))
    for _ in range(5):
        made.append(hang_up_at_once(twilio, LINE_B, OTHER))
    for day in (3, 4):
        clock.set(local(day, 9))
        made.append(hang_up_at_once(twilio, LINE_C, ANONYMOUS))
    return list(reversed(made))


def walk(api: Callable[..., Any], limit: int, **query: str) -> tuple[list[str], int]:
    """Follow ``next`` from the first page to the last; return the sids and the page count."""
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        params = dict(query, limit=limit) | ({"cursor": cursor} if cursor else {})
        response = api("/api/calls", **params)
        page = sids(response)
        pages += 1
        assert len(page) <= limit
        cursor = response.get_json()["next"]
        seen.extend(page)
        if cursor is None:
            return seen, pages
        assert isinstance(cursor, str)
        assert len(page) == limit
        assert pages < 50, "pagination does not end"


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 8, 9, 10])
def test_pages_follow_each_other_without_duplicates_or_gaps(
    api: Callable[..., Any], many_calls: list[str], limit: int
) -> None:
    whole = sids(api("/api/calls", limit=500))
    assert whole == many_calls
    seen, pages = walk(api, limit)
    assert seen == whole
    assert len(set(seen)) == len(seen)
    assert pages == max(1, -(-len(whole) // limit))


def test_pagination_keeps_the_filters(api: Callable[..., Any], many_calls: list[str]) -> None:
    whole = sids(api("/api/calls", line=LINE_B))
    assert len(whole) == 5
    seen, _ = walk(api, 2, line=LINE_B)
    assert seen == whole
    seen, _ = walk(api, 2, since="2026-12-02", until="2026-12-03", caller="+79124567890")
    assert seen == whole


def test_a_call_arriving_between_pages_does_not_shift_the_next_page(
    api: Callable[..., Any], many_calls: list[str], twilio: Simulator, clock: FixedClock
) -> None:
    first = api("/api/calls", limit=3)
    clock.set(local(5, 9))
    newest = hang_up_at_once(twilio, LINE_A, MOBILE)
    second = api("/api/calls", limit=3, cursor=first.get_json()["next"])
    assert sids(first) + sids(second) == many_calls[:6]
    assert newest not in sids(second)


def test_the_default_page_has_a_next_cursor_when_more_remain(
    api: Callable[..., Any], many_calls: list[str]
) -> None:
    response = api("/api/calls")
    assert sids(response) == many_calls
    assert response.get_json()["next"] is None


# --- one call in detail ---------------------------------------------------------------------


def test_one_call_has_exactly_the_documented_fields(
    api: Callable[..., Any], twilio: Simulator, clock: FixedClock
) -> None:
    clock.set(local(2, 11))
    call = twilio.incoming_call(from_=OTHER, to=LINE_B).start()
    for _ in range(3):
        clock.advance(seconds=7)
        call.press("9")
    clock.advance(seconds=5)
    call.finish()

    response = api(f"/api/calls/{call.sid}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == DETAIL_FIELDS
    assert body["sid"] == call.sid
    assert body["direction"] == "inbound"
    assert body["line"] == LINE_B
    assert body["caller"] == OTHER
    assert body["status"] == "completed"
    assert body["outcome"] == "callback_requested"
    assert body["started_at"] == "2026-12-02T11:00:00+05:00"
    assert body["ended_at"] == "2026-12-02T11:00:26+05:00"
    assert body["duration_s"] == call.duration
    assert body["appeals"] == []
    assert body["appointments"] == []
    assert isinstance(body["callback"], int)

    events = body["events"]
    assert events, "the menu path is logged"
    for event in events:
        assert set(event) == {"at", "kind", "detail"}
        assert event["at"].endswith("+05:00")
        assert isinstance(event["kind"], str)
        assert isinstance(event["detail"], str)
    moments = [datetime.fromisoformat(event["at"]) for event in events]
    assert moments == sorted(moments)
    assert moments[0] == local(2, 11)
    assert moments[-1] == local(2, 11) + timedelta(seconds=26)
    kinds = [event["kind"] for event in events]
    assert kinds[0] == "started"
    assert kinds.count("wrong_key") == 3
    assert kinds.index("callback_queued") > max(i for i, k in enumerate(kinds) if k == "wrong_key")
    assert "ended" in kinds[-3:]


def test_a_withheld_caller_has_no_caller_and_no_callback(
    api: Callable[..., Any], calls: dict[str, Made]
) -> None:
    body = api(f"/api/calls/{calls['late'].sid}").get_json()
    assert set(body) == DETAIL_FIELDS
    assert body["caller"] is None
    assert body["callback"] is None
    assert body["outcome"] == "abandoned"


def test_an_abandoned_call_from_a_known_number_links_its_callback(
    api: Callable[..., Any], calls: dict[str, Made]
) -> None:
    body = api(f"/api/calls/{calls['first'].sid}").get_json()
    assert body["outcome"] == "abandoned"
    assert isinstance(body["callback"], int)


@pytest.mark.parametrize("sid", ["CA" + "0" * 32, "CA123", "nothing", "%E2%98%8E", "x" * 300])
def test_an_unknown_sid_is_404_json(
    api: Callable[..., Any], calls: dict[str, Made], sid: str
) -> None:
    assert_json_error(api(f"/api/calls/{sid}"), 404)


def test_a_sid_with_a_nul_byte_is_404_json(api: Callable[..., Any], calls: dict[str, Made]) -> None:
    assert_json_error(api("/api/calls/CA%00"), 404)


# --- bad arguments: 400 JSON ---------------------------------------------------------------


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "501"},
        {"limit": "ten"},
        {"limit": "1.5"},
        {"limit": ""},
        {"cursor": "garbage!"},
        {"cursor": "@@@"},
        {"cursor": b64("no separator")},
        {"cursor": b64("a|b|c")},
        {"cursor": b64("2026-12-02T10:00:00+00:00|x")},
        {"cursor": b64("yesterday|5")},
        {"cursor": base64.urlsafe_b64encode(b"\xff\xfe|1").decode()},
        {"since": "2026-13-01"},
        {"since": "02.12.2026"},
        {"until": "tomorrow"},
        {"until": "2026-02-30"},
        {"outcome": "exploded"},
    ],
    ids=lambda value: urlencode(value),
)
def test_a_bad_argument_is_400_json(
    api: Callable[..., Any], calls: dict[str, Made], query: dict[str, str]
) -> None:
    assert_json_error(api("/api/calls", **query), 400)


@pytest.mark.parametrize(
    "cursor",
    [
        b64("2026-12-02T10:00:00|5"),
        b64("2026-12-02T10:00:00+00:00|" + "9" * 30),
        b64("2026-12-02T10:00:00+00:00|0"),
        b64("2026-12-02T10:00:00+00:00|-3"),
        b64("0001-01-01T00:00:00+14:00|5"),
        b64("9999-12-31T23:59:59-12:00|5"),
    ],
    ids=["naive time", "huge id", "id 0", "negative id", "before year 1 in UTC", "after 9999"],
)
def test_a_forged_cursor_is_400_json(
    api: Callable[..., Any], calls: dict[str, Made], cursor: str
) -> None:
    assert_json_error(api("/api/calls", cursor=cursor), 400)


BIG_IDS = [2**31, 2**40, 2**63 - 1]


@pytest.mark.parametrize("row_id", [2**31 - 1, *BIG_IDS])
def test_a_cursor_past_every_id_is_answered(
    api: Callable[..., Any], calls: dict[str, Made], row_id: int
) -> None:
    cursor = b64(f"2026-12-02T18:30:00+00:00|{row_id}")
    response = api("/api/calls", cursor=cursor)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    if response.status_code == 200:
        assert sids(response) == [calls[name].sid for name in ("late", "menu", "first")]


@pytest.mark.parametrize(
    "query", [{"until": "9999-12-31"}, {"since": "0001-01-01"}], ids=["until 9999", "since 0001"]
)
def test_a_date_at_the_end_of_the_calendar_is_answered(
    api: Callable[..., Any], calls: dict[str, Made], query: dict[str, str]
) -> None:
    response = api("/api/calls", **query)
    assert response.status_code in (200, 400)
    assert response.is_json


@pytest.mark.parametrize(
    "query",
    [
        {"caller": "%"},
        {"caller": "_"},
        {"caller": "%%%"},
        {"line": "%"},
        {"status": "%"},
    ],
    ids=lambda value: urlencode(value),
)
def test_sql_wildcards_in_a_filter_match_nothing(
    api: Callable[..., Any], calls: dict[str, Made], query: dict[str, str]
) -> None:
    response = api("/api/calls", **query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert sids(response) == []


@pytest.mark.parametrize(
    "query",
    [{"caller": "\x00"}, {"line": "+7342\x00"}, {"status": "\x00"}, {"outcome": "\x00"}],
    ids=["caller", "line", "status", "outcome"],
)
def test_a_nul_byte_in_a_filter_is_answered(
    api: Callable[..., Any], calls: dict[str, Made], query: dict[str, str]
) -> None:
    response = api("/api/calls", **query)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    assert response.is_json
