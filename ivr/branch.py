"""How a branch of the voice menu declares itself: its routes, its prompts, its menu key.

Each branch module holds one :class:`Branch` and decorates its views with it::

    branch = Branch("status", key="3", prompts={"status_ask": set()})

    @branch.answer("/status/number")
    def number_typed(turn: Turn) -> VoiceResponse: ...

The adapter (``webhooks``) serves every declared route under ``/twilio``; URLs are built
from the view functions (``turn.url(number_typed, attempt=2)``), never from strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from ivr.turn import Leg, Turn


class Kind(Enum):
    ANSWER = "answer"  # answers TwiML for the call: a Gather or Record action, a Dial action
    CALLBACK = "callback"  # Twilio's asynchronous callback: answered 204, nothing to say
    LEG = "leg"  # a leg on which nothing is logged (staff screening): answers TwiML


@dataclass(frozen=True)
class Spool:
    """A route that carries a caller's recording, kept in the spool when the database is down.

    ``kind`` names what the replay makes of it (``appeal``, ``name``), ``arg`` the query value
    the replay needs (the topic, the appointment).
    """

    kind: str
    arg: str


@dataclass(frozen=True)
class Route:
    path: str
    view: Callable[..., Any]
    kind: Kind
    spool: Spool | None = None


@dataclass
class Branch:
    """One branch of the voice menu: ``key`` in the main menu leads to ``start``."""

    name: str
    key: str | None = None
    prompts: Mapping[str, Iterable[str]] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    start: Callable[[Turn], VoiceResponse] | None = None

    def entry(self, view: Callable[[Turn], VoiceResponse]) -> Callable[[Turn], VoiceResponse]:
        """Decorate the function the main menu calls when the caller presses ``key``."""
        self.start = view
        return view

    def answer(
        self, path: str, *, spool: Spool | None = None
    ) -> Callable[[Callable[[Turn], VoiceResponse]], Callable[[Turn], VoiceResponse]]:
        """A route answered with TwiML for the call, committed once."""
        return self._route(path, Kind.ANSWER, spool)

    def callback(
        self, path: str, *, spool: Spool | None = None
    ) -> Callable[[Callable[[Turn], None]], Callable[[Turn], None]]:
        """A status callback: its work is committed, Twilio gets 204."""
        return self._route(path, Kind.CALLBACK, spool)

    def leg(
        self, path: str
    ) -> Callable[[Callable[[Leg], VoiceResponse]], Callable[[Leg], VoiceResponse]]:
        """A route that logs nothing and needs no database."""
        return self._route(path, Kind.LEG, None)

    def _route(self, path: str, kind: Kind, spool: Spool | None) -> Callable[[Any], Any]:
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(Route(path, view, kind, spool))
            return view

        return register

    def required_prompts(self) -> dict[str, frozenset[str]]:
        return {key: frozenset(names) for key, names in self.prompts.items()}
