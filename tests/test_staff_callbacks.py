"""The callback queue in the staff application: the list, attempts by hand, click-to-call.

Click-to-call goes the whole way: the page asks Twilio's REST API (the fake HttpClient) to
ring the operator, then Twilio (the simulator, or single signed webhooks) requests the
bridge, which dials the citizen; the Dial action records the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm
from twilio.http.response import Response as TwilioResponse

from calllog import callbacks as service
from calllog.staff import find_user
from models import (
    AttemptResult,
    AuditEntry,
    Call,
    Callback,
    CallbackStatus,
    CallOutcome,
    StaffRole,
)
from simulator import Simulator
from tests.conftest import BASE_URL, LINE, MOBILE, OPEN_TIME, PERM, new_call_sid
from tests.fakes import FakeTwilioHttp

LINE_B = "+73422368458"
OTHER = "+79124567890"
THIRD = "+79051112233"
OPERATOR_PHONE = "+79120000009"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


@pytest.fixture
def queue(
    records: Callable[[], orm.Session], log_calls: Callable[..., list[str]]
) -> Callable[..., int]:
    """Queue a callback as the phone line would: ``queue(phone, "abandoned", due=...)``.

    Each reason comes with a call from ``phone`` on ``line`` at ``at``; returns the id.
    """

    def add(
        phone: str,
        *reasons: str,
        due: datetime = OPEN_TIME,
        at: datetime = OPEN_TIME - timedelta(hours=1),
        line: str = LINE,
        with_call: bool = True,
    ) -> int:
        sids = log_calls(1, start=at, line=line, caller=phone, outcome=CallOutcome.ABANDONED)
        with records() as session:
            call = session.scalar(sa.select(Call).where(Call.sid == sids[0]))
            for reason in reasons:
                callback = service.request(
                    session, phone, reason, call if with_call else None, at, due
                )
            session.commit()
            return callback.id

    return add


def load(records: Callable[[], orm.Session], callback_id: int) -> Callback:
    return records().get(Callback, callback_id)


def page(client: FlaskClient, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_lists_pending_items_due_first_with_reasons_calls_and_attempts(
    client, operator, queue, records
):
    queue(OTHER, "person_out_of_hours", due=OPEN_TIME + timedelta(days=1))
    overdue = queue(
        MOBILE, "abandoned", "status_request", due=local(1, 10), at=local(1, 9), line=LINE_B
    )
    with records() as session:
        service.record_attempt(
            session,
            session.get(Callback, overdue),
            AttemptResult.NO_ANSWER,
            local(1, 10, 30),
            local(2, 10),
            note="длинные гудки",
            actor="staff:olga",
        )
        session.get(Callback, overdue).due_at = local(2, 10)
        session.commit()
    done = queue(THIRD, "no_choice")
    with records() as session:
        callback = session.get(Callback, done)
        service.record_attempt(session, callback, AttemptResult.REACHED, OPEN_TIME, OPEN_TIME)
        session.commit()

    html = page(client, "/callbacks")

    assert html.index("8 (902) 471-22-33") < html.index("8 (912) 456-78-90")  # due first
    assert "8 (905) 111-22-33" not in html  # done
    overdue_row = html[html.index('<tr class="overdue">') :].split("</tr>")[0]
    assert "8 (902) 471-22-33" in overdue_row
    assert "просрочен" in overdue_row
    assert "звонок прерван" in overdue_row
    assert "просьба заявителю о статусе" in overdue_row
    assert "8 (342) 236-84-58" in overdue_row  # the line of the call behind it
    assert "01.12.2026 09:00" in overdue_row  # ...and when it came
    with records() as session:
        sid = session.get(Callback, overdue).calls[0].sid
    assert f'href="/calls/{sid}"' in overdue_row
    assert "olga" in overdue_row
    assert "не ответил" in overdue_row
    assert "длинные гудки" in overdue_row
    later_row = html[html.index("8 (912) 456-78-90") :].split("</tr>")[0]
    assert "звонок в нерабочее время" in later_row
    assert "просрочен" not in later_row


def test_every_known_reason_is_in_russian_and_an_unknown_one_is_shown_as_it_is(
    client, operator, queue
):
    queue(
        MOBILE,
        "abandoned",
        "no_choice",
        "person_no_answer",
        "person_out_of_hours",
        "status_request",
        "fallback",
        "something_new",
    )

    html = page(client, "/callbacks")

    for words in (
        "звонок прерван",
        "не выбран пункт меню",
        "сотрудники не ответили",
        "звонок в нерабочее время",
        "просьба заявителю о статусе",
        "сообщение при сбое",
        "something_new",
    ):
        assert words in html


def test_the_filter_shows_done_and_given_up_items(client, operator, queue, records):
    done, gave_up = queue(MOBILE, "abandoned"), queue(OTHER, "no_choice")
    pending = queue(THIRD, "no_choice")
    with records() as session:
        service.record_attempt(
            session, session.get(Callback, done), AttemptResult.REACHED, OPEN_TIME, OPEN_TIME
        )
        service.record_attempt(
            session,
            session.get(Callback, gave_up),
            AttemptResult.WRONG_NUMBER,
            OPEN_TIME,
            OPEN_TIME,
        )
        session.commit()

    shown = {status: page(client, f"/callbacks?status={status}") for status in ("done", "gave_up")}

    assert "8 (902) 471-22-33" in shown["done"]
    assert "8 (912) 456-78-90" not in shown["done"]
    assert "8 (912) 456-78-90" in shown["gave_up"]
    assert "неверный номер" in shown["gave_up"]
    assert f"/callbacks/{pending}" not in shown["done"] + shown["gave_up"]
    assert "8 (905) 111-22-33" in page(client, "/callbacks?status=nonsense")  # pending


def test_viewing_the_queue_and_an_item_is_audited(client, operator, queue, records):
    callback_id = queue(MOBILE, "abandoned")

    page(client, "/callbacks")
    page(client, f"/callbacks/{callback_id}")

    entries = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "view")).all()
    assert {(e.actor, e.subject) for e in entries} >= {
        ("staff:operator", "callbacks"),
        ("staff:operator", f"callback:{callback_id}"),
    }


def test_an_unknown_item_is_a_404(client, operator):
    assert client.get("/callbacks/999999").status_code == 404
    assert client.get(f"/callbacks/{2**40}").status_code == 404


# --- attempts by hand --------------------------------------------------------------------


def test_a_reached_attempt_closes_the_item(client, form_post, operator, queue, records):
    callback_id = queue(MOBILE, "abandoned")

    reply = form_post(
        f"/callbacks/{callback_id}/attempts", {"result": "reached", "note": "  всё решили "}
    )

    assert reply.status_code == 302
    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.DONE
    (attempt,) = callback.attempts
    assert (attempt.result, attempt.note, attempt.actor) == (
        AttemptResult.REACHED,
        "всё решили",
        "staff:operator",
    )
    assert "Обратный звонок выполнен" in page(client, reply.location)
    assert "8 (902) 471-22-33" not in page(client, "/callbacks")
    change = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "change"))
    assert change.subject == f"callback:{callback_id}"


def test_a_wrong_number_gives_up(client, form_post, operator, queue, records):
    callback_id = queue(MOBILE, "abandoned")

    form_post(f"/callbacks/{callback_id}/attempts", {"result": "wrong_number"})

    assert load(records, callback_id).status is CallbackStatus.GAVE_UP


def test_no_answer_on_three_working_days_gives_up(
    client, form_post, operator, queue, records, clock
):
    callback_id = queue(MOBILE, "abandoned")

    form_post(f"/callbacks/{callback_id}/attempts", {"result": "no_answer"})
    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    assert callback.due_at == local(3, 10)  # Thursday's opening
    clock.advance(hours=2)
    form_post(f"/callbacks/{callback_id}/attempts", {"result": "no_answer"})
    assert load(records, callback_id).status is CallbackStatus.PENDING  # the same day
    clock.advance(days=1)
    form_post(f"/callbacks/{callback_id}/attempts", {"result": "no_answer"})
    assert load(records, callback_id).status is CallbackStatus.PENDING
    clock.advance(days=1)
    reply = form_post(f"/callbacks/{callback_id}/attempts", {"result": "no_answer"})

    assert load(records, callback_id).status is CallbackStatus.GAVE_UP
    assert len(load(records, callback_id).attempts) == 4
    assert "дозвониться не удалось" in page(client, reply.location)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "без результата"}, "Выберите результат попытки."),
        ({"result": "maybe"}, "Not a valid choice"),
        ({"result": "reached", "note": "x" * 401}, "Не длиннее 400 символов."),
        ({"result": "reached", "note": "a\x00b"}, "недопустимые символы"),
    ],
)
def test_a_bad_attempt_is_refused_and_changes_nothing(
    form_post, client, operator, queue, records, data, message
):
    callback_id = queue(MOBILE, "abandoned")

    reply = form_post(f"/callbacks/{callback_id}/attempts", data)

    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    assert callback.attempts == []


def test_an_attempt_on_a_closed_item_is_refused(client, form_post, operator, queue, records):
    callback_id = queue(MOBILE, "abandoned")
    form_post(f"/callbacks/{callback_id}/attempts", {"result": "reached"})

    reply = form_post(f"/callbacks/{callback_id}/attempts", {"result": "no_answer"})

    assert "уже закрыт" in page(client, reply.location)
    assert len(load(records, callback_id).attempts) == 1


@pytest.fixture
def csrf_on(config: dict) -> None:
    config["WTF_CSRF_ENABLED"] = True


def test_a_post_without_a_csrf_token_is_refused(csrf_on, client, operator, queue, records):
    callback_id = queue(MOBILE, "abandoned")

    reply = client.post(f"/callbacks/{callback_id}/attempts", data={"result": "reached"})

    assert reply.status_code == 400
    assert load(records, callback_id).attempts == []
    html = page(client, f"/callbacks/{callback_id}")
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    reply = client.post(
        f"/callbacks/{callback_id}/attempts", data={"result": "reached", "csrf_token": token}
    )
    assert reply.status_code == 302
    assert load(records, callback_id).status is CallbackStatus.DONE


# --- click-to-call -----------------------------------------------------------------------


def calls_created(fake_twilio: FakeTwilioHttp) -> list[dict]:
    return [request.data for request in fake_twilio.sent("POST", "/Calls.json")]


def set_phone(records: Callable[[], orm.Session], login: str, phone: str | None) -> None:
    with records() as session:
        find_user(session, login).phone = phone
        session.commit()


def outbound_leg(sid: str, line: str, **extra: str) -> dict[str, str]:
    """What Twilio sends on the call it placed to the operator's phone."""
    return {
        "AccountSid": "AC" + "1" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "in-progress",
        "Called": OPERATOR_PHONE,
        "Caller": line,
        "Direction": "outbound-api",
        "From": line,
        "To": OPERATOR_PHONE,
        **extra,
    }


