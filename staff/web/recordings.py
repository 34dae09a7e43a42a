"""Recordings played to signed-in staff from the service's own copy (152-FZ, §11).

Only a copy in the service's storage is ever played: a recording still at Twilio (pending),
one whose copy failed, or one deleted by the retention job answers 404, and no Twilio URL
reaches a browser. Range requests are answered (206), so the player can seek.

Listening is written to the audit log once per person, recording and
:data:`LISTEN_AUDIT_WINDOW`: a player asks for a file in several range requests (start,
seeks), and one sitting is one entry, not a dozen.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from sqlalchemy import orm
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from calllog import audit
from calllog.office import get_office
from calllog.recording_copies import app_storage
from db import get_session
from models import AuditEntry, Recording, RecordingState, StaffRole
from outbound.storage import MissingObject, StorageError
from staff.web import actor, bp, role_required

log = logging.getLogger(__name__)

MIMETYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
#: Why a recording not copied yet never will be: no Twilio account to copy it from (a demo).
NO_TWILIO = (
    "звука нет: сервис не подключён к Twilio, записи копировать неоткуда "
    "(в демонстрации звонки смоделированы, аудио у них нет)"
)
LISTEN_AUDIT_WINDOW = timedelta(minutes=10)


@bp.app_context_processor
def recording_words() -> dict[str, str | None]:
    """``audio_unavailable``: what a recording waiting for its copy says without Twilio."""
    config = current_app.config
    connected = config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]
    return {"audio_unavailable": None if connected else NO_TWILIO}


@bp.get("/recordings/<id:recording_id>")
@role_required(StaffRole.OPERATOR)
def recording(recording_id: int) -> Response:
    session = get_session()
    found = session.get(Recording, recording_id)
    if found is None or found.state is not RecordingState.STORED or not found.storage_key:
        abort(404)
    key = found.storage_key
    storage = app_storage()
    try:
        size = storage.size(key)
        stream = storage.open(key)
    except MissingObject:
        log.error("recording %s is marked stored but its copy is missing", found.sid)
        abort(404)
    except StorageError as error:
        log.error("recording %s cannot be read: %s", found.sid, error)
        abort(503)
    _audit_listening(session, found)
    session.commit()

    extension = key.rsplit(".", 1)[-1].lower()
    response = Response(
        wrap_file(request.environ, stream),
        mimetype=MIMETYPES.get(extension, "application/octet-stream"),
        direct_passthrough=True,
    )
    response.content_length = size
    response.headers["Content-Disposition"] = f"inline; filename={found.sid}.{extension}"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    try:
        return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        stream.close()
        raise


def _audit_listening(session: orm.Session, found: Recording) -> None:
    now = get_office().now()
    who = actor()
    subject = f"recording:{found.sid}"
    recent = session.scalar(
        sa.select(AuditEntry.id)
        .where(
            AuditEntry.actor == who,
            AuditEntry.action == "listen",
            AuditEntry.subject == subject,
            AuditEntry.at > now - LISTEN_AUDIT_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        audit.record(session, who, "listen", subject, now, f"call:{found.call.sid}")
