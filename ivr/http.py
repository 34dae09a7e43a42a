"""What every Twilio view shares: reading a webhook, one commit, answering TwiML.

A view decorated with :func:`call_view` receives a :class:`Turn`, the call's state for
this one request, returns a ``VoiceResponse``, and is committed once before answering.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, request, url_for
from sqlalchemy import orm
from twilio.twiml.voice_response import VoiceResponse

from calllog import callbacks, calls, sms
from calllog.events import add_event
from calllog.lines import match_line
from db import get_session, take_write_lock
from ivr.speech_input import keys_from_speech
from ivr.twiml import Speaker
from models import Call, Callback, CallOutcome, Consent
from office import Office, get_office

CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MAX_FIELD_LENGTH = 2000


def twiml_response(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def no_content() -> Response:
    return Response(status=204)


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL Twilio must request: on ``PUBLIC_BASE_URL`` when it is set."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        # PUBLIC_BASE_URL is the app's public root, wherever the app is mounted.
        path = url_for(endpoint, **values).removeprefix(request.script_root)
        return base.rstrip("/") + path
    return url_for(endpoint, _external=True, **values)


# Control characters (NUL above all, which PostgreSQL refuses in text) carry nothing a
# caller said; they are dropped from webhook fields once the signature has been checked.
CONTROL_CHARACTERS = dict.fromkeys([*range(32), 127])


def call_params() -> dict[str, str]:
    """The form of a call webhook, refused with 400 when it is not one."""
    params = {key: value.translate(CONTROL_CHARACTERS) for key, value in request.form.items()}
    if not CALL_SID.fullmatch(params.get("CallSid", "")):
        abort(400, "CallSid missing or malformed")
    if any(len(value) > MAX_FIELD_LENGTH for value in params.values()):
        abort(400, "field too long")
    return params


def bounded_int(value: str | None, low: int, high: int) -> int:
    """A small whole number from a query string, clamped; anything else reads as ``low``."""
    try:
        number = int(value or low)
    except ValueError:
        return low
    return max(low, min(number, high))


@dataclass
class Turn:
    """One webhook request of a call: who, when, and what the caller just did."""

    params: dict[str, str]
    office: Office
    session: orm.Session
    now: datetime
    call: Call
    created: bool

    @classmethod
    def begin(cls) -> Turn:
        params = call_params()
        office = get_office()
        session = get_session()
        take_write_lock(session, Call.__table__)
        now = office.now()
        line = match_line(office.lines, params)
        call, created = calls.start_call(session, params, line, now)
        return cls(params, office, session, now, call, created)

    @property
    def speaker(self) -> Speaker:
        return self.office.speaker

    after_commit: list[Callable[[], object]] = field(default_factory=list)

    @property
    def digits(self) -> str:
        """The keys pressed (or said); empty on a Gather's no-input fall-through."""
        if request.args.get("timeout"):
            return ""
        digits = self.params.get("Digits", "")[:40]
        if not digits and self.params.get("SpeechResult"):
            digits = keys_from_speech(self.params["SpeechResult"])
        return digits

    def arg(self, name: str, low: int = 0, high: int = 2**31 - 1) -> int:
        return bounded_int(request.args.get(name), low, high)

    def event(self, kind: str, detail: str = "") -> None:
        add_event(self.call, kind, detail, self.now)

    def outcome(self, outcome: CallOutcome) -> None:
        calls.record_outcome(self.session, self.call, outcome, self.now)

    def consent(self, purpose: str, prompt: str) -> None:
        """Keep the caller's consent, with the exact wording they agreed to (152-FZ).

        Twilio may deliver the key press twice: the same consent is kept once.
        """
        version = self.speaker.catalogue.prompt_version(prompt)
        given = sa.select(Consent.id).where(
            Consent.call_id == self.call.id,
            Consent.purpose == purpose,
            Consent.prompt_version == version,
        )
        if self.session.scalar(given.limit(1)) is not None:
            return
        self.session.add(
            Consent(call_id=self.call.id, purpose=purpose, prompt_version=version, at=self.now)
        )
        self.event("consent", purpose)

    def sms_after_commit(self, phone: str | None, text: str) -> None:
        """Send ``text`` once the request's work is committed (only to a mobile; an SMS
        failure is logged by ``sms.send_sms`` and never breaks the call)."""
        if phone:
            self.after_commit.append(lambda: sms.send_sms(phone, text))

    def callback_due(self) -> datetime:
        return self.office.hours.next_working_time(self.now)

    def request_callback(self, reason: str, phone: str | None = None) -> Callback:
        """Queue a callback to ``phone`` (the caller's number by default) for ``reason``."""
        number = phone or self.call.caller
        if number is None:
            raise ValueError("no number to call back")
        due = self.callback_due()
        return callbacks.request(self.session, number, reason, self.call, self.now, due)


def call_view(view: Callable[[Turn], VoiceResponse]) -> Callable[[], Response]:
    """Run ``view`` on this request's :class:`Turn`, commit once, answer its TwiML."""

    @functools.wraps(view)
    def wrapped() -> Response:
        turn = Turn.begin()
        response = view(turn)
        _commit(turn)
        return twiml_response(response)

    return wrapped


def callback_view(view: Callable[[Turn], None]) -> Callable[[], Response]:
    """Like :func:`call_view`, for Twilio's asynchronous callbacks: answers 204."""

    @functools.wraps(view)
    def wrapped() -> Response:
        turn = Turn.begin()
        view(turn)
        _commit(turn)
        return no_content()

    return wrapped


def _commit(turn: Turn) -> None:
    """Commit the request's work, then run what must wait for it (Twilio REST calls)."""
    turn.session.commit()
    for action in turn.after_commit:
        action()
