"""Recordings copied home (152-FZ): download from Twilio, store, verify, then delete at Twilio.

Twilio keeps every ``<Record>`` in its own cloud until told otherwise, and a citizen's
recorded voice may not be stored abroad. So when the recording status callback says
``completed``, the service downloads the audio into its own :mod:`storage`, checks the
copy (size and SHA-256 read back), and only then deletes the recording at Twilio.

The download never holds up the webhook: it runs once the response has been sent
(``RECORDINGS_COPY=after_response``, the default), and ``flask --app app recordings sync``
retries whatever was left behind, with exponential backoff, and finds recordings whose
callback never came. A recording that cannot be fetched after ``RECORDINGS_MAX_ATTEMPTS``
tries is flagged for staff (state ``failed``), never dropped.

Logs name recording SIDs only: never a phone number or a recording URL.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, after_this_request, current_app
from sqlalchemy import orm
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from calllog.events import add_event
from calllog.storage import Storage, StorageError, storage_from_config
from calllog.twilio_rest import twilio_client
from db import get_session
from models import Call, Recording, RecordingKind, RecordingState
from office import get_office

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

#: Audio formats Twilio serves, with the suffix appended to ``RecordingUrl``.
FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav"}
COPY_MODES = ("after_response", "inline", "off")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
#: A recording this young may still get its callback; ``sync`` leaves it to the callback.
CALLBACK_GRACE = timedelta(minutes=10)
#: Seconds to wait on Twilio for the audio; well inside gunicorn's 30 s worker timeout.
DOWNLOAD_TIMEOUT_S = 20.0
STORAGE_EXTENSION_KEY = "recordings_storage"


class CopyError(Exception):
    """One try failed; the message is short and names no personal data."""


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th try: 1 min, 2, 4 … at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)


class BinarySafeHttpClient(TwilioHttpClient):
    """The twilio library's HTTP client, able to bring audio home unharmed.

    ``twilio.http.response.Response`` carries text: the library decodes every body, which
    would mangle MP3 or WAV bytes. A response hook makes requests decode non-text bodies as
    Latin-1, which maps each byte to one character, so :func:`body_bytes` gets the exact
    bytes back. JSON and other text answers are decoded as usual.
    """

    def __init__(self, timeout: float | None = DOWNLOAD_TIMEOUT_S) -> None:
        super().__init__(
            timeout=timeout,
            logger=_http_log,
            request_hooks={"response": [_latin1_for_binary]},
        )


# The library logs every request's URL at INFO; recording URLs stay out of the log.
_http_log = logging.getLogger(f"{__name__}.http")
_http_log.setLevel(logging.WARNING)


def _latin1_for_binary(response: Any, *args: Any, **kwargs: Any) -> Any:
    content_type = response.headers.get("Content-Type", "").lower()
    if not content_type.startswith(("application/json", "text/", "application/xml")):
        response.encoding = "latin-1"
    return response


def body_bytes(content: bytes | str) -> bytes:
    """The response body as bytes (see :class:`BinarySafeHttpClient`)."""
    if isinstance(content, bytes):
        return content
    try:
        return content.encode("latin-1")
    except UnicodeEncodeError:
        raise CopyError("download: the body is text, not audio") from None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def looks_like(fmt: str, data: bytes) -> bool:
    """Whether ``data`` starts as an MP3 or WAV file does (not an error page or JSON)."""
    if fmt == "wav":
        return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    return data[:3] == b"ID3" or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def media_url(recording: Recording, account_sid: str, fmt: str) -> str:
    """Where Twilio serves the audio: ``RecordingUrl`` + ``.mp3`` or ``.wav``.

    The account credentials go with the request, so only a Twilio API address for this very
    recording is trusted; anything else gives way to the canonical address.
    """
    canonical = (
        f"https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Recordings/{recording.sid}"
    )
    url = recording.twilio_url or ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = re.sub(r"\.(mp3|wav|json)$", "", parts.path)
    trusted = (
        parts.scheme == "https"
        and (host == "api.twilio.com" or host.endswith(".twilio.com"))
        and path.endswith(f"/Recordings/{recording.sid}")
        and not parts.query
        and not parts.username
    )
    base = f"https://{parts.netloc}{path}" if trusted else canonical
    return f"{base}.{fmt}"


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
        recording.next_attempt_at = None
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


# --- after the recording status callback ---------------------------------------------------


class HasAfterCommit(Protocol):
    params: dict[str, str]
    after_commit: list[Callable[[], object]]


def copy_after_commit(turn: HasAfterCommit) -> None:
    """Called by a recording status callback view: copy the recording once committed."""
    params = dict(turn.params)
    turn.after_commit.append(lambda: copy_soon(params))


def copy_soon(params: Mapping[str, str]) -> None:
    """After the callback's commit: copy the recording it names, without holding up Twilio.

    ``after_response`` runs the copy once the response has been sent (werkzeug's
    ``call_on_close``), ``inline`` runs it now (tests, demos), ``off`` leaves it to
    ``recordings sync``. A callback saying ``failed`` flags the recording for staff.
    """
    sid = params.get("RecordingSid", "")
    status = params.get("RecordingStatus", "")
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


def app_storage(app: Flask | None = None) -> Storage:
    """The application's recording storage, made once."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get(STORAGE_EXTENSION_KEY)
    if storage is None:
        storage = storage_from_config(app.config, app.instance_path)
        app.extensions[STORAGE_EXTENSION_KEY] = storage
    return storage


