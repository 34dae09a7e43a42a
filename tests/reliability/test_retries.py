"""Twilio retrying: every request of a whole call delivered twice (§5, issue 6).

Twilio retries a webhook whose answer it did not get in time (connection overrides
``rc``/``rp``), with the same parameters and ``I-Twilio-Idempotency-Token``; the first
request may well have been served. So a retried request must answer as the first one
did (the caller hears the same thing) and must write nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from models import Appeal, Appointment, Callback, Consent, Recording
from simulator import Call, FlaskTransport, Reply, Simulator
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, LINE, MOBILE, PERM

THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=PERM)
OTHER_MOBILE = "+79024712244"


@dataclass
class EveryRequestTwice:
    """Sends each request twice; keeps every pair whose answers differ."""

    inner: FlaskTransport
    differences: list[str] = field(default_factory=list)
    requests: int = 0

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        first = self.inner.post(url, params, headers)
        second = self.inner.post(url, params, headers)
        self.requests += 2
        if (first.status, first.body) != (second.status, second.body):
            path = url.removeprefix(BASE_URL)
            self.differences.append(
                f"{path} {dict(params).get('Digits', '')!r}: {first.status} {first.body[:300]!r}"
                f" then {second.status} {second.body[:300]!r}"
            )
        return second

    def get(self, url: str, headers: dict[str, str]) -> Reply:
        raise AssertionError("no GET expected")


def booking(call: Call) -> None:
    call.press("1").press("1").press("1").record(4, "#").silence()


def request_left(call: Call) -> None:
    call.press("2").press("1").press("3").record(12, "#").silence()


def request_hung_up_mid_sentence(call: Call) -> None:
    call.press("2").press("1").press("1").record(7, "hangup")


def status_of_the_appeal(call: Call) -> None:
    call.press("3")


def person_not_answering(call: Call) -> None:
    call.press("0").dial(status="no-answer")


def person_answering(call: Call) -> None:
    call.press("0").dial(answer=True, staff_keys="1", talk_seconds=40)


def silence_three_times(call: Call) -> None:
    call.silence().silence().silence()


def info_then_hang_up(call: Call) -> None:
    call.press("4").hangup()


SCRIPTS: dict[str, tuple[str, Callable[[Call], None]]] = {
    "booking": (MOBILE, booking),
    "request": (MOBILE, request_left),
    "request hung up mid-sentence": (MOBILE, request_hung_up_mid_sentence),
    "withheld caller, request": ("anonymous", request_left),
    "person not answering": (MOBILE, person_not_answering),
    "person answering": (MOBILE, person_answering),
    "silence three times": (MOBILE, silence_three_times),
    "info then hang up": (MOBILE, info_then_hang_up),
}


def business_rows(session: orm.Session) -> dict[str, int]:
    """The records a key press or a recording creates: none may be made twice."""
    counted = {
        "appointments": Appointment,
        "appeals": Appeal,
        "recordings": Recording,
        "callbacks": Callback,
        "consents": Consent,
    }
    return {
        name: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for name, model in counted.items()
    }


def run(client: FlaskClient, caller: str, script: Callable[[Call], None], twice: bool) -> Call:
    transport: FlaskTransport | EveryRequestTwice = FlaskTransport(client)
    if twice:
        transport = EveryRequestTwice(FlaskTransport(client))
    simulator = Simulator(transport, AUTH_TOKEN, ACCOUNT_SID, BASE_URL)  # type: ignore[arg-type]
    call = simulator.incoming_call(
        from_=caller, to=LINE, status_events=("initiated", "ringing", "answered", "completed")
    ).start()
    script(call)
    call.finish()
    return call


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_call_whose_every_request_comes_twice_hears_and_writes_the_same(
    app, client: FlaskClient, records, schedule, report, name: str
) -> None:
    schedule(THURSDAY, minutes=120)
    caller, script = SCRIPTS[name]
    before = business_rows(records())
    once = run(client, caller, script, twice=False)
    after_once = business_rows(records())
    made_once = {key: after_once[key] - before[key] for key in before}

    # Another number, so that an open callback of the first call does not absorb this one's.
    twice = run(client, OTHER_MOBILE if caller == MOBILE else caller, script, twice=True)
    made_twice = {key: business_rows(records())[key] - after_once[key] for key in before}

    transport = twice.webhooks.transport
    assert isinstance(transport, EveryRequestTwice)
    report(calls=2, requests=len(once.log) + transport.requests, records_checked=len(before))
    assert transport.differences == []
    assert len(twice.said) == len(once.said)
    assert made_twice == made_once


def test_the_voice_webhook_retried_logs_one_call_and_one_started_event(app, client, records):
    call = run(client, MOBILE, info_then_hang_up, twice=True)
    from models import Call as LoggedCall

    logged = records().scalars(sa.select(LoggedCall).where(LoggedCall.sid == call.sid)).all()
    assert len(logged) == 1
    assert [event.kind for event in logged[0].events].count("started") == 1