def test_click_to_call_rings_the_operator_and_connects_the_citizen(
    form_post, client, operator, queue, records, fake_twilio, twilio: Simulator
):
    callback_id = queue(MOBILE, "person_no_answer", line=LINE_B)
    html = page(client, f"/callbacks/{callback_id}")
    assert 'name="phone"' in html  # no phone on the account yet: asked for one
    assert "Позвонить" in html

    reply = form_post(f"/callbacks/{callback_id}/call", {"phone": "8 912 000-00-09"})

    assert reply.status_code == 302
    (sent,) = calls_created(fake_twilio)
    assert sent["To"] == OPERATOR_PHONE
    assert sent["From"] == LINE_B  # the line the citizen called
    assert sent["Url"] == f"{BASE_URL}/twilio/callback/bridge?callback={callback_id}"
    assert sent["StatusCallback"] == f"{BASE_URL}/twilio/status"
    assert sent["StatusCallbackEvent"] == ["completed"]
    assert "Звоним на ваш телефон 8 (912) 000-00-09" in page(client, reply.location)
    with records() as session:
        assert find_user(session, "operator").phone == OPERATOR_PHONE  # kept for next time
        (call,) = [c for c in session.get(Callback, callback_id).calls if c.direction != "inbound"]
        assert (call.direction, call.line, call.caller) == ("outbound-api", LINE_B, MOBILE)
        sid = call.sid

    leg = twilio.incoming_call(
        from_=LINE_B,
        to=OPERATOR_PHONE,
        voice_path=f"/twilio/callback/bridge?callback={callback_id}",
        call_sid=sid,
        Direction="outbound-api",
    ).start()

    assert not leg.errors
    assert "Соединяю с гражданином." in leg.last_said
    assert leg.waiting_for == "dial"
    assert leg.waiting.caller_id == LINE_B
    assert [number.number for number in leg.waiting.numbers] == [MOBILE]
    assert f"callback={callback_id}" in leg.waiting.action
    assert "actor=staff:operator" in leg.waiting.action
    leg.dial(answer=True, talk_seconds=95)
    leg.finish()
    assert not leg.errors

    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.DONE
    (attempt,) = callback.attempts
    assert (attempt.result, attempt.actor, attempt.note) == (
        AttemptResult.REACHED,
        "staff:operator",
        "звонок из приложения",
    )
    call = records().scalar(sa.select(Call).where(Call.sid == sid))
    assert attempt.call_id == call.id
    assert call.callback_id == callback_id
    assert (call.direction, call.line, call.caller, call.status) == (
        "outbound-api",
        LINE_B,
        MOBILE,
        "completed",
    )
    assert records().scalar(sa.select(sa.func.count(Call.id)).where(Call.sid == sid)) == 1
    assert call.outcome is None  # the staff's own call is no abandoned citizen's call
    assert (
        records().scalar(  # nor does it open another callback
            sa.select(sa.func.count(Callback.id)).where(Callback.status == CallbackStatus.PENDING)
        )
        == 0
    )


