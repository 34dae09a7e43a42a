"""Hostile input on every ``/twilio/*`` route: property-based fuzzing with hypothesis.

Every request is correctly signed, so it passes the signature check and reaches the view
(the refusals are ``test_signatures.py``'s and ``test_access_matrix.py``'s business).
The form holds Twilio's field names with garbage in them: fields missing or repeated,
huge values, numbers where words go and words where numbers go, Unicode and control
characters, CallSids nobody knows, and events that name another call's appointment,
appeal or recording; the query string gets the same treatment. Whatever arrives, the
answer is well-formed TwiML under 64 kB, a 204, or a 4xx: never a 5xx or a traceback
(``tests/test_malformed.py``'s :func:`problems` judges each answer).

300 examples per route in the normal suite; 10,000 per route in the slow run. Each webhook
hypothesis draws is sent to every route of a group, each time on the database as it was
before the fuzzing (a savepoint rolled back), so that neither the drawing nor a growing
database sets the pace. Whatever the service logs as an unexpected error (an exception it
answered with its apology) fails the test too: hostile input must not crash a view.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app import create_app
from calllog.schedule import create_session
from clock import FixedClock
from models import Appeal, Appointment, Recording
from simulator import FlaskTransport, Simulator
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    LINE,
    MOBILE,
    OPEN_TIME,
    PERM,
    make_config,
)
from tests.reliability import harness
from tests.test_malformed import POST_PATHS, problems

#: Requests between two outer transactions (see :meth:`Target.renew`).
RENEW_EVERY = 2_000
EXAMPLES = [
    pytest.param(300, id="300"),
    pytest.param(10_000, id="10000", marks=pytest.mark.slow),
]
#: The routes in groups, so that ``pytest -n`` (xdist) spreads the slow run over the cores.
GROUPS = [pytest.param(group, id=f"routes-{group + 1}-of-4") for group in range(4)]

STATUSES = [
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
]
FIELDS = [
    "AccountSid",
    "ApiVersion",
    "CallSid",
    "CallStatus",
    "Called",
    "Caller",
    "Direction",
    "From",
    "To",
    "ForwardedFrom",
    "CallerName",
    "ParentCallSid",
    "Digits",
    "SpeechResult",
    "Confidence",
    "RecordingSid",
    "RecordingUrl",
    "RecordingDuration",
    "RecordingStatus",
    "RecordingChannels",
    "RecordingSource",
    "SequenceNumber",
    "CallDuration",
    "Duration",
    "Timestamp",
    "CallbackSource",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "ErrorCode",
    "ErrorUrl",
    "AnsweredBy",
    "FromCountry",
    "ToCountry",
]
QUERY_ARGS = [
    "attempt",
    "timeout",
    "topic",
    "slots",
    "offset",
    "slot",
    "appointment",
    "appeal",
    "reason",
]

# Any character a form can carry: every category but lone surrogates (not UTF-8).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
CONTROL = st.text(
    st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u202e\ufeff"), max_size=8
)
WRONG_TYPES = st.sampled_from(
    ["", "null", "None", "true", "[]", "{}", "-1", "0", "1e999", "NaN", "-0", "0x1F", "٣", "１"]
)
NUMBERS = st.integers(-(2**63), 2**63).map(str) | st.floats(allow_nan=True).map(str)


def huge() -> st.SearchStrategy[str]:
    """Around and above the 2,000-character field limit, cheaply."""
    units = st.sampled_from(["7", "я", "\x00", "📞", "<Say>", "%", "&amp;"])
    sizes = st.sampled_from([1999, 2000, 2001, 4000, 20_000])
    return st.builds(lambda unit, size: unit * size, units, sizes)


def sid(prefix: str) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=32, max_size=32).map(lambda hex_: prefix + hex_)


GARBAGE = st.one_of(ANY_TEXT, CONTROL, WRONG_TYPES, NUMBERS)


class Known:
    """Real records made by real calls before the fuzzing, for events about other calls."""

    calls: list[str]
    recordings: list[str]
    ids: list[str]


def valid_value(name: str, known: Known) -> st.SearchStrategy[str]:
    """A value Twilio could send for field ``name``."""
    phones = st.sampled_from([MOBILE, LINE, "+73422368458", "anonymous", "+266696687", "sip:a@b"])
    if name in ("CallSid", "ParentCallSid", "DialCallSid"):
        return sid("CA") | st.sampled_from(known.calls)
    if name == "RecordingSid":
        return sid("RE") | st.sampled_from(known.recordings)
    if name == "AccountSid":
        return st.just(ACCOUNT_SID)
    if name in ("CallStatus", "DialCallStatus"):
        return st.sampled_from(STATUSES)
    if name in ("From", "To", "Called", "Caller", "ForwardedFrom"):
        return phones
    if name == "Digits":
        return st.text("0123456789*#", max_size=20) | st.just("hangup")
    if name in ("RecordingDuration", "CallDuration", "SequenceNumber", "DialCallDuration"):
        return st.integers(-5, 10**12).map(str)
    if name == "RecordingStatus":
        return st.sampled_from(["completed", "failed", "in-progress", "absent"])
    if name == "Direction":
        return st.sampled_from(["inbound", "outbound-api", "outbound-dial"])
    return ANY_TEXT


#: The fields a call webhook nearly always has: usually right, so most requests reach a view.
USUAL = ("CallSid", "From", "To", "CallStatus")


def webhooks(known: Known) -> st.SearchStrategy[tuple[str, MultiDict]]:
    """Hostile webhooks: a query string and a form (the strategies are built once)."""
    valid = {name: valid_value(name, known) for name in FIELDS}
    values = {
        name: st.lists(st.one_of(valid[name], valid[name], GARBAGE), max_size=3) for name in FIELDS
    }
    # Most fields are absent from any one webhook, as in Twilio's; some are there, some twice.
    present = st.lists(st.sampled_from(FIELDS), max_size=12, unique=True)
    query_value = st.one_of(
        st.integers(-3, 12).map(str),
        st.sampled_from(known.ids),
        st.sampled_from(["housing", "other", "person_no_answer", "1.2.3", "1..", ""]),
        GARBAGE,
    )

    @st.composite
    def webhook(draw: st.DrawFn) -> tuple[str, MultiDict]:
        form: list[tuple[str, str]] = []
        for name in USUAL:
            if draw(st.integers(0, 9)):
                form.append((name, draw(valid[name])))
        for name in draw(present):
            form += [(name, value) for value in draw(values[name])]
        form += draw(st.lists(st.tuples(ANY_TEXT, GARBAGE), max_size=2))
        if not draw(st.integers(0, 9)):
            form.append((draw(st.sampled_from(FIELDS)), draw(huge())))
        form = draw(st.permutations(form))
        query = [
            (name, draw(query_value))
            for name in draw(st.lists(st.sampled_from(QUERY_ARGS), max_size=4))
        ]
        return urlencode(query), MultiDict(form)

    return webhook()


def post(client: FlaskClient, path: str, query: str, form: MultiDict) -> Any:
    target = f"{path}?{query}" if query else path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + target, form)
    return client.post(
        target, base_url=BASE_URL, data=form, headers={"X-Twilio-Signature": signature}
    )


@dataclass
class Target:
    """The app under fuzzing, on a database of its own, and what is known in it."""

    app: Flask
    client: FlaskClient
    known: Known
    connection: sa.Connection
    transaction: sa.Transaction

    def renew(self) -> None:
        """End the outer transaction and begin another.

        Every example runs in a savepoint that is rolled back, all inside one outer
        transaction; PostgreSQL keeps some locks of each until that ends, and runs out of
        lock memory after some 20,000 (in production each request is a transaction).
        """
        self.transaction.rollback()
        self.transaction = self.connection.begin()


def seed(app: Flask, client: FlaskClient) -> Known:
    """Calls that booked, left a request, asked for a person: sids and ids to aim at."""
    maker = app.extensions["sessionmaker"]
    with maker() as session:
        create_session(
            session,
            expert="Иванова Мария Петровна",
            title="депутат Законодательного собрания",
            place="г. Пермь, ул. Екатерининская, 210",
            starts_at=datetime(2026, 12, 3, 10, 0, tzinfo=PERM),
            ends_at=datetime(2026, 12, 3, 12, 0, tzinfo=PERM),
            slot_minutes=20,
        )
        session.commit()
    twilio = Simulator(FlaskTransport(client), AUTH_TOKEN, ACCOUNT_SID, BASE_URL)
    sids = []
    for script in ("1 1 1 R", "2 1 1 R", "0 D", "3"):
        call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
        for step in script.split():
            if step == "R":
                call.record(5, "#")
            elif step == "D":
                call.dial(status="no-answer")
            else:
                call.press(step)
        call.finish()
        sids.append(call.sid)
    with maker() as session:
        found = Known()
        found.calls = sids
        found.recordings = list(session.scalars(sa.select(Recording.sid))) or ["RE" + "0" * 32]
        ids = {
            str(i) for model in (Appeal, Appointment) for i in session.scalars(sa.select(model.id))
        }
        found.ids = sorted(ids | {"1"})
    return found


@pytest.fixture
def target(tmp_path: Path, fake_twilio) -> Iterator[Target]:
    """The app on a fresh database: seeded for real, then fuzzed inside transactions."""
    with harness.scratch_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        app = create_app(make_config(tmp_path, fake_twilio, url))
        app.extensions["office"].clock = FixedClock(OPEN_TIME)
        client = app.test_client()
        known = seed(app, client)
        engine = app.extensions["sessionmaker"].kw["bind"]
        connection = engine.connect()
        fuzzing = Target(app, client, known, connection, connection.begin())
        app.extensions["sessionmaker"].configure(
            bind=connection, join_transaction_mode="create_savepoint"
        )
        try:
            yield fuzzing
        finally:
            fuzzing.transaction.rollback()
            connection.close()
            engine.dispose()


class Crashes(logging.Handler):
    """The errors the service hid behind its apology: hostile input must not cause one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "answering with the apology" in message:
            self.seen.append(message.splitlines()[0])


