"""Recordings copied home (152-FZ): download from Twilio, store, verify, then delete at Twilio.

Twilio keeps every ``<Record>`` in its own cloud until told otherwise, and a citizen's
recorded voice may not be stored abroad. So when the recording status callback says
``completed``, the service downloads the audio into its own :mod:`storage`, checks the
copy (size and SHA-256 read back), and only then deletes the recording at Twilio.

The download never holds up the webhook: it runs on the task queue
(``RECORDINGS_COPY=queue``, the default), and ``recordings sync`` (periodic, on the queue)
retries whatever was left behind, with exponential backoff, and finds recordings whose
callback never came. A recording that cannot be fetched after ``RECORDINGS_MAX_ATTEMPTS``
tries is flagged for staff (state ``failed``), never dropped.

Logs name recording SIDs only: never a phone number or a recording URL.

Here: the :class:`Copier`. Fetching the audio: :mod:`outbound.recording_media`; after the
callback: :mod:`twilio_turn.recording_copy` and the task in :mod:`tasks.outbound`;
``recordings sync``: :mod:`calllog.recording_sync`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import orm
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from calllog.events import add_event
from models import Recording, RecordingState
from outbound.recording_media import (
    DOWNLOAD_TIMEOUT_S,
    FORMATS,
    BinarySafeHttpClient,
    CopyError,
    _header,
    body_bytes,
    looks_like,
    media_url,
)
from outbound.storage import Storage, StorageError, storage_from_config
from outbound.twilio_rest import twilio_client

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
STORAGE_EXTENSION_KEY = "recordings_storage"


#: How long a recording just stored is left to the process deleting it at Twilio.
DELETE_GRACE = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th try: 1 min, 2, 4 … at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


def storage_key(recording: Recording, fmt: str) -> str:
    """``2026/12/RE….mp3``: by the month the recording was made (UTC)."""
    made = recording.created_at.astimezone(UTC)
    return f"{made.year:04d}/{made.month:02d}/{recording.sid}.{fmt}"


@dataclass
class Copier:
    """Copies recordings home and deletes them at Twilio, with the account's credentials."""

    client: Client
    storage: Storage
    account_sid: str
    auth_token: str
    fmt: str = "mp3"
    max_attempts: int = 8

    @classmethod
    def from_app(cls, app: Flask | None = None) -> Copier:
        """A copier from the application's settings (raises RuntimeError if unusable)."""
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        config = app.config
        fmt = str(config["RECORDINGS_FORMAT"]).strip().lower()
        if fmt not in FORMATS:
            raise RuntimeError(f"RECORDINGS_FORMAT must be mp3 or wav, not {fmt!r}")
        with app.app_context():
            if config.get("TWILIO_HTTP_CLIENT") is not None:
                client = twilio_client()
            elif config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]:
                client = Client(
                    config["TWILIO_ACCOUNT_SID"],
                    config["TWILIO_AUTH_TOKEN"],
                    http_client=BinarySafeHttpClient(),
                )
            else:
                client = twilio_client()  # raises, saying what is missing
        return cls(
            client=client,
            storage=app_storage(app),
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            fmt=fmt,
            max_attempts=max(1, int(config["RECORDINGS_MAX_ATTEMPTS"])),
        )

    # --- copying ---------------------------------------------------------------------------

    def copy_home(self, session: orm.Session, recording: Recording, now: datetime) -> bool:
        """Download, store and verify one pending recording, then delete it at Twilio.

        True when the recording is stored (its Twilio copy deleted, or left for a retry).
        False when it is not this process's turn (another copy is under way, or the next
        try is not due) or the try failed: then ``attempts``, ``last_error`` and
        ``next_attempt_at`` say so, and after the last try the state is ``failed``.
        Commits; a second call for a stored recording does nothing.
        """
        if not self._claim(session, recording, now):
            return recording.state is RecordingState.STORED
        try:
            data = self._download(recording)
            key = storage_key(recording, self.fmt)
            digest = self._store_verified(key, data)
        except CopyError as error:
            self._failed(session, recording, now, str(error))
            return False
        recording.state = RecordingState.STORED
        recording.storage_key = key
        recording.size_bytes = len(data)
        recording.sha256 = digest
        recording.last_error = None
        # The delete that follows is this process's: ``sync`` leaves it alone for a while.
        recording.next_attempt_at = now + DELETE_GRACE
        session.commit()
        log.info("recording %s copied home (%d bytes)", recording.sid, len(data))
        self.delete_at_twilio(session, recording, now)
        return True

    def _claim(self, session: orm.Session, recording: Recording, now: datetime) -> bool:
        """Take this try: count it and set the next one, so no other process starts it too.

        A process that dies mid-copy leaves the recording to ``sync`` once the wait is over.
        """
        session.refresh(recording)
        if recording.state is not RecordingState.PENDING:
            return False
        attempts = recording.attempts + 1
        claimed = session.execute(
            sa.update(Recording)
            .where(
                Recording.id == recording.id,
                Recording.state == RecordingState.PENDING,
                Recording.attempts == recording.attempts,
                sa.or_(Recording.next_attempt_at.is_(None), Recording.next_attempt_at <= now),
            )
            .values(attempts=attempts, next_attempt_at=now + backoff(attempts))
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        session.refresh(recording)
        return claimed == 1

    def _download(self, recording: Recording) -> bytes:
        url = media_url(recording, self.account_sid, self.fmt)
        try:
            response = self.client.http_client.request(
                "GET",
                url,
                auth=(self.account_sid, self.auth_token),
                timeout=DOWNLOAD_TIMEOUT_S,
                allow_redirects=True,
            )
        except Exception as error:  # network errors of whatever HTTP client is plugged in
            raise CopyError(f"download: {type(error).__name__}") from None
        if response.status_code != 200:
            raise CopyError(f"download: HTTP {response.status_code}")
        data = body_bytes(response.content)
        length = _header(response.headers, "Content-Length")
        encoded = _header(response.headers, "Content-Encoding")
        if length is not None and not encoded and length.isdigit() and int(length) != len(data):
            raise CopyError(f"download: truncated ({len(data)} of {length} bytes)")
        if not data:
            raise CopyError("download: empty body")
        if not looks_like(self.fmt, data):
            raise CopyError(f"download: not {self.fmt} audio")
        return data

    def _store_verified(self, key: str, data: bytes) -> str:
        """Store ``data`` and read it back; its SHA-256 when the stored copy is identical."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            self.storage.put(key, data)
            size = self.storage.size(key)
            stored = self.storage.sha256(key)
        except StorageError as error:
            raise CopyError(f"storage: {error}"[:300]) from None
        if size != len(data) or stored != digest:
            try:
                self.storage.delete(key)
            except StorageError:
                log.warning("could not remove a bad copy under %s", key)
            raise CopyError("verification: the stored copy differs from the download")
        return digest

    def _failed(
        self, session: orm.Session, recording: Recording, now: datetime, error: str
    ) -> None:
        recording.last_error = error[:300]
        if recording.attempts >= self.max_attempts:
            recording.state = RecordingState.FAILED
            recording.next_attempt_at = None
            add_event(recording.call, "recording_failed", recording.sid, now)
            log.error(
                "recording %s not copied after %d tries (%s): flagged for staff",
                recording.sid,
                recording.attempts,
                error,
            )
        else:
            log.warning(
                "recording %s: try %d failed (%s); next try at %s",
                recording.sid,
                recording.attempts,
                error,
                recording.next_attempt_at.isoformat() if recording.next_attempt_at else "-",
            )
        session.commit()

    # --- deleting at Twilio ----------------------------------------------------------------

    def delete_at_twilio(self, session: orm.Session, recording: Recording, now: datetime) -> bool:
        """Delete Twilio's copy of a stored recording whose own copy is still in place.

        A recording whose stored copy has gone missing is made pending again (to be copied
        anew) instead: Twilio's copy is deleted only while a verified one exists here.
        """
        if recording.state is not RecordingState.STORED or not recording.sha256:
            return False
        if recording.deleted_from_twilio_at is not None:
            return True
        if not self._still_stored(recording):
            log.error("recording %s: the stored copy is missing; copying it again", recording.sid)
            recording.state = RecordingState.PENDING
            recording.storage_key = None
            recording.sha256 = None
            recording.size_bytes = None
            recording.attempts = 0
            recording.next_attempt_at = now
            recording.last_error = "the stored copy was missing"
            session.commit()
            return False
        error = self.forget(recording.sid)
        if error is None:
            recording.deleted_from_twilio_at = now
            recording.next_attempt_at = None
            recording.last_error = None
            session.commit()
            log.info("recording %s deleted at Twilio", recording.sid)
            return True
        recording.attempts += 1
        recording.next_attempt_at = now + backoff(recording.attempts)
        recording.last_error = error
        session.commit()
        log.warning("recording %s: %s; will try again", recording.sid, error)
        return False

    def forget(self, sid: str) -> str | None:
        """Delete recording ``sid`` at Twilio; None when done (or already gone), else why not."""
        try:
            self.client.recordings(sid).delete()
        except TwilioRestException as error:
            if error.status == 404:
                return None
            return f"twilio delete: {_why(error)}"
        except Exception as error:
            return f"twilio delete: {_why(error)}"
        return None

    def _still_stored(self, recording: Recording) -> bool:
        try:
            return self.storage.size(recording.storage_key or "") == recording.size_bytes
        except (StorageError, ValueError):
            return False


def app_storage(app: Flask | None = None) -> Storage:
    """The application's recording storage, made once."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get(STORAGE_EXTENSION_KEY)
    if storage is None:
        storage = storage_from_config(app.config, app.instance_path)
        app.extensions[STORAGE_EXTENSION_KEY] = storage
    return storage


def _why(error: Exception) -> str:
    """A short reason for a failed Twilio request: its HTTP status, or the error's type."""
    if isinstance(error, TwilioRestException):
        return f"HTTP {error.status}"
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__