def test_the_saved_phone_is_used_without_asking(
    client, form_post, operator, queue, records, fake_twilio
):
    set_phone(records, operator, OPERATOR_PHONE)
    callback_id = queue(MOBILE, "abandoned")
    html = page(client, f"/callbacks/{callback_id}")
    assert "8 (912) 000-00-09" in html

    form_post(f"/callbacks/{callback_id}/call", {})

    (sent,) = calls_created(fake_twilio)
    assert (sent["To"], sent["From"]) == (OPERATOR_PHONE, LINE)


def test_without_a_phone_the_operator_is_asked_for_one(
    form_post, client, operator, queue, records, fake_twilio
):
    callback_id = queue(MOBILE, "abandoned")

    reply = form_post(f"/callbacks/{callback_id}/call", {"phone": ""})

    assert "Укажите номер телефона" in page(client, reply.location)
    assert calls_created(fake_twilio) == []


def test_a_phone_that_is_not_one_is_refused(
    client, form_post, operator, queue, records, fake_twilio
):
    callback_id = queue(MOBILE, "abandoned")

    reply = form_post(f"/callbacks/{callback_id}/call", {"phone": "12"})

    assert reply.status_code == 400
    assert "Не похоже на номер телефона" in reply.get_data(as_text=True)
    assert calls_created(fake_twilio) == []
    assert find_user(records(), operator).phone is None