@pytest.fixture
def crashes() -> Iterator[Crashes]:
    handler = Crashes()
    logger = logging.getLogger("webhooks")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("group", GROUPS)
def test_signed_garbage_gets_twiml_or_a_4xx(
    target: Target, crashes: Crashes, report, group: int, examples: int
) -> None:
    """Each generated webhook goes to every route of the group: ``examples`` per route."""
    paths = POST_PATHS[group :: len(GROUPS)]
    client, connection = target.client, target.connection
    answered: Counter[int] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(request=webhooks(target.known))
    def fuzz(request: tuple[str, MultiDict]) -> None:
        query, form = request
        if sum(answered.values()) % RENEW_EVERY < len(paths):
            target.renew()
        for path in paths:
            # Each request on the database as the fuzzing found it, which stays small.
            savepoint = connection.begin_nested()
            try:
                response = post(client, path, query, form)
            finally:
                savepoint.rollback()
            answered[response.status_code] += 1
            found = problems(response) + crashes.seen
            crashes.seen.clear()
            assert found == [], f"{path}?{query}: {found}"

    fuzz()
    report(
        routes=len(paths),
        examples=sum(answered.values()),
        requests=sum(answered.values()),
        answered_200=answered[200],
        answered_204=answered[204],
        answered_4xx=sum(count for status, count in answered.items() if 400 <= status < 500),
    )
    assert sum(answered.values()) >= examples * len(paths)
    assert all(status < 500 for status in answered)
