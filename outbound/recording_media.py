"""The Twilio media side of copying recordings home: fetching a recording's audio intact.

Twilio serves a recording's audio at its ``RecordingUrl`` plus ``.mp3`` or ``.wav``, and the
twilio library's HTTP client would decode the audio as text: :class:`BinarySafeHttpClient`
and :func:`body_bytes` bring the exact bytes back, :func:`media_url` trusts only Twilio's own
address for the recording, and :func:`looks_like` tells audio from an error page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient

from models import Recording

#: Audio formats Twilio serves, with the suffix appended to ``RecordingUrl``.
FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav"}
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
#: Seconds to wait on Twilio for the audio; well inside gunicorn's 30 s worker timeout.
DOWNLOAD_TIMEOUT_S = 20.0


class CopyError(Exception):
    """One try failed; the message is short and names no personal data."""


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
