"""The voice menu's :class:`ivr.turn.Turn`, over one Flask request and one database session.

A turn reads the webhook once, finds or creates the call (under SQLite's write lock),
binds the call log's desks to it, and keeps what must wait for the commit: the SMS and
the recording copies it queues.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, current_app, request
from sqlalchemy import orm
from sqlalchemy.exc import SQLAlchemyError

from calllog import callback_detection, calls, transfers
from calllog.lines import match_line
from calllog.office import Office, get_office
from calllog.phone import CallContext
from calllog.phone.appeals import PhoneAppeals
from calllog.phone.booking import PhoneBooking
from calllog.phone.callbacks import PhoneCallbacks
from calllog.phone.log import PhoneCallLog
from calllog.phone.schedule import PhoneSchedule
from calllog.phone.transcripts import PhoneTranscripts
from calllog.phones import to_e164
from calllog.sms import line_sender
from db import get_session, take_write_lock
from ivr.twiml import Speaker
from models import Call
from tasks.outbound import enqueue, send_sms
from twilio_turn.form import CALL_SID, NotAWebhook, Webhook, parse
from twilio_turn.urls import view_url

log = logging.getLogger(__name__)


def get_speaker() -> Speaker:
    return current_app.extensions["speaker"]


def bounded_int(value: str | None, low: int, high: int) -> int:
    """A small whole number from a query string, clamped; anything else reads as ``low``."""
    try:
        number = int(value or low)
    except ValueError:
        return low
    return max(low, min(number, high))


def read_webhook() -> Webhook:
    """This request's webhook; 400 when it is not one Twilio would send."""
    try:
        return parse(request.form, timed_out=bool(request.args.get("timeout")))
    except NotAWebhook as error:
        abort(400, str(error))


@dataclass
class TwilioLeg:
    """A request of a staff screening leg (``ivr.turn.Leg``): no call of the log is made
    for it, and only an acceptance touches the database."""

    webhook: Webhook
    speaker: Speaker

    @property
    def digits(self) -> str:
        return self.webhook.digits

    def staff_accepted(self) -> None:
        """Note the acceptance on the parent call. A failure is logged, never raised: the
        staff member is connected all the same."""
        parent = self.webhook.parent_call_sid
        if not parent:
            log.warning("a screening leg without ParentCallSid: acceptance not recorded")
            return
        session = get_session()
        try:
            take_write_lock(session, Call.__table__)
            if not transfers.record_acceptance(session, parent, get_office().now()):
                log.warning("acceptance for an unknown call %s not recorded", parent)
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            log.error("acceptance of call %s not recorded: %s", parent, type(error).__name__)

    def citizen_answered(self, note: str) -> None:
        """Keep the detection on the operator's call named in the URL (``call``, ``callback``,
        ``actor`` as the bridge put them there)."""
        call_sid = request.args.get("call", "")
        callback_id = bounded_int(request.args.get("callback"), 0, 2**31 - 1)
        if not CALL_SID.fullmatch(call_sid) or not callback_id:
            abort(400, "not a detection callback of a staff callback")
        actor = "".join(ch for ch in request.args.get("actor", "")[:100] if ch.isprintable())
        office = get_office()
        now = office.now()
        session = get_session()
        take_write_lock(session, Call.__table__)
        callback_detection.note_answered_by(
            session,
            call_sid,
            callback_id,
            self.webhook.answered_by,
            now,
            office.hours.next_working_day_start(now),
            actor=actor.strip() or None,
            note=note,
        )
        session.commit()

    def url(self, view: Callable[..., Any], **values: object) -> str:
        return view_url(view, **values)


@dataclass
class TwilioTurn(TwilioLeg):
    """One webhook request of a call (``ivr.turn.Turn``)."""

    office: Office
    session: orm.Session
    now: datetime
    call: Call
    first_request: bool
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    @classmethod
    def begin(cls) -> TwilioTurn:
        webhook = read_webhook()
        office = get_office()
        session = get_session()
        take_write_lock(session, Call.__table__)
        now = office.now()
        line = match_line(office.lines, webhook.call)
        call, created = calls.start_call(session, webhook.call, line, now, answered=True)
        return cls(webhook, get_speaker(), office, session, now, call, created)

    @property
    def caller(self) -> str | None:
        return self.call.caller

    @property
    def call_sid(self) -> str:
        return self.call.sid

    @property
    def line(self) -> str:
        return self.call.line

    @property
    def hung_up(self) -> bool:
        return self.webhook.hung_up

    @property
    def dial_status(self) -> str:
        return self.webhook.dial_status

    @property
    def dial_seconds(self) -> int:
        return self.webhook.dial_seconds

    @property
    def from_number(self) -> str:
        return self.webhook.call.from_raw or ""

    @property
    def called(self) -> str | None:
        return to_e164(self.webhook.call.to)

    @functools.cached_property
    def context(self) -> CallContext:
        webhook = self.webhook
        return CallContext(
            self.session, self.call, self.office, self.now, webhook.recording, webhook.transcription
        )

    @functools.cached_property
    def log(self) -> TurnLog:
        return TurnLog(self.context, self.after_commit)

    @functools.cached_property
    def booking(self) -> PhoneBooking:
        return PhoneBooking(self.context)

    @functools.cached_property
    def appeals(self) -> PhoneAppeals:
        return PhoneAppeals(self.context)

    @functools.cached_property
    def transcripts(self) -> PhoneTranscripts:
        return PhoneTranscripts(self.context)

    @functools.cached_property
    def callbacks(self) -> PhoneCallbacks:
        return PhoneCallbacks(self.context)

    @functools.cached_property
    def schedule(self) -> PhoneSchedule:
        return PhoneSchedule(self.context)

    def arg(self, name: str, low: int = 0, high: int = 2**31 - 1) -> int:
        return bounded_int(request.args.get(name), low, high)

    def text_arg(self, name: str, max_length: int = 40) -> str:
        return request.args.get(name, "")[:max_length]

    def commit(self) -> None:
        """Commit the request's work, then run what had to wait for it."""
        self.session.commit()
        for action in self.after_commit:
            action()


class TurnLog(PhoneCallLog):
    """The call log of a turn, with SMS queued once the request's work is committed."""

    def __init__(self, context: CallContext, after_commit: list[Callable[[], object]]) -> None:
        super().__init__(context)
        self.after_commit = after_commit

    def send_sms(self, phone: str | None, text: str) -> None:
        """Only to a mobile, on the task queue: the answer never waits for Twilio's SMS API,
        and an SMS failure never breaks the call. It goes from the sender of the call's line."""
        if phone:
            sid = self.context.call.sid
            sender = line_sender(self.context.office.lines, self.context.call.line)
            self.after_commit.append(lambda: enqueue(send_sms, sid, phone, text, sender))