def test_a_callback_without_calls_is_called_from_the_first_line(
    form_post, client, operator, queue, records, fake_twilio
):
    callback_id = queue(MOBILE, "status_request", with_call=False)
    set_phone(records, operator, OPERATOR_PHONE)

    form_post(f"/callbacks/{callback_id}/call", {})

    (sent,) = calls_created(fake_twilio)
    assert sent["From"] == LINE


def test_a_twilio_failure_shows_an_error_and_changes_nothing(
    form_post, client, operator, queue, records, fake_twilio
):
    callback_id = queue(MOBILE, "abandoned")

    def refuse(method: str, url: str, data: dict) -> TwilioResponse:
        body = {"code": 21215, "message": "Geo permission not enabled", "status": 400}
        return TwilioResponse(400, json.dumps(body))

    fake_twilio.routes[("POST", "/Calls.json")] = refuse

    reply = form_post(f"/callbacks/{callback_id}/call", {"phone": "8 912 000-00-09"})

    assert reply.status_code == 302
    html = page(client, reply.location)
    assert "Не удалось позвонить через Twilio" in html
    assert "21215" in html
    callback = load(records, callback_id)
    assert callback.status is CallbackStatus.PENDING
    assert callback.attempts == []
    assert [c.direction for c in callback.calls] == ["inbound"]
    assert find_user(records(), operator).phone is None
    calls_audited = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "call"))
    assert calls_audited.all() == []