# --- recordings sync -------------------------------------------------------------------------


@dataclass
class SyncReport:
    found: int = 0  # on Twilio, no row here: the callback never came
    copied: int = 0
    deleted: int = 0  # Twilio copies deleted
    failed: int = 0  # newly flagged for staff
    retried: int = 0  # failed ones made pending again (--retry-failed)
    waiting: int = 0  # still pending, to be tried later
    unknown: int = 0  # on Twilio for calls this service does not know (yet)
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.found + self.copied + self.deleted + self.failed + self.retried


def sync(
    session: orm.Session,
    now: datetime,
    copier: Copier,
    *,
    lookback_days: int = 30,
    retry_failed: bool = False,
) -> SyncReport:
    """Bring home whatever is left behind; idempotent (a second run changes nothing).

    1. Ask Twilio for the recordings it still holds (created in the last ``lookback_days``;
       0: all) and add a row for each completed one of a known call that has none.
    2. Copy every pending recording whose next try is due (and each left without a try
       for longer than the callback grace), deleting it at Twilio once stored.
    3. Delete at Twilio the stored recordings whose deletion failed before, and those
       Twilio still lists.
    """
    report = SyncReport()
    still_listed = _find_at_twilio(session, now, copier, lookback_days, report)
    if retry_failed:
        report.retried = _retry_failed(session, now)
    due = sa.or_(
        Recording.next_attempt_at <= now,
        sa.and_(Recording.next_attempt_at.is_(None), Recording.created_at <= now - CALLBACK_GRACE),
    )
    pending = session.scalars(
        sa.select(Recording.id)
        .where(Recording.state == RecordingState.PENDING, due)
        .order_by(Recording.id)
    ).all()
    for recording_id in pending:
        recording = session.get(Recording, recording_id)
        if recording is None:
            continue
        if copier.copy_home(session, recording, now):
            report.copied += 1
            if recording.deleted_from_twilio_at == now:
                report.deleted += 1
        elif recording.state is RecordingState.FAILED:
            report.failed += 1
    undeleted = session.scalars(
        sa.select(Recording)
        .where(
            Recording.state == RecordingState.STORED,
            sa.or_(
                Recording.id.in_(still_listed),
                sa.and_(
                    Recording.deleted_from_twilio_at.is_(None),
                    sa.or_(Recording.next_attempt_at.is_(None), Recording.next_attempt_at <= now),
                ),
            ),
        )
        .order_by(Recording.id)
    ).all()
    for recording in undeleted:
        if recording.id in still_listed:
            recording.deleted_from_twilio_at = None
        if copier.delete_at_twilio(session, recording, now):
            report.deleted += 1
    report.waiting = (
        session.scalar(
            sa.select(sa.func.count(Recording.id)).where(Recording.state == RecordingState.PENDING)
        )
        or 0
    )
    session.commit()
    return report


def _find_at_twilio(
    session: orm.Session, now: datetime, copier: Copier, lookback_days: int, report: SyncReport
) -> set[int]:
    """Rows for Twilio's recordings that have none; the ids of stored ones still listed."""
    # In UTC: the twilio library writes the datetime as it is, with a "Z" after it.
    since = (now - timedelta(days=lookback_days)).astimezone(UTC) if lookback_days > 0 else None
    try:
        listed = copier.client.recordings.list(date_created_after=since, page_size=1000)
    except Exception as error:
        report.errors.append(f"listing recordings at Twilio failed: {_why(error)}")
        return set()
    still_listed: set[int] = set()
    for item in listed:
        sid = item.sid or ""
        if item.status != "completed" or not RECORDING_SID.fullmatch(sid):
            continue
        recording = session.scalar(sa.select(Recording).where(Recording.sid == sid))
        if recording is not None:
            if recording.state is RecordingState.STORED:
                still_listed.add(recording.id)
            continue
        created = item.date_created or now
        if created > now - CALLBACK_GRACE:
            continue  # its callback may be on the way
        call = session.scalar(sa.select(Call).where(Call.sid == (item.call_sid or "")))
        if call is None:
            report.unknown += 1
            continue
        if _add_found(session, call, sid, item, created, now):
            report.found += 1
    if report.unknown:
        log.warning(
            "%d recording(s) at Twilio belong to calls not in the database "
            "(spooled, or another application's)",
            report.unknown,
        )
    return still_listed


def _why(error: Exception) -> str:
    """A short reason for a failed Twilio request: its HTTP status, or the error's type."""
    if isinstance(error, TwilioRestException):
        return f"HTTP {error.status}"
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


def _add_found(
    session: orm.Session, call: Call, sid: str, item: Any, created: datetime, now: datetime
) -> bool:
    try:
        duration = max(0, int(item.duration or 0))
    except ValueError:
        duration = 0
    recording = Recording(
        sid=sid,
        kind=RecordingKind.MESSAGE,
        twilio_url=None,
        duration_s=duration,
        state=RecordingState.PENDING,
        created_at=created,
        next_attempt_at=now,
    )
    try:
        with session.begin_nested():
            recording.call = call
            session.add(recording)
            add_event(call, "recording_found", sid, now)
    except sa.exc.IntegrityError:
        return False  # the callback arrived meanwhile
    session.commit()
    log.warning("recording %s had no callback: found at Twilio, copying it", sid)
    return True


def _retry_failed(session: orm.Session, now: datetime) -> int:
    count = session.execute(
        sa.update(Recording)
        .where(Recording.state == RecordingState.FAILED)
        .values(state=RecordingState.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return count
