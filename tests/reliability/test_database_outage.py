"""The database going away in the middle of a call: what the caller said is never lost.

In-process companions of the gunicorn fault tests (``test_faults.py``): the app's engine
is pointed at a database that cannot be opened for exactly the requests chosen, so each
step of a call can be hit by the outage in turn.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from models import Appeal, Appointment, Call, CallOutcome, Recording, RecordingKind
from simulator import Call as SimulatedCall
from tests.conftest import LINE, MOBILE, database_down
from tests.reliability.driver import answer_problem
from twilio_turn import spool
from twilio_turn.replay import replay_spool

THURSDAY_10 = "2026-12-03T10:00:00+05:00"


def replay(app) -> int:
    with app.app_context():
        return replay_spool() or 0


def spooled(app) -> list[spool.Entry]:
    return spool.pending(app.config["SPOOL_DIR"])


def every_answer_is_twiml_or_204(call: SimulatedCall) -> list[str]:
    from simulator import Reply

    problems = []
    for exchange in call.log:
        reply = Reply(exchange.status, exchange.body, "text/xml" if exchange.body else "")
        problem = answer_problem(reply) if exchange.status != 204 else None
        if problem:
            problems.append(f"{exchange.url}: {problem}")
    return problems


@pytest.mark.parametrize("finish", ["#", "hangup"])
@pytest.mark.parametrize("callback_first", [False, True], ids=["action first", "callback first"])
def test_a_request_recorded_while_the_database_is_down_becomes_its_appeal(
    app, twilio, records, report, finish: str, callback_first: bool
) -> None:
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1")  # consent, housing
    assert call.waiting_for == "record"

    with database_down(app):
        if callback_first:
            # The recording callback overtakes the action: deliver it from inside the record.
            transport = twilio.transport
            original = transport.post

            def callbacks_first(url, params, headers):
                fields = dict(params)
                if "RecordingSid" in fields and "RecordingStatus" not in fields:
                    pending = [cb for cb in call.queue.pending if cb.kind == "recording"]
                    call.queue.pending[:] = [cb for cb in call.queue.pending if cb not in pending]
                    for cb in pending:
                        original(cb.url, cb.params, headers)
                return original(url, params, headers)

            transport.post = callbacks_first
        call.record(seconds=20, finish=finish)
        if finish == "#":
            assert "технические неполадки" not in call.last_said
            assert "сообщение сохранено" in call.last_said
        call.finish()
        kinds = sorted(entry.kind for entry in spooled(app))

    assert every_answer_is_twiml_or_204(call) == []
    assert "appeal" in kinds  # the words are in the spool, not lost
    assert replay(app) == len(kinds)
    assert spooled(app) == []

    session = records()
    logged = session.scalar(sa.select(Call).where(Call.sid == call.sid))
    (appeal,) = session.scalars(sa.select(Appeal)).all()
    (recording,) = session.scalars(sa.select(Recording)).all()
    assert recording.appeal_id == appeal.id
    assert recording.duration_s == 20
    assert appeal.topic == "housing"
    assert appeal.phone == MOBILE
    assert appeal in logged.appeals
    assert logged.outcome is CallOutcome.REQUEST_LEFT
    # Nobody read the appeal number to the caller: staff call back.
    assert logged.callback is not None
    assert "fallback" in logged.callback.reasons
    report(calls=1, faults=1, requests=len(call.log), records_checked=3)


def test_the_outage_over_before_the_callback_still_makes_one_appeal(app, twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("2")
    with database_down(app):
        call.record(seconds=15, finish="#")
    call.finish()  # the recording callback reaches a working database
    replay(app)

    session = records()
    (appeal,) = session.scalars(sa.select(Appeal)).all()
    assert appeal.topic == "social"
    assert len(session.scalars(sa.select(Recording)).all()) == 1


def test_a_name_recorded_while_the_database_is_down_joins_the_booking(
    app, twilio, records, schedule
) -> None:
    from datetime import datetime

    schedule(datetime.fromisoformat(THURSDAY_10), minutes=60)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("1")  # a slot, confirmed: booked
    assert call.waiting_for == "record"
    with database_down(app):
        call.record(seconds=4, finish="#")
        assert "сообщение сохранено" in call.last_said
        call.finish()
    replay(app)

    session = records()
    (appointment,) = session.scalars(sa.select(Appointment)).all()
    (recording,) = session.scalars(sa.select(Recording)).all()
    assert recording.kind is RecordingKind.NAME
    assert recording.appointment_id == appointment.id
    logged = session.scalar(sa.select(Call).where(Call.sid == call.sid))
    assert logged.outcome is CallOutcome.BOOKED
    assert logged.callback is not None  # the code was not read back: staff call back


def test_every_step_of_a_call_answers_twiml_while_the_database_is_down(app, twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1")
    with database_down(app):
        call.press("3")  # the topic: the apology, and a message instead
        document = ET.fromstring(call.log[-1].body)
        assert document.find("Record").get("action").endswith("/twilio/message")
        call.record(seconds=9, finish="#")
        call.finish()
    assert every_answer_is_twiml_or_204(call) == []
    assert not call.errors
