"""The tasks a webhook enqueues once its transaction is committed: an SMS, a recording's copy.

The webhook's answer never waits for them. :func:`enqueue` never raises either: a queue
that cannot be reached is logged, and what it would have done is left to the sweeps (a
recording stays pending for ``recordings sync``); an SMS is a courtesy, never worth a call.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from huey.api import TaskWrapper

from calllog.events import add_event
from calllog.office import get_office
from calllog.recording_copies import Copier
from calllog.sms import try_sms
from db import get_session
from models import Recording, RecordingState
from tasks.queue import background, huey

log = logging.getLogger(__name__)


def enqueue(task: TaskWrapper, *args: Any) -> None:
    """Put ``task(*args)`` on the queue; a queue that is down is logged, never raised."""
    try:
        task(*args)
    except Exception as error:
        log.error("task %s not queued: %s", task.name, type(error).__name__)


@background("SMS", subject=lambda call_sid, *_: f"call:{call_sid}", timeout=30)
def send_sms(call_sid: str, phone: str, text: str, sender: str | None = None) -> str | None:
    """Send one SMS of call ``call_sid``, at most once however often it is enqueued or retried.

    ``sender`` is the ``sms_from`` of the call's line; None sends from the global sender.

    The message is claimed in the queue's store before it is sent and released when the
    send fails, so a retry sends it and a duplicate does not. (A worker killed between the
    claim and Twilio's answer leaves it claimed: never sent twice, as with reminders.)
    """
    key = "sms:" + hashlib.sha256(f"{call_sid}\n{phone}\n{text}".encode()).hexdigest()
    if not huey.put_if_empty(key, "claimed"):
        return None
    try:
        sid = try_sms(phone, text, sender)
    except Exception:
        huey.delete(key)
        raise
    return "SMS отправлено" if sid else None


@background("копия записи", subject=lambda sid, *_: f"recording:{sid}", timeout=120, retries=3)
def copy_recording(sid: str, status: str = "completed") -> str | None:
    """Copy recording ``sid`` home and delete it at Twilio; flag it when Twilio failed it.

    Idempotent: a recording stored already, or being copied by another worker, is left
    alone. A failed try is counted on the recording, whose backoff ``recordings sync``
    follows; after the last one the recording is flagged ``failed`` for staff.
    """
    session = get_session()
    recording = session.scalar(sa.select(Recording).where(Recording.sid == sid))
    if recording is None:
        log.warning("recording %s is not in the database (spooled?): sync will copy it", sid)
        return None
    now = get_office().now()
    if status == "failed":
        return twilio_failed(recording, now)
    if Copier.from_app().copy_home(session, recording, now):
        return "запись сохранена в приёмной"
    if recording.state is RecordingState.FAILED:
        return f"запись не скопирована, попытки исчерпаны: {recording.last_error}"
    if recording.state is RecordingState.PENDING and recording.last_error:
        return f"запись не скопирована ({recording.last_error}), будет повторено"
    return None


def twilio_failed(recording: Recording, now: Any) -> str | None:
    """Twilio says the recording failed: there is no audio to copy; staff should know."""
    if recording.state is not RecordingState.PENDING:
        return None
    recording.state = RecordingState.FAILED
    recording.last_error = "Twilio reported the recording as failed"
    recording.next_attempt_at = None
    add_event(recording.call, "recording_failed", recording.sid, now)
    get_session().commit()
    log.error("Twilio reported recording %s as failed: flagged for staff", recording.sid)
    return "Twilio сообщил, что запись не удалась: отмечена для сотрудников"
