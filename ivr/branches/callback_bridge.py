"""Calling a citizen back from the staff application (click-to-call, §6).

The operator presses «Позвонить» on a callback: Twilio first calls the operator's own
phone, with :func:`bridge` as that call's URL. When the operator answers, the bridge says
who is being connected and dials the citizen from the reception's line, with Twilio's
answering machine detection on the citizen's leg. The Dial action (:func:`dialled`) and
the detection callback (:func:`answered`) together decide the attempt on the callback,
linked to this call (§12): a person who talked 20 s or more is ``reached``, a machine or
a fax a ``voicemail``.

These TwiML documents are heard by the operator, not by the citizen: they are composed
here rather than taken from the citizens' prompt catalogue.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from calllog.lines import Line, line_calling_from, line_for
from ivr.branch import Branch
from ivr.turn import Callback, Leg, Turn
from models import AttemptResult, CallbackStatus

DIAL_TIMEOUT_S = 30
NOTE = "звонок из приложения"
# DialCallStatus of an unanswered citizen leg -> the attempt it makes; ``canceled`` (the
# operator hung up first) makes none. An answered one (``completed``) is decided by §12.
RESULTS = {
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
VOICEMAIL = "Ответил автоответчик. Попытка записана, звонок перенесён на следующий рабочий день."
NOT_RECORDED = "Звонок завершён."
AWAITING_DETECTION = (
    "Звонок завершён. Кто ответил, станет известно через несколько секунд: итог будет "
    "на странице обратного звонка."
)
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
    dial.number(
        callback.phone,
        machine_detection="Enable",
        amd_status_callback=turn.url(answered, call=turn.call_sid, **values),
        amd_status_callback_method="POST",
    )
    return response


@branch.answer("/callback/dialled")
def dialled(turn: Turn) -> VoiceResponse:
    """The Dial action: record how the call to the citizen went, once per call."""
    status = turn.dial_status[:20]
    turn.log.event("dial_result", status)
    callback = _callback(turn, lock=True)
    if callback is None:
        return _say_and_hang_up(turn, NOT_RECORDED)
    if status == "completed":
        result = turn.callbacks.citizen_talked(callback, turn.dial_seconds, _actor_arg(turn), NOTE)
        if result is None:
            closed = callback.status is not CallbackStatus.PENDING
            return _say_and_hang_up(turn, NOT_RECORDED if closed else AWAITING_DETECTION)
        return _say_and_hang_up(turn, _summary(callback, result))
    result = RESULTS.get(status)
    if result is None or not turn.callbacks.record_attempt(
        callback, result, _actor_arg(turn), NOTE
    ):
        return _say_and_hang_up(turn, NOT_RECORDED)
    return _say_and_hang_up(turn, _summary(callback, result))


@branch.leg("/callback/answered")
def answered(leg: Leg) -> VoiceResponse:
    """Twilio's answering machine detection callback for the citizen's leg."""
    leg.citizen_answered(NOTE)
    return VoiceResponse()


def _summary(callback: Callback, result: AttemptResult) -> str:
    if result is AttemptResult.VOICEMAIL and callback.status is CallbackStatus.PENDING:
        return VOICEMAIL
    return SUMMARIES[callback.status]


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