def test_a_second_click_while_the_first_call_rings_is_refused(
    form_post, client, operator, queue, records, fake_twilio, clock
):
    callback_id = queue(MOBILE, "abandoned")
    set_phone(records, operator, OPERATOR_PHONE)
    form_post(f"/callbacks/{callback_id}/call", {})

    reply = form_post(f"/callbacks/{callback_id}/call", {})

    assert "уже идёт" in page(client, reply.location)
    assert len(calls_created(fake_twilio)) == 1
    clock.advance(minutes=3)  # no status came back: it does not block for ever
    form_post(f"/callbacks/{callback_id}/call", {})
    assert len(calls_created(fake_twilio)) == 2


def test_a_closed_item_is_not_called(client, form_post, operator, queue, records, fake_twilio):
    callback_id = queue(MOBILE, "abandoned")
    set_phone(records, operator, OPERATOR_PHONE)
    form_post(f"/callbacks/{callback_id}/attempts", {"result": "reached"})

    reply = form_post(f"/callbacks/{callback_id}/call", {})

    assert "уже закрыт" in page(client, reply.location)
    assert calls_created(fake_twilio) == []


@pytest.mark.parametrize(
    ("dial_status", "result", "status"),
    [
        ("no-answer", AttemptResult.NO_ANSWER, CallbackStatus.PENDING),
        ("busy", AttemptResult.NO_ANSWER, CallbackStatus.PENDING),
        ("failed", AttemptResult.WRONG_NUMBER, CallbackStatus.GAVE_UP),
    ],
)
def test_the_dial_action_records_the_attempt(
    form_post, client, operator, queue, records, fake_twilio, webhook, dial_status, result, status
):
    callback_id = queue(MOBILE, "abandoned")
    set_phone(records, operator, OPERATOR_PHONE)
    fake_twilio.routes[("POST", "/Calls.json")] = lambda *_: TwilioResponse(
        201, json.dumps({"sid": sid, "status": "queued"})
    )
    sid = new_call_sid()
    form_post(f"/callbacks/{callback_id}/call", {})

    bridge = webhook(f"/twilio/callback/bridge?callback={callback_id}", outbound_leg(sid, LINE))
    assert bridge.status_code == 200
    action = bridge.get_data(as_text=True).split('action="')[1].split('"')[0]
    path = action.removeprefix(BASE_URL).replace("&amp;", "&")
    params = outbound_leg(sid, LINE, DialCallStatus=dial_status, DialCallSid=new_call_sid())
    reply = webhook(path, params)
    again = webhook(path, params)  # Twilio retries: one attempt all the same

    assert reply.status_code == again.status_code == 200
    assert "<Hangup" in reply.get_data(as_text=True)
    callback = load(records, callback_id)
    assert [a.result for a in callback.attempts] == [result]
    assert callback.status is status
    if status is CallbackStatus.PENDING:
        assert callback.due_at == local(3, 10)
        assert "Попытка записана" in reply.get_data(as_text=True)


