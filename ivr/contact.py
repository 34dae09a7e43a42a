"""A contact number typed on the keypad (§3.1 step 5): two tries, ended by ``#``.

While a number is being typed, ``*`` and ``0`` are digits of nothing: they simply do not
make a valid number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from calllog.phones import parse_keypad
from ivr import twiml
from ivr.menu import attempt_of, gather_urls
from ivr.turn import Turn
from ivr.twiml import Prompt

CONTACT_TRIES = 2


def ask_number(
    turn: Turn,
    view: Callable[..., Any],
    *,
    prompt: str = "contact_ask",
    before: tuple[Prompt, ...] = (),
    attempt: int = 1,
    **values: object,
) -> VoiceResponse:
    """Ask for a number on the keypad; ``view`` gets it with ``attempt`` and ``values``."""
    return twiml.ask(
        turn.speaker,
        prompt,
        before=before,
        num_digits=None,
        **gather_urls(turn, view, attempt=attempt, **values),
    )


def typed_number(turn: Turn) -> str | None:
    """The E.164 number typed, or None when it is not a valid Russian number."""
    digits = turn.digits
    number = parse_keypad(digits) if digits.isdigit() else None
    turn.log.event("contact_typed" if number else "contact_invalid")
    return number


def number_step(
    turn: Turn,
    view: Callable[..., Any],
    *,
    accept: Callable[[str], VoiceResponse],
    give_up: Callable[[], VoiceResponse],
    prompt: str = "contact_ask",
    **values: object,
) -> VoiceResponse:
    """What follows a typed number: ``accept`` it, ask once more, or ``give_up``.

    ``view`` and ``values`` are where the second try is posted, as for :func:`ask_number`.
    """
    number = typed_number(turn)
    if number is not None:
        return accept(number)
    attempt = attempt_of(turn, CONTACT_TRIES)
    if attempt < CONTACT_TRIES:
        return ask_number(
            turn,
            view,
            prompt=prompt,
            before=("contact_retry", "try_again"),
            attempt=attempt + 1,
            **values,
        )
    return give_up()
