"""Calling a citizen back from the staff application (click-to-call, §6).

The operator presses «Позвонить» on a callback: Twilio first calls the operator's own
phone, with :func:`bridge` as that call's URL. When the operator answers, the bridge says
who is being connected and dials the citizen from the reception's line; the Dial action
(:func:`dialled`) records the attempt on the callback, linked to this call.

These TwiML documents are heard by the operator, not by the citizen: they are composed
here rather than taken from the citizens' prompt catalogue.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from twilio.twiml.voice_response import VoiceResponse

from calllog import callbacks
from calllog.phones import to_e164
from ivr.http import Turn, call_view, public_url
from models import AttemptResult, Callback, CallbackStatus, StaffUser

DIAL_TIMEOUT_S = 30
NOTE = "звонок из приложения"
# DialCallStatus -> the attempt it makes; ``canceled`` (the operator hung up first) makes none.
RESULTS = {
    "completed": AttemptResult.REACHED,
    "no-answer": AttemptResult.NO_ANSWER,
    "busy": AttemptResult.NO_ANSWER,
    "failed": AttemptResult.WRONG_NUMBER,
}
CONNECTING = "Соединяю с гражданином."
NOT_FOUND = "Обратный звонок не найден."
CLOSED = "Этот обратный звонок уже закрыт."
GOODBYE = "До свидания."
SUMMARIES = {
    CallbackStatus.DONE: "Разговор завершён, обратный звонок выполнен.",
    CallbackStatus.PENDING: "Гражданин не ответил. Попытка записана, звонок перенесён "
    "на следующий рабочий день.",
    CallbackStatus.GAVE_UP: "Дозвониться не удалось. Обратный звонок закрыт.",
}
NOT_RECORDED = "Звонок завершён."
ACTOR_MAX_LENGTH = 100


@call_view
def bridge(turn: Turn) -> VoiceResponse:
    """The operator answered: connect them with the citizen, from the reception's line."""
    callback = _callback(turn)
    if callback is None:
        turn.event("callback_bridge", "not found")
        return _say_and_hang_up(turn, NOT_FOUND)
    line = _line(turn, callback)
    callbacks.adopt_outbound(turn.call, callback, line)
    if callback.status is not CallbackStatus.PENDING:
        turn.event("callback_bridge", callback.status.value)
        return _say_and_hang_up(turn, CLOSED)
    turn.event("callback_bridge", f"callback {callback.id}")
    values: dict[str, object] = {"callback": callback.id}
    actor = callbacks.dialled_by(turn.call) or _operator_by_phone(turn)
    if actor:
        values["actor"] = actor
    response = VoiceResponse()
    turn.speaker.say_text(response, CONNECTING)
    dial = response.dial(
        caller_id=line,
        action=public_url("webhooks.callback_dialled", **values),
        method="POST",
        timeout=DIAL_TIMEOUT_S,
    )
    dial.number(callback.phone)
    return response


@call_view
def dialled(turn: Turn) -> VoiceResponse:
    """The Dial action: record how the call to the citizen went, once per call."""
    status = turn.params.get("DialCallStatus", "")[:20]
    turn.event("dial_result", status)
    result = RESULTS.get(status)
    callback = _callback(turn, lock=True)
    if callback is None or result is None or not _record(turn, callback, result):
        return _say_and_hang_up(turn, NOT_RECORDED)
    return _say_and_hang_up(turn, SUMMARIES[callback.status])


def _record(turn: Turn, callback: Callback, result: AttemptResult) -> bool:
    """Record the attempt unless the item was closed meanwhile or Twilio retried."""
    if callback.status is not CallbackStatus.PENDING:
        return False
    if any(attempt.call_id == turn.call.id for attempt in callback.attempts):
        return False
    callbacks.record_attempt(
        turn.session,
        callback,
        result,
        turn.now,
        turn.office.hours.next_working_day_start(turn.now),
        note=NOTE,
        actor=_actor_arg(),
        call=turn.call,
    )
    return True


def _callback(turn: Turn, *, lock: bool = False) -> Callback | None:
    raw = request.args.get("callback", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    query = sa.select(Callback).where(Callback.id == int(raw))
    if lock:
        query = query.with_for_update(of=Callback)
    return turn.session.scalar(query)


def _line(turn: Turn, callback: Callback) -> str:
    """The line the citizen sees calling: the one Twilio called the operator from."""
    office = turn.office
    for candidate in (turn.params.get("From"), turn.call.line):
        line = office.line(candidate or "")
        if line is not None:
            return line.number
    return callbacks.callback_line(callback, office.lines)


def _operator_by_phone(turn: Turn) -> str | None:
    """Who placed the call when the page has not logged it yet: the staff member called."""
    phone = to_e164(turn.params.get("To"))
    if phone is None:
        return None
    logins = turn.session.scalars(
        sa.select(StaffUser.login).where(StaffUser.phone == phone, StaffUser.active).limit(2)
    ).all()
    return f"staff:{logins[0]}" if len(logins) == 1 else None


def _actor_arg() -> str | None:
    actor = "".join(ch for ch in request.args.get("actor", "") if ch.isprintable()).strip()
    return actor[:ACTOR_MAX_LENGTH] or None


def _say_and_hang_up(turn: Turn, text: str) -> VoiceResponse:
    response = VoiceResponse()
    turn.speaker.say_text(response, f"{text} {GOODBYE}")
    response.hangup()
    return response
