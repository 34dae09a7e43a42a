"""Status callbacks: repeated, reordered and late; outcomes and callbacks when calls end."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from models import Call, Callback, CallbackStatus, CallOutcome
from tests.conftest import LINE, MOBILE, call_form, new_call_sid


def logged(records, sid: str) -> Call:
    session = records()
    return session.scalar(sa.select(Call).where(Call.sid == sid))


def test_a_caller_who_hangs_up_in_the_menu_is_abandoned_with_a_callback(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.hangup()
    call.finish()

    row = logged(records, call.sid)
    assert row.status == "completed"
    assert row.outcome is CallOutcome.ABANDONED
    assert row.duration_s == call.duration
    assert row.ended_at is not None
    assert row.callback.reasons == ["abandoned"]
    assert row.callback.status is CallbackStatus.PENDING


def test_abandoned_calls_from_one_number_share_one_open_callback(twilio, records, clock):
    first = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    first.hangup().finish()
    clock.advance(minutes=5)
    second = twilio.incoming_call(from_=MOBILE, to="+73422368458").start()
    second.silence().silence().silence()
    second.finish()

    session = records()
    callbacks = session.scalars(sa.select(Callback)).all()
    assert len(callbacks) == 1
    assert callbacks[0].reasons == ["abandoned", "no_choice"]
    assert {call.sid for call in callbacks[0].calls} == {first.sid, second.sid}


def test_repeated_and_reordered_status_callbacks_leave_the_final_status(twilio, records):
    call = twilio.incoming_call(
        from_=MOBILE, to=LINE, status_events=("initiated", "ringing", "answered", "completed")
    )
    call.start()
    call.queue_status("initiated", elapsed=0)
    call.queue_status("ringing", elapsed=0)
    call.queue_status("in-progress", elapsed=1)
    call.hangup()

    replies = call.finish(shuffle=True, duplicate=True, rng=random.Random(4))

    assert {reply.status for reply in replies if reply} == {204}
    row = logged(records, call.sid)
    assert row.status == "completed"
    assert row.duration_s == call.duration
    assert [e.detail for e in row.events if e.kind == "ended"] == ["completed"]


def test_a_late_non_final_status_never_overwrites_a_final_one(webhook, records):
    sid = new_call_sid()
    webhook(
        "/twilio/status",
        call_form(sid, CallStatus="completed", CallDuration="42", SequenceNumber="3"),
    )
    webhook("/twilio/status", call_form(sid, CallStatus="ringing", SequenceNumber="1"))
    webhook(
        "/twilio/status",
        call_form(sid, CallStatus="completed", CallDuration="99", SequenceNumber="3"),
    )

    row = logged(records, sid)
    assert (row.status, row.duration_s) == ("completed", 42)


def test_non_final_statuses_only_move_forward(webhook, records):
    sid = new_call_sid()
    webhook("/twilio/status", call_form(sid, CallStatus="in-progress", SequenceNumber="2"))
    webhook("/twilio/status", call_form(sid, CallStatus="ringing", SequenceNumber="1"))

    assert logged(records, sid).status == "in-progress"


def test_a_retried_voice_webhook_creates_one_call(webhook, records):
    sid = new_call_sid()
    first = webhook("/twilio/voice", call_form(sid, CallStatus="ringing"))
    again = webhook("/twilio/voice", call_form(sid, CallStatus="ringing"))

    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    session = records()
    assert session.scalar(sa.select(sa.func.count()).where(Call.sid == sid)) == 1
    call = session.scalar(sa.select(Call).where(Call.sid == sid))
    assert [e.kind for e in call.events] == ["started", "menu"]


def test_a_status_callback_for_an_unknown_call_logs_it(webhook, records):
    sid = new_call_sid()
    reply = webhook("/twilio/status", call_form(sid, CallStatus="busy", CallDuration="0"))

    assert reply.status_code == 204
    row = logged(records, sid)
    assert row.status == "busy"
    assert row.line == LINE


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("anonymous", "withheld"),
        ("+266696687", "withheld"),
        ("", "withheld"),
        ("RESTRICTED", "withheld"),
        ("+77012345678", "foreign"),
        ("+14155552671", "foreign"),
        ("12", "invalid"),
    ],
)
def test_withheld_and_foreign_callers_are_logged_without_a_callback(twilio, records, raw, kind):
    call = twilio.incoming_call(from_=raw, to=LINE).start()
    call.hangup().finish()

    assert not call.errors
    row = logged(records, call.sid)
    assert row.caller is None
    assert row.caller_kind.value == kind
    assert row.caller_raw == raw
    assert row.outcome is CallOutcome.ABANDONED
    assert records().scalar(sa.select(sa.func.count(Callback.id))) == 0


def test_a_call_to_an_unknown_number_is_answered_and_logged_under_it(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to="+73422000000").start()

    assert "Вы позвонили в общественную приёмную" in " ".join(call.said)
    assert logged(records, call.sid).line == "+73422000000"


def test_a_forwarded_call_is_matched_by_forwarded_from(twilio, records):
    call = twilio.incoming_call(
        from_=MOBILE, to="+14155550100", ForwardedFrom="+73422367992"
    ).start()

    assert logged(records, call.sid).line == "+73422367992"
    assert "справочную линию" in " ".join(call.said)


def test_a_sip_caller_is_logged_as_the_number_in_its_user_part(twilio, records):
    call = twilio.incoming_call(from_="sip:+79024712233@trunk.example.ru", to=LINE).start()
    call.hangup().finish()

    row = logged(records, call.sid)
    assert row.caller_kind.value == "russian"
    assert row.caller == MOBILE
    assert row.callback.reasons == ["abandoned"]


def test_a_new_call_is_one_insert_of_the_call_then_its_events(webhook, engine):
    """No read before the write and no savepoint of its own: the call is inserted
    ``ON CONFLICT DO NOTHING`` and its events go out together at the commit, in one
    statement."""
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        reply = webhook("/twilio/voice", call_form(new_call_sid(), CallStatus="ringing"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)

    assert reply.status_code == 200
    # The test's own transaction turns commits into savepoints; SQLite's write lock is an
    # UPDATE that changes nothing.
    ours = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "UPDATE call"))]
    kinds = [s.split(" (")[0] for s in ours]
    assert kinds == ["INSERT INTO call", "INSERT INTO call_event"]
    assert "ON CONFLICT" in ours[0]
