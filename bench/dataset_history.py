"""What happened after a call: an appeal's status history and a callback's attempts.

Both depend on how long ago the call was: an appeal from last week is still being
reviewed, one from last year was answered and closed; a callback asked for today still
waits, an older one was reached or given up on.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from models import AppealStatus, AttemptResult, CallbackStatus

OPERATORS = tuple(f"staff:operator{n}" for n in range(1, 9))
ANSWERS = (AppealStatus.FORWARDED, AppealStatus.PRACTICAL_HELP, AppealStatus.EXPLAINED)
ANSWER_WEIGHTS = (0.25, 0.4, 0.35)
NOTES = {
    AppealStatus.IN_REVIEW: "передано специалисту",
    AppealStatus.FORWARDED: "направлено в администрацию города",
    AppealStatus.PRACTICAL_HELP: "оказана практическая помощь",
    AppealStatus.EXPLAINED: "даны разъяснения",
    AppealStatus.CLOSED: "ответ направлен заявителю",
}
History = list[tuple[datetime, str, str, str | None]]


def appeal_history(rng: random.Random, created: datetime, now: datetime) -> History:
    """(at, status, note, actor) from registration on, as far as the appeal's age allows."""
    history: History = [(created, AppealStatus.REGISTERED.value, "", None)]
    age = now - created
    steps: list[tuple[timedelta, AppealStatus]] = []
    if age > timedelta(days=2):
        steps.append((timedelta(hours=rng.randint(4, 48)), AppealStatus.IN_REVIEW))
    if age > timedelta(days=20):
        answer = rng.choices(ANSWERS, ANSWER_WEIGHTS)[0]
        steps.append((timedelta(days=rng.randint(8, 27)), answer))
        if answer is not AppealStatus.FORWARDED and age > timedelta(days=40):
            steps.append((timedelta(days=rng.randint(28, 35)), AppealStatus.CLOSED))
    for after, status in steps:
        note = NOTES[status]
        history.append((created + after, status.value, note, rng.choice(OPERATORS)))
    return history


def callback_attempts(
    rng: random.Random, due: datetime, now: datetime, *, pending: bool
) -> tuple[str, list[tuple[datetime, str]]]:
    """The callback's status and its attempts (at, result), the last one closing it."""
    if pending:
        tried = due < now and rng.random() < 0.3
        return CallbackStatus.PENDING.value, [(due, AttemptResult.NO_ANSWER.value)] if tried else []
    first = due + timedelta(minutes=rng.randint(5, 240))
    draw = rng.random()
    if draw < 0.7:
        return CallbackStatus.DONE.value, [(first, AttemptResult.REACHED.value)]
    if draw < 0.8:
        second = first + timedelta(days=1)
        attempts = [(first, AttemptResult.NO_ANSWER.value), (second, AttemptResult.REACHED.value)]
        return CallbackStatus.DONE.value, attempts
    if draw < 0.9:
        return CallbackStatus.GAVE_UP.value, [(first, AttemptResult.WRONG_NUMBER.value)]
    days = [first + timedelta(days=n) for n in range(3)]
    return CallbackStatus.GAVE_UP.value, [(at, AttemptResult.NO_ANSWER.value) for at in days]
