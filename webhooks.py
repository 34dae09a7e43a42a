"""The Twilio blueprint: every URL Twilio requests, all under ``/twilio/``.

Each view checks the request, calls the call-log services, commits once and answers
TwiML. A request without a valid signature gets 403 before anything is read or written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request, url_for
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from calllog import callbacks, calls, spool
from calllog.events import add_event
from calllog.lines import match_line
from calllog.messages import save_message
from db import get_session
from ivr import twiml
from ivr.speech import when_words
from models import Call, CallOutcome
from office import get_office

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")

CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MAX_FIELD_LENGTH = 2000
MENU_TRIES = 3
MENU_KEYS = frozenset("12340")
DEFAULT_LINE_NAME = "общественную приёмную"


def twiml_response(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def no_content() -> Response:
    return Response(status=204)


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL Twilio must request: on ``PUBLIC_BASE_URL`` when it is set."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def signed_url() -> str:
    """The URL Twilio called and signed, as far as this service can know it."""
    query = request.query_string.decode("latin-1")
    path = request.script_root + request.path + (f"?{query}" if query else "")
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/") + path
    # Behind a trusted proxy, ProxyFix has already put its scheme and host here.
    return request.host_url.rstrip("/") + path


@bp.before_request
def check_signature() -> Response | None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token and current_app.config["DEVELOPMENT"]:
        return None
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        log.warning("rejected a %s request with a missing or wrong signature", request.path)
        abort(403)
    return None


def call_params() -> dict[str, str]:
    """The form of a call webhook, refused with 400 when it is not one."""
    params = dict(request.form.items())
    if not CALL_SID.fullmatch(params.get("CallSid", "")):
        abort(400, "CallSid missing or malformed")
    if any(len(value) > MAX_FIELD_LENGTH for value in params.values()):
        abort(400, "field too long")
    return params


@bp.errorhandler(400)
def bad_request(error: Exception) -> tuple[str, int, dict[str, str]]:
    return "Bad request", 400, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/voice")
def incoming_call() -> Response:
    """A call comes in: log it and answer with the greeting and the main menu."""
    params = call_params()
    office = get_office()
    session = get_session()
    now = office.now()
    call, created = calls.start_call(session, params, match_line(office.lines, params), now)
    if created:
        add_event(call, "menu", "try 1", now)
    line = office.line(call.line)
    opening = None if office.hours.is_open(now) else office.hours.next_opening(now)
    response = twiml.menu(
        office.speaker,
        intro=("greeting",),
        values={"line": line.name if line else DEFAULT_LINE_NAME},
        closed_when=when_words(opening, now) if opening else None,
        **_menu_urls(1),
    )
    session.commit()
    return twiml_response(response)


def _menu_urls(attempt: int) -> dict[str, str]:
    return {
        "action": public_url(".menu_choice", attempt=attempt),
        "no_input": public_url(".menu_choice", attempt=attempt, timeout=1),
    }


@bp.post("/menu")
def menu_choice() -> Response:
    """A key pressed in the main menu, or silence (``?timeout=1``), on try ``?attempt=N``.

    Each try is one request; after the third, the caller is promised a callback (when
    the number is known) and the call ends: no menu loops forever.
    """
    params = call_params()
    office = get_office()
    session = get_session()
    now = office.now()
    call, _ = calls.start_call(session, params, match_line(office.lines, params), now)
    attempt = _bounded_int(request.args.get("attempt"), 1, MENU_TRIES)
    digits = "" if request.args.get("timeout") else params.get("Digits", "")[:20]
    response = _choose(call, digits, attempt)
    session.commit()
    return twiml_response(response)


def _choose(call: Call, digits: str, attempt: int) -> VoiceResponse:
    office = get_office()
    now = office.now()
    if digits == "*":
        add_event(call, "key", "*", now)
        return twiml.menu(office.speaker, **_menu_urls(attempt))
    if digits in MENU_KEYS:
        add_event(call, "key", digits, now)
        add_event(call, "menu", "try 1", now)
        return twiml.menu(office.speaker, intro=("not_ready",), **_menu_urls(1))
    problem = "wrong_key" if digits else "no_input"
    add_event(call, problem, digits, now)
    if attempt < MENU_TRIES:
        add_event(call, "menu", f"try {attempt + 1}", now)
        return twiml.menu(office.speaker, retry_prompt=problem, **_menu_urls(attempt + 1))
    if call.caller is None:
        return twiml.goodbye(office.speaker, problem)
    callbacks.request(
        get_session(), call.caller, "no_choice", call, now, office.hours.next_working_time(now)
    )
    calls.record_outcome(get_session(), call, CallOutcome.CALLBACK_REQUESTED, now)
    return twiml.goodbye(office.speaker, problem, "callback_promise")


@bp.post("/status")
def call_status() -> Response:
    """Twilio's call status callback: final status, duration, and the outcome at the end."""
    params = call_params()
    office = get_office()
    session = get_session()
    now = office.now()
    call, _ = calls.start_call(session, params, match_line(office.lines, params), now)
    calls.apply_status(session, call, params, now, office.hours.next_working_time(now))
    session.commit()
    return no_content()


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: our primary answer failed. Apologise and take a message.

    This view never touches the database, so it works when the database does not.
    """
    log.error(
        "Twilio used the fallback URL: error %s at %s",
        request.form.get("ErrorCode", "?")[:10],
        request.form.get("ErrorUrl", "?")[:200].split("?")[0],
    )
    return twiml_response(_apology())


def _apology() -> VoiceResponse:
    return twiml.apology_with_record(
        get_office().speaker,
        action=public_url("webhooks.message_recorded"),
        recording_callback=public_url("webhooks.message_ready"),
    )


@bp.post("/message")
def message_recorded() -> Response:
    """The Record action of the apology: keep the message, in the database or the spool."""
    params = call_params()
    office = get_office()
    _save_or_spool("message", params)
    if params.get("Digits") == "hangup":
        return twiml_response(twiml.empty())
    if not params.get("RecordingSid"):
        return twiml_response(twiml.goodbye(office.speaker, "fallback_nothing"))
    response = VoiceResponse()
    office.speaker.speak(response, "fallback_saved")
    response.hangup()
    return twiml_response(response)


@bp.post("/message/ready")
def message_ready() -> Response:
    """The recording status callback of the apology's Record."""
    _save_or_spool("message", call_params())
    return no_content()


def _save_or_spool(kind: str, params: dict[str, str]) -> None:
    office = get_office()
    now = office.now()
    try:
        session = get_session()
        save_message(session, office, params, now)
        session.commit()
    except sa.exc.SQLAlchemyError as error:
        get_session().rollback()
        log.error("database unavailable (%s): spooling the message", type(error).__name__)
        spool.write(current_app.config["SPOOL_DIR"], kind, params, now)


@bp.errorhandler(sa.exc.SQLAlchemyError)
def database_unavailable(error: sa.exc.SQLAlchemyError) -> Response:
    """No database: a caller still hears an apology and can leave a message."""
    get_session().rollback()
    log.error("database error on %s (%s)", request.path, type(error).__name__)
    if request.endpoint in CALLBACK_ENDPOINTS:
        spool.write(
            current_app.config["SPOOL_DIR"],
            "status",
            dict(request.form.items()),
            get_office().now(),
        )
        return no_content()
    return twiml_response(_apology())


CALLBACK_ENDPOINTS = {"webhooks.call_status"}


def _bounded_int(value: str | None, low: int, high: int) -> int:
    try:
        number = int(value or low)
    except ValueError:
        return low
    return max(low, min(number, high))
