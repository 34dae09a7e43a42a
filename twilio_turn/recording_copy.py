"""After Twilio's recording status callback: copy the recording home without holding up Twilio.

Once a recording callback's transaction is committed, the adapter calls :func:`copy_soon`,
which runs the :class:`~calllog.recording_copies.Copier` after the response has
been sent (``RECORDINGS_COPY``), and a recording Twilio reports as failed is flagged for staff.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask, after_this_request, current_app
from sqlalchemy import orm

from calllog.events import add_event
from calllog.facts import RecordingFacts
from calllog.office import get_office
from calllog.recording_copies import Copier
from db import get_session
from models import Recording, RecordingState
from outbound.recording_media import RECORDING_SID

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

COPY_MODES = ("after_response", "inline", "off")


def copy_soon(recording: RecordingFacts) -> None:
    """After the callback's commit: copy the recording it names, without holding up Twilio.

    ``after_response`` runs the copy once the response has been sent (werkzeug's
    ``call_on_close``), ``inline`` runs it now (tests, demos), ``off`` leaves it to
    ``recordings sync``. A callback saying ``failed`` flags the recording for staff.
    """
    sid, status = recording.sid, recording.status
    if not RECORDING_SID.fullmatch(sid) or status not in ("completed", "failed"):
        return
    mode = str(current_app.config["RECORDINGS_COPY"]).strip().lower()
    if mode not in COPY_MODES:
        log.error("RECORDINGS_COPY must be one of %s; copying inline", ", ".join(COPY_MODES))
        mode = "inline"
    if mode == "off":
        return
    job = functools.partial(run_copy, current_app._get_current_object(), sid, status)  # type: ignore[attr-defined]
    if mode == "inline":
        job()
        return

    @after_this_request
    def copy_once_sent(response: Response) -> Response:
        response.call_on_close(job)
        return response


def run_copy(app: Flask, sid: str, status: str = "completed") -> None:
    """Copy recording ``sid`` in a fresh application context; never raises."""
    with app.app_context():
        try:
            session = get_session()
            recording = session.scalar(sa.select(Recording).where(Recording.sid == sid))
            if recording is None:
                log.warning(
                    "recording %s is not in the database (spooled?): sync will copy it", sid
                )
                return
            now = get_office().now()
            if status == "failed":
                twilio_failed(session, recording, now)
                return
            Copier.from_app(app).copy_home(session, recording, now)
        except Exception as error:
            with contextlib.suppress(Exception):
                get_session().rollback()
            log.error("copying recording %s failed: %s; sync will retry", sid, type(error).__name__)


def twilio_failed(session: orm.Session, recording: Recording, now: datetime) -> None:
    """Twilio says the recording failed: there is no audio to copy; staff should know."""
    if recording.state is not RecordingState.PENDING:
        return
    recording.state = RecordingState.FAILED
    recording.last_error = "Twilio reported the recording as failed"
    recording.next_attempt_at = None
    add_event(recording.call, "recording_failed", recording.sid, now)
    session.commit()
    log.error("Twilio reported recording %s as failed: flagged for staff", recording.sid)
