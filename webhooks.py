"""The Twilio blueprint: every URL Twilio requests, all under ``/twilio/``.

A request without a valid ``X-Twilio-Signature`` gets 403 before anything is read or
written. The voice menu's views live in ``ivr/``; this module holds the URL table, the
contract URLs of §5 (voice, status, fallback) and what happens when things go wrong:
a caller always hears an apology and can leave a message, even without a database.
"""

from __future__ import annotations

import contextlib
import logging
import traceback

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from calllog import calls, recording_callback, spool
from calllog.messages import save_message
from db import get_session, take_write_lock
from ivr import appeal, booking, callback_bridge, menu, person, status, twiml
from ivr.http import Turn, call_params, no_content, public_url, twiml_response
from models import Call
from office import get_office

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")

# Twilio requests these because our TwiML names them: Gather and Record actions, recording
# status callbacks, the Dial action and the staff's screening leg.
VOICE_MENU = {
    "/voice": menu.incoming_call,
    "/menu": menu.menu_choice,
    "/booking/existing": booking.existing_choice,
    "/booking/cancel": booking.cancel_choice,
    "/booking/none": booking.no_slots_choice,
    "/booking/choose": booking.slot_choice,
    "/booking/confirm": booking.confirm_choice,
    "/booking/name": booking.name_recorded,
    "/booking/name/ready": booking.name_ready,
    "/booking/contact": booking.contact_typed,
    "/booking/readback": booking.readback_choice,
    "/appeal/consent": appeal.consent_choice,
    "/appeal/topic": appeal.topic_choice,
    "/appeal/recorded": appeal.recorded,
    "/appeal/recording/ready": appeal.recording_ready,
    "/appeal/contact": appeal.contact_typed,
    "/appeal/readback": appeal.readback_choice,
    "/status/number": status.number_typed,
    "/status/callback": status.callback_choice,
    "/person/dialled": person.dialled,
    "/person/number": person.number_typed,
    "/person/screen": person.screen,
    "/person/accept": person.accept,
    "/callback/bridge": callback_bridge.bridge,
    "/callback/dialled": callback_bridge.dialled,
}
for path, view in VOICE_MENU.items():
    endpoint = path.strip("/").replace("/", "_")
    bp.add_url_rule(path, endpoint=endpoint, view_func=view, methods=["POST"])


def signed_url() -> str:
    """The URL Twilio called and signed, as far as this service can know it."""
    query = request.query_string.decode("latin-1")
    path = request.path + (f"?{query}" if query else "")
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/") + path  # the app's public root, wherever it is mounted
    # Behind a trusted proxy, ProxyFix has already put its scheme and host here.
    return request.host_url.rstrip("/") + request.script_root + path


@bp.before_request
def check_signature() -> None:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token and current_app.config["DEVELOPMENT"]:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        log.warning("rejected a %s request with a missing or wrong signature", request.path)
        abort(403)


@bp.post("/status")
def call_status() -> Response:
    """Twilio's call status callback: final status, duration, and the outcome at the end."""
    turn = Turn.begin()
    calls.apply_status(turn.session, turn.call, turn.params, turn.now, turn.callback_due())
    turn.session.commit()
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
    return twiml_response(apology())


def apology() -> VoiceResponse:
    return twiml.apology_with_record(
        get_office().speaker,
        action=public_url("webhooks.message_recorded"),
        recording_callback=public_url("webhooks.message_ready"),
    )


@bp.post("/message")
def message_recorded() -> Response:
    """The Record action of the apology: keep the message, in the database or the spool."""
    params = call_params()
    save_or_spool("message", params)
    return message_kept(params)


def message_kept(params: dict[str, str]) -> Response:
    """The answer to a Record action whose message is kept: thanks, and goodbye."""
    if params.get("Digits") == "hangup":
        return twiml_response(twiml.empty())
    speaker = get_office().speaker
    if not params.get("RecordingSid"):
        return twiml_response(twiml.goodbye(speaker, "fallback_nothing"))
    response = VoiceResponse()
    speaker.speak(response, "fallback_saved")
    response.hangup()
    return twiml_response(response)


