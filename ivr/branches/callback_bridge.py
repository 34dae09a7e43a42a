"""Calling a citizen back from the staff application (click-to-call, §6).

The operator presses «Позвонить» on a callback: Twilio first calls the operator's own
phone, with :func:`bridge` as that call's URL. When the operator answers, the bridge says
who is being connected and dials the citizen from the reception's line; the Dial action
(:func:`dialled`) records the attempt on the callback, linked to this call.

These TwiML documents are heard by the operator, not by the citizen: they are composed
here rather than taken from the citizens' prompt catalogue.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog.lines import Line, line_calling_from, line_for
from ivr.branch import Branch
from ivr.turn import Callback, Turn
from models import AttemptResult, CallbackStatus

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

branch = Branch("callback_bridge")


@branch.answer("/callback/bridge")
def bridge(turn: Turn) -> VoiceResponse:
    """The operator answered: connect them with the citizen, from the reception's line."""
    callback = _callback(turn)
    if callback is None:
        turn.log.event("callback_bridge", "not found")
        return _say_and_hang_up(turn, NOT_FOUND)
    line = _line(turn, callback)
    turn.callbacks.adopt(callback, line.number)
    if callback.status is not CallbackStatus.PENDING:
        turn.log.event("callback_bridge", callback.status.value)
        return _say_and_hang_up(turn, CLOSED)
    turn.log.event("callback_bridge", f"callback {callback.id}")
    values: dict[str, object] = {"callback": callback.id}
    actor = turn.callbacks.placed_by() or (
        turn.callbacks.operator_by_phone(turn.called) if turn.called else None
    )
    if actor:
        values["actor"] = actor
    response = VoiceResponse()
    turn.speaker.say_text(response, CONNECTING)
    dial = response.dial(
        caller_id=line.outbound_caller_id,
        action=turn.url(dialled, **values),
        method="POST",
        timeout=DIAL_TIMEOUT_S,
    )
    dial.number(callback.phone)
    return response


@branch.answer("/callback/dialled")
def dialled(turn: Turn) -> VoiceResponse:
    """The Dial action: record how the call to the citizen went, once per call."""
    status = turn.dial_status[:20]
    turn.log.event("dial_result", status)
    result = RESULTS.get(status)
    callback = _callback(turn, lock=True)
    if (
        callback is None
        or result is None
        or not turn.callbacks.record_attempt(callback, result, _actor_arg(turn), NOTE)
    ):
        return _say_and_hang_up(turn, NOT_RECORDED)
    return _say_and_hang_up(turn, SUMMARIES[callback.status])


def _callback(turn: Turn, *, lock: bool = False) -> Callback | None:
    raw = turn.text_arg("callback")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return turn.callbacks.find(int(raw), lock=lock)


def _line(turn: Turn, callback: Callback) -> Line:
    """The line the citizen sees calling: the one Twilio called the operator from."""
    lines = turn.office.lines
    for candidate in (turn.from_number, turn.line):
        line = line_calling_from(lines, candidate or "")
        if line is not None:
            return line
    number = turn.callbacks.line_of(callback)
    return line_for(lines, number) or Line(number, number)


def _actor_arg(turn: Turn) -> str | None:
    actor = "".join(ch for ch in turn.text_arg("actor", 400) if ch.isprintable()).strip()
    return actor[:ACTOR_MAX_LENGTH] or None


def _say_and_hang_up(turn: Turn, text: str) -> VoiceResponse:
    response = VoiceResponse()
    turn.speaker.say_text(response, f"{text} {GOODBYE}")
    response.hangup()
    return response
