"""The greeting, the main menu, and moving around it (§3 of the product specification).

| key | leads to |
|-----|----------|
| 1 | book a personal visit (``ivr.branches.booking``) |
| 2 | leave a request (``ivr.branches.appeal``) |
| 3 | check the status of a request (``ivr.branches.status``) |
| 4 | address, hours, outreach receptions (``ivr.branches.info``) |
| 0 | a person (``ivr.branches.person``) |
| * | the menu again, without using a try |

Each branch declares its own key (:class:`ivr.branch.Branch`). Every menu allows three
tries in all (no input or a wrong key each use one); after the third, a caller whose
number is known is promised a callback and the call ends. No menu ever loops forever.
"""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from ivr import branches, twiml
from ivr.branch import Branch
from ivr.speech import when_words
from ivr.turn import Turn
from ivr.twiml import Prompt
from models import CallOutcome

MENU_TRIES = 3
DEFAULT_LINE_NAME = "общественную приёмную"

branch = Branch(
    "menu",
    prompts={
        "greeting": {"line"},
        "closed": {"when"},
        "lunch_break": {"when"},
        "main_menu": (),
        "no_input": (),
        "wrong_key": (),
        "callback_promise": (),
        "goodbye": (),
        "try_again": (),
        "to_main_menu": (),
        "readback_repeat": (),
        "consent_version": (),
    },
)


@branch.answer("/voice")
def incoming_call(turn: Turn) -> VoiceResponse:
    """A call comes in: the greeting, the closed notice out of hours, the main menu."""
    line = turn.office.line(turn.line)
    before: list[Prompt] = [("greeting", {"line": line.name if line else DEFAULT_LINE_NAME})]
    hours = turn.office.hours
    if not hours.is_open(turn.now):
        when = when_words(hours.next_opening(turn.now), turn.now)
        notice = "lunch_break" if hours.on_break(turn.now) else "closed"
        before.append((notice, {"when": when}))
    if not turn.first_request:  # Twilio retried the first request: answer the same, log nothing
        return twiml.menu(
            turn.speaker, before=tuple(before), **gather_urls(turn, menu_choice, attempt=1)
        )
    return main_menu(turn, *before)


@branch.answer("/menu")
def menu_choice(turn: Turn) -> VoiceResponse:
    """A key pressed in the main menu, or silence, on try ``?attempt=N``."""
    attempt = attempt_of(turn)
    key = turn.digits
    if key == "*":
        turn.log.event("key", "*")
        return twiml.menu(turn.speaker, **gather_urls(turn, menu_choice, attempt=attempt))
    start = branches.by_key().get(key)
    if start is not None:
        turn.log.event("key", key)
        return start(turn)
    return retry(turn, attempt, lambda again, problem: main_menu(turn, problem, attempt=again))


def gather_urls(turn: Turn, view: Callable[..., object], **values: object) -> dict[str, str]:
    """A Gather's action and its no-input fall-through, both on ``view``."""
    return {
        "action": turn.url(view, **values),
        "no_input": turn.url(view, **values, timeout=1),
    }


def attempt_of(turn: Turn, tries: int = MENU_TRIES) -> int:
    """Which try of a question this request answers (``?attempt=N``)."""
    return turn.arg("attempt", 1, tries)


def main_menu(turn: Turn, *before: Prompt, attempt: int = 1) -> VoiceResponse:
    """The main menu after ``before``; every submenu comes back here."""
    turn.log.event("menu", f"try {attempt}")
    return twiml.menu(
        turn.speaker, before=before, **gather_urls(turn, menu_choice, attempt=attempt)
    )


def retry(
    turn: Turn, attempt: int, ask_again: Callable[[int, Prompt], VoiceResponse]
) -> VoiceResponse:
    """Silence or a wrong key on try ``attempt``: say so and ask again, or give up.

    ``ask_again(next_attempt, problem_prompt)`` builds the same question once more.
    """
    problem = "wrong_key" if turn.digits else "no_input"
    turn.log.event(problem, turn.digits)
    if attempt < MENU_TRIES:
        return ask_again(attempt + 1, problem)
    return give_up(turn, problem)


def give_up(turn: Turn, problem: Prompt) -> VoiceResponse:
    """End a call that got nowhere: a callback for a known number, then goodbye."""
    if turn.caller is None:
        return twiml.goodbye(turn.speaker, problem)
    turn.log.request_callback("no_choice")
    turn.log.outcome(CallOutcome.CALLBACK_REQUESTED)
    return twiml.goodbye(turn.speaker, problem, "callback_promise")


def leave(turn: Turn) -> VoiceResponse | None:
    """``*`` (the main menu) and ``0`` (a person), which every submenu understands; None
    for any other key."""
    if turn.digits == "*":
        turn.log.event("key", "*")
        return main_menu(turn)
    if turn.digits == "0":
        turn.log.event("key", "0")
        return leave_to_person(turn)
    return None


def leave_to_person(turn: Turn) -> VoiceResponse:
    """``0``: a person (``ivr.branches.person``)."""
    return branches.by_key()["0"](turn)