def test_the_operator_hanging_up_first_records_nothing(client, operator, queue, records, webhook):
    callback_id = queue(MOBILE, "abandoned")
    sid = new_call_sid()
    webhook(f"/twilio/callback/bridge?callback={callback_id}", outbound_leg(sid, LINE))

    webhook(
        f"/twilio/callback/dialled?callback={callback_id}&actor=staff:operator",
        outbound_leg(sid, LINE, DialCallStatus="canceled"),
    )

    assert load(records, callback_id).attempts == []


def test_the_bridge_logs_the_call_when_it_comes_before_the_page_does(
    client, queue, records, webhook, sign_in
):
    """Twilio may request the bridge before the page has logged the call it placed."""
    login = sign_in(StaffRole.OPERATOR)
    set_phone(records, login, OPERATOR_PHONE)
    callback_id = queue(MOBILE, "abandoned", line=LINE_B)
    sid = new_call_sid()

    reply = webhook(f"/twilio/callback/bridge?callback={callback_id}", outbound_leg(sid, LINE_B))

    assert 'callerId="+73422368458"' in reply.get_data(as_text=True)
    assert "actor=staff:operator" in reply.get_data(as_text=True)
    with records() as session:
        service.log_outbound_call(
            session, sid, session.get(Callback, callback_id), LINE_B, OPEN_TIME, "staff:operator"
        )
        session.commit()
    call = records().scalar(sa.select(Call).where(Call.sid == sid))
    assert (call.direction, call.line, call.caller, call.callback_id) == (
        "outbound-api",
        LINE_B,
        MOBILE,
        callback_id,
    )


def test_the_bridge_of_a_closed_item_dials_nobody(
    client, form_post, operator, queue, records, webhook
):
    callback_id = queue(MOBILE, "abandoned")
    form_post(f"/callbacks/{callback_id}/attempts", {"result": "reached"})

    reply = webhook(
        f"/twilio/callback/bridge?callback={callback_id}", outbound_leg(new_call_sid(), LINE)
    )
    missing = webhook("/twilio/callback/bridge?callback=x", outbound_leg(new_call_sid(), LINE))

    assert "<Dial" not in reply.get_data(as_text=True)
    assert "уже закрыт" in reply.get_data(as_text=True)
    assert "<Dial" not in missing.get_data(as_text=True)
    assert "не найден" in missing.get_data(as_text=True)


def test_the_bridge_needs_a_twilio_signature(client, queue):
    callback_id = queue(MOBILE, "abandoned")

    reply = client.post(
        f"/twilio/callback/bridge?callback={callback_id}",
        base_url=BASE_URL,
        data=outbound_leg(new_call_sid(), LINE),
    )

    assert reply.status_code == 403


def test_click_to_call_goes_from_the_lines_configured_caller_id(config, request, fake_twilio):
    """Twilio refuses a ``From`` the account neither owns nor verified (error 21210)."""
    config["RECEPTION_LINES"] = (
        '[{"number": "+73422368229", "name": "приёмную", "caller_id": "+14155550100"}]'
    )
    request.getfixturevalue("operator")
    queue = request.getfixturevalue("queue")
    form_post = request.getfixturevalue("form_post")
    twilio = request.getfixturevalue("twilio")
    records = request.getfixturevalue("records")
    callback_id = queue(MOBILE, "abandoned")

    form_post(f"/callbacks/{callback_id}/call", {"phone": "8 912 000-00-09"})

    (sent,) = calls_created(fake_twilio)
    assert sent["From"] == "+14155550100"
    with records() as session:
        (call,) = [c for c in session.get(Callback, callback_id).calls if c.direction != "inbound"]
        assert call.line == LINE  # logged under the published line
        sid = call.sid
    leg = twilio.incoming_call(
        from_="+14155550100",
        to=OPERATOR_PHONE,
        voice_path=f"/twilio/callback/bridge?callback={callback_id}",
        call_sid=sid,
        Direction="outbound-api",
    ).start()
    assert leg.waiting.caller_id == "+14155550100"
