"""Messages left after the apology: when our primary answer failed, nothing said is lost."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import orm

from calllog import appeals, callbacks, calls, recordings
from calllog.lines import match_line
from models import AppealChannel, CallOutcome, RecordingKind

if TYPE_CHECKING:
    from office import Office

FALLBACK_TOPIC = "other"


def save_message(
    session: orm.Session, office: Office, params: Mapping[str, str], now: datetime
) -> None:
    """Keep a message from the apology's Record action or its recording callback.

    Either may come first, or twice: the recording becomes one appeal, and a caller
    with a known number is queued for a callback, since nobody told them an appeal number.
    """
    call, _ = calls.start_call(session, params, match_line(office.lines, params), now)
    recording = recordings.attach(session, call, params, RecordingKind.MESSAGE, now)
    if (
        recording is not None
        and recording.appeal is None
        and recording.duration_s >= recordings.MIN_MESSAGE_S
    ):
        recording.appeal = appeals.create_appeal(
            session,
            topic=FALLBACK_TOPIC,
            channel=AppealChannel.PHONE,
            phone=call.caller,
            now=now,
            call=call,
        )
        calls.record_outcome(session, call, CallOutcome.REQUEST_LEFT, now)
    if recording is not None and recording.appeal is not None and recording.appeal.phone is None:
        recording.appeal.phone = call.caller
    if call.caller is not None and call.callback is None:
        callbacks.request(
            session, call.caller, "fallback", call, now, office.hours.next_working_time(now)
        )
        calls.record_outcome(session, call, CallOutcome.CALLBACK_REQUESTED, now)
