"""A contact number typed on the keypad (§3.1 step 5): two tries, ended by ``#``.

While a number is being typed, ``*`` and ``0`` are digits of nothing: they simply do not
make a valid number. A valid number is kept at once (nothing is lost if the caller hangs
up) and read back in groups: ``1`` (or silence) goes on, ``2`` types it again (§12).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from calllog.phones import national_digits, parse_keypad
from ivr import twiml
from ivr.menu import attempt_of, gather_urls
from ivr.speech import phone_words
from ivr.turn import Turn
from ivr.twiml import Prompt

CONTACT_TRIES = 2
RETYPE_KEY = "2"
#: How many numbers a caller may type for one question, retyping after a read-back.
ROUNDS = 3


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
    if "round" in values and values["round"] == 1:
        del values["round"]
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
    keep: Callable[[str], None],
    check_view: Callable[..., Any],
    give_up: Callable[[], VoiceResponse],
    prompt: str = "contact_ask",
    **values: object,
) -> VoiceResponse:
    """What follows a typed number: ``keep`` it and read it back (the answer goes to
    ``check_view``), ask once more, or ``give_up``.

    ``view`` and ``values`` are where the second try is posted, as for :func:`ask_number`.
    """
    values["round"] = turn.arg("round", 1, ROUNDS)
    number = typed_number(turn)
    if number is not None:
        keep(number)
        if values["round"] == 1:
            del values["round"]
        return twiml.ask(
            turn.speaker,
            "contact_readback_keys",
            before=(("contact_readback", {"phone": phone_words(national_digits(number))}),),
            **gather_urls(turn, check_view, **values),
        )
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


def wants_to_retype(turn: Turn) -> bool:
    """Whether the caller pressed ``2`` after the read-back, with a number left to type."""
    retype = turn.digits == RETYPE_KEY and turn.arg("round", 1, ROUNDS) < ROUNDS
    turn.log.event("contact_retype" if retype else "contact_confirmed")
    return retype


def retype(
    turn: Turn, view: Callable[..., Any], *, prompt: str = "contact_ask", **values: object
) -> VoiceResponse:
    """Ask for the number once more, as the next round."""
    return ask_number(turn, view, prompt=prompt, round=turn.arg("round", 1, ROUNDS) + 1, **values)
