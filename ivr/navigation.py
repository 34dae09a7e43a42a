"""Moving around the voice menu: back to the main menu, retries, giving up politely.

Every menu allows three tries in all (no input or a wrong key each use one); after the
third, a caller whose number is known is promised a callback and the call ends. No
menu ever loops forever.
"""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.http import Turn, public_url
from ivr.twiml import Prompt
from models import CallOutcome

MENU_TRIES = 3


def urls(endpoint: str, **values: object) -> dict[str, str]:
    """A Gather's action and its no-input fall-through, both on ``endpoint``."""
    return {
        "action": public_url(endpoint, **values),
        "no_input": public_url(endpoint, **values, timeout=1),
    }


def main_menu(turn: Turn, *before: Prompt, attempt: int = 1) -> VoiceResponse:
    """The main menu after ``before``; every submenu comes back here."""
    turn.event("menu", f"try {attempt}")
    return twiml.menu(turn.speaker, before=before, **urls("webhooks.menu", attempt=attempt))


def retry(
    turn: Turn, attempt: int, ask_again: Callable[[int, Prompt], VoiceResponse]
) -> VoiceResponse:
    """Silence or a wrong key on try ``attempt``: say so and ask again, or give up.

    ``ask_again(next_attempt, problem_prompt)`` builds the same question once more.
    """
    problem = "wrong_key" if turn.digits else "no_input"
    turn.event(problem, turn.digits)
    if attempt < MENU_TRIES:
        return ask_again(attempt + 1, problem)
    return give_up(turn, problem)


def give_up(turn: Turn, problem: Prompt) -> VoiceResponse:
    """End a call that got nowhere: a callback for a known number, then goodbye."""
    if turn.call.caller is None:
        return twiml.goodbye(turn.speaker, problem)
    turn.request_callback("no_choice")
    turn.outcome(CallOutcome.CALLBACK_REQUESTED)
    return twiml.goodbye(turn.speaker, problem, "callback_promise")
