"""A staff callback answered by a machine is no callback done (issue 12, defect 1).

The citizen leg of click-to-call runs Twilio's answering machine detection; §12: ``reached``
only when a person answered (``AnsweredBy=human``) and the bridged talk lasted 20 s or more,
or the operator confirms it. A machine or a fax is a ``voicemail`` attempt, counted like
``no_answer``. The simulator answers as a human, a machine or a fax.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import AttemptResult, CallbackStatus
from tests.conftest import BASE_URL, LINE, MOBILE, new_call_sid
from tests.test_staff_callbacks import (  # noqa: F401  (fixtures)
    OPERATOR_PHONE,
    load,
    operator,
    page,
    queue,
    set_phone,
)


@pytest.fixture
def placed(form_post, operator, queue, records):  # noqa: F811
    """A callback, and the call «Позвонить» placed for it: ``(callback_id, call_sid)``."""

    def place() -> tuple[int, str]:
        callback_id = queue(MOBILE, "abandoned")
        set_phone(records, operator, OPERATOR_PHONE)
        form_post(f"/callbacks/{callback_id}/call", {})
        (call,) = [c for c in load(records, callback_id).calls if c.direction != "inbound"]
        return callback_id, call.sid

    return place


def operator_leg(twilio, callback_id: int, sid: str):
    return twilio.incoming_call(
        from_=LINE,
        to=OPERATOR_PHONE,
        voice_path=f"/twilio/callback/bridge?callback={callback_id}",
        call_sid=sid,
        Direction="outbound-api",
    ).start()


def test_the_citizen_leg_asks_for_answering_machine_detection(twilio, placed):
    callback_id, sid = placed()
    leg = operator_leg(twilio, callback_id, sid)

    (number,) = leg.waiting.numbers
    assert number.machine_detection == "Enable"
    assert number.amd_status_callback.startswith(f"{BASE_URL}/twilio/callback/answered?")


def test_a_voicemail_of_twelve_seconds_is_not_reached(twilio, records, placed):
    callback_id, sid = placed()
    leg = operator_leg(twilio, callback_id, sid)
    leg.dial(answer=True, talk_seconds=12, answered_as="machine_start")
    said = leg.last_said
    leg.finish()

    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    (attempt,) = callback.attempts
    assert attempt.result is AttemptResult.VOICEMAIL
    assert "автоответчик" in said
    assert "выполнен" not in said


def test_a_fax_is_a_voicemail_attempt(twilio, records, placed):
    callback_id, sid = placed()
    operator_leg(twilio, callback_id, sid).dial(answer=True, talk_seconds=40, answered_as="fax")

    assert [a.result for a in load(records, callback_id).attempts] == [AttemptResult.VOICEMAIL]


def test_a_person_who_talked_twenty_seconds_is_reached(twilio, records, placed):
    callback_id, sid = placed()
    leg = operator_leg(twilio, callback_id, sid)
    leg.dial(answer=True, talk_seconds=20, answered_as="human")

    assert "обратный звонок выполнен" in leg.last_said
    assert load(records, callback_id).status is CallbackStatus.DONE


def test_a_person_who_hung_up_at_once_is_not_reached(twilio, records, placed):
    callback_id, sid = placed()
    operator_leg(twilio, callback_id, sid).dial(answer=True, talk_seconds=8, answered_as="human")

    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    assert [a.result for a in callback.attempts] == [AttemptResult.NO_ANSWER]


def test_a_late_detection_records_the_attempt_when_it_comes(twilio, records, placed):
    callback_id, sid = placed()
    leg = operator_leg(twilio, callback_id, sid)
    leg.dial(answer=True, talk_seconds=30, answered_as="machine_end_beep", amd_late=True)
    assert load(records, callback_id).attempts == []  # not known yet: nothing guessed

    leg.finish(duplicate=True)

    assert [a.result for a in load(records, callback_id).attempts] == [AttemptResult.VOICEMAIL]


def test_voicemails_count_like_no_answer(twilio, records, placed, clock):
    callback_id, first = placed()
    operator_leg(twilio, callback_id, first).dial(answer=True, answered_as="machine_start")
    for _ in range(2):
        clock.advance(days=1)
        operator_leg(twilio, callback_id, new_call_sid()).dial(
            answer=True, answered_as="machine_start"
        )

    callback = load(records, callback_id)
    assert [a.result for a in callback.attempts] == [AttemptResult.VOICEMAIL] * 3
    assert callback.status is CallbackStatus.GAVE_UP


def test_the_operator_sees_a_voicemail_and_may_correct_it(
    twilio, records, placed, client, form_post
):
    callback_id, sid = placed()
    operator_leg(twilio, callback_id, sid).dial(answer=True, answered_as="machine_start")
    html = page(client, f"/callbacks/{callback_id}")
    assert "автоответчик" in html
    (attempt,) = load(records, callback_id).attempts

    reply = form_post(
        f"/callbacks/{callback_id}/attempts/{attempt.id}/result", {"result": "reached"}
    )

    assert reply.status_code == 302
    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.DONE
    assert [a.result for a in callback.attempts] == [AttemptResult.REACHED]
    assert "исправлен" in page(client, reply.location)


def test_a_reached_call_corrected_to_voicemail_reopens_the_item(
    twilio, records, placed, form_post, clock
):
    callback_id, sid = placed()
    operator_leg(twilio, callback_id, sid).dial(answer=True, talk_seconds=60, answered_as="human")
    (attempt,) = load(records, callback_id).attempts
    assert load(records, callback_id).status is CallbackStatus.DONE

    form_post(f"/callbacks/{callback_id}/attempts/{attempt.id}/result", {"result": "voicemail"})

    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    assert callback.closed_at is None
    assert callback.due_at > clock.now() - timedelta(minutes=1)
