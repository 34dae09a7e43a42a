"""The Twilio adapter: every URL Twilio requests, all under ``/twilio/``.

A request without a valid ``X-Twilio-Signature`` gets 403 before anything is read or
written. The voice menu (``ivr``) decides; this module serves the routes its branches
declare, each on a :class:`~twilio_turn.turn.TwilioTurn` committed once, and holds the
contract URLs of §5 (voice, status, fallback) and what happens when things go wrong: a
caller always hears an apology and can leave a message, even without a database.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from calllog import calls
from calllog.messages import save_message
from calllog.office import get_office
from db import get_session, take_write_lock
from ivr import branches, twiml
from ivr.branch import Kind, Route, Spool
from ivr.turn import NotThisCall
from models import Call
from twilio_turn import spool
from twilio_turn.form import NotAWebhook, Webhook, parse
from twilio_turn.recording_copy import copy_soon
from twilio_turn.signature import signed_by_twilio
from twilio_turn.turn import TwilioLeg, TwilioTurn, get_speaker, read_webhook
from twilio_turn.urls import ENDPOINTS, endpoint_of, public_url

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")

# The routes the branches declare, by endpoint: what the error handler must know of them.
ROUTES: dict[str, Route] = {}


def twiml_response(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def no_content() -> Response:
    return Response(status=204)


def serve(route: Route) -> Callable[[], Response]:
    """The Flask view of a route a branch declared."""

    @functools.wraps(route.view)
    def view() -> Response:
        try:
            if route.kind is Kind.LEG:
                return twiml_response(route.view(TwilioLeg(read_webhook(), get_speaker())))
            turn = TwilioTurn.begin()
            answer = route.view(turn)
            recording = turn.webhook.recording
            if route.kind is Kind.CALLBACK and recording is not None:
                turn.after_commit.append(lambda: copy_soon(recording))
            turn.commit()
        except NotThisCall as error:
            abort(400, str(error))
        return no_content() if route.kind is Kind.CALLBACK else twiml_response(answer)

    return view


def add_routes() -> None:
    """Serve every route of every branch; URLs are then built from the views."""
    for branch in branches.all_branches():
        for route in branch.routes:
            endpoint = endpoint_of(route.view)
            ENDPOINTS[route.view] = endpoint
            ROUTES[endpoint] = route
            bp.add_url_rule(
                route.path,
                endpoint=endpoint.removeprefix("webhooks."),
                view_func=serve(route),
                methods=["POST"],
            )


add_routes()


@bp.before_request
def check_signature() -> None:
    if not signed_by_twilio():
        log.warning("rejected a %s request with a missing or wrong signature", request.path)
        abort(403)


@bp.post("/status")
def call_status() -> Response:
    """Twilio's call status callback: final status, duration, and the outcome at the end."""
    turn = TwilioTurn.begin()
    due = turn.office.hours.next_working_time(turn.now)
    calls.apply_status(turn.session, turn.call, turn.webhook.call, turn.now, due)
    turn.commit()
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
        get_speaker(),
        action=public_url("webhooks.message_recorded"),
        recording_callback=public_url("webhooks.message_ready"),
    )


@bp.post("/message")
def message_recorded() -> Response:
    """The Record action of the apology: keep the message, in the database or the spool."""
    webhook = read_webhook()
    save_or_spool("message", webhook)
    return message_kept(webhook)


def message_kept(webhook: Webhook) -> Response:
    """The answer to a Record action whose message is kept: thanks, and goodbye."""
    if webhook.hung_up:
        return twiml_response(twiml.empty())
    speaker = get_speaker()
    if webhook.recording is None:
        return twiml_response(twiml.goodbye(speaker, "fallback_nothing"))
    response = VoiceResponse()
    speaker.speak(response, "fallback_saved")
    response.hangup()
    return twiml_response(response)


@bp.post("/message/ready")
def message_ready() -> Response:
    """The recording status callback of the apology's Record."""
    webhook = read_webhook()
    save_or_spool("message", webhook)
    if webhook.recording is not None:
        copy_soon(webhook.recording)
    return no_content()


def save_or_spool(kind: str, webhook: Webhook) -> None:
    """Write a message into the database, or durably into the spool when it is down."""
    office = get_office()
    now = office.now()
    try:
        session = get_session()
        take_write_lock(session, Call.__table__)
        save_message(session, office, webhook.call, webhook.recording, now)
        session.commit()
    except sa.exc.SQLAlchemyError as error:
        _rollback()
        log.error("database unavailable (%s): spooling the message", type(error).__name__)
        spool.write(current_app.config["SPOOL_DIR"], kind, webhook.form, now)


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
    if request.endpoint == "webhooks.call_status":
        # The status callback's content is kept when it cannot be written to the database.
        if database_unreachable(error):
            spool.write(
                current_app.config["SPOOL_DIR"],
                "status",
                dict(request.form.items()),
                get_office().now(),
            )
        return no_content()
    route = ROUTES.get(request.endpoint or "")
    if route is not None and route.spool is not None and database_unreachable(error):
        kept = spool_recording(route, route.spool)
        if kept is not None:
            return kept
    return twiml_response(apology())


def spool_recording(route: Route, kept: Spool) -> Response | None:
    """Keep the recording this request names in the spool: a caller's words are never
    dropped, whichever of the Record action and the recording callback reaches us (§5).

    The answer, or None when there is no recording (a fall-through after silence gets
    the apology instead).
    """
    try:
        webhook = parse(request.form)
    except NotAWebhook:
        return None
    is_callback = route.kind is Kind.CALLBACK
    if webhook.recording is None:
        return no_content() if is_callback else None
    values = {kept.arg: request.args.get(kept.arg, "")[:40]}
    spool.write(
        current_app.config["SPOOL_DIR"], kept.kind, webhook.form, get_office().now(), args=values
    )
    if is_callback:
        return no_content()
    return message_kept(webhook)


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