@bp.post("/message/ready")
def message_ready() -> Response:
    """The recording status callback of the apology's Record."""
    params = call_params()
    save_or_spool("message", params)
    recording_callback.copy_soon(params)
    return no_content()


def save_or_spool(kind: str, params: dict[str, str]) -> None:
    """Write a message into the database, or durably into the spool when it is down."""
    office = get_office()
    now = office.now()
    try:
        session = get_session()
        take_write_lock(session, Call.__table__)
        save_message(session, office, params, now)
        session.commit()
    except sa.exc.SQLAlchemyError as error:
        _rollback()
        log.error("database unavailable (%s): spooling the message", type(error).__name__)
        spool.write(current_app.config["SPOOL_DIR"], kind, params, now)


# Callbacks whose content is kept in the spool when it cannot be written to the database.
SPOOLED_CALLBACKS = {"webhooks.call_status": "status"}
# Record actions and recording callbacks of the menu, kept in the spool when the database
# cannot be reached, with the URL value their replay needs: a caller's words are never
# dropped, whichever of the two requests reaches us (§5).
SPOOLED_RECORDINGS = {
    "webhooks.appeal_recorded": ("appeal", "topic"),
    "webhooks.appeal_recording_ready": ("appeal", "topic"),
    "webhooks.booking_name": ("name", "appointment"),
    "webhooks.booking_name_ready": ("name", "appointment"),
}
RECORDING_CALLBACKS = frozenset({"webhooks.appeal_recording_ready", "webhooks.booking_name_ready"})


@bp.errorhandler(Exception)
def unexpected_error(error: Exception) -> Response | HTTPException:
    """No 5xx ever reaches Twilio: a caller hears an apology and can leave a message.

    The log gets the error's type and where it happened, not its message: that may quote
    personal data (a database error quotes the values it failed to write).
    """
    if isinstance(error, HTTPException):
        return error
    _rollback()
    log.error(
        "%s on %s: answering with the apology\n%s",
        type(error).__name__,
        request.path,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    if request.endpoint in SPOOLED_CALLBACKS and database_unreachable(error):
        spool.write(
            current_app.config["SPOOL_DIR"],
            SPOOLED_CALLBACKS[request.endpoint],
            dict(request.form.items()),
            get_office().now(),
        )
        return no_content()
    if request.endpoint in SPOOLED_CALLBACKS:
        return no_content()
    if request.endpoint in SPOOLED_RECORDINGS and database_unreachable(error):
        kept = spool_recording(*SPOOLED_RECORDINGS[request.endpoint])
        if kept is not None:
            return kept
    return twiml_response(apology())


def spool_recording(kind: str, arg: str) -> Response | None:
    """Keep the recording this request names in the spool; the answer, or None when
    there is no recording (a fall-through after silence gets the apology instead)."""
    try:
        params = call_params()
    except HTTPException:
        return None
    if not params.get("RecordingSid"):
        return None if request.endpoint not in RECORDING_CALLBACKS else no_content()
    values = {arg: request.args.get(arg, "")[:40]}
    spool.write(current_app.config["SPOOL_DIR"], kind, params, get_office().now(), args=values)
    if request.endpoint in RECORDING_CALLBACKS:
        return no_content()
    return message_kept(params)


def database_unreachable(error: Exception) -> bool:
    """Whether ``error`` says the database cannot be reached (so the spool should keep
    the request), rather than that this request's data or our code is at fault."""
    return isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)) or (
        isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated
    )


@bp.errorhandler(400)
def bad_request(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    return "Bad request", 400, {"Content-Type": "text/plain; charset=utf-8"}


def _rollback() -> None:
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        get_session().rollback()
