"""A fake twilio ``HttpClient``: Twilio's REST API answered in-process, every request kept."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response

Handler = Callable[[str, str, dict[str, Any]], Response]


@dataclass
class SentRequest:
    method: str
    url: str
    params: dict[str, Any]
    data: dict[str, Any]
    auth: Any = None


RECORDING_MEDIA = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})\.(mp3|wav)$")
RECORDING_JSON = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})\.json$")
MESSAGING_SERVICE = re.compile(r"/v1/Services/(MG[0-9a-fA-F]{32})$")


def fake_audio(fmt: str = "mp3", size: int = 4000, seed: int = 1) -> bytes:
    """Bytes that start as an MP3 (ID3 tag) or WAV (RIFF/WAVE header) does."""
    body = bytes((seed * 31 + index * 7) % 256 for index in range(size))
    if fmt == "wav":
        return b"RIFF" + (size + 4).to_bytes(4, "little") + b"WAVE" + body
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + body


@dataclass
class FakeRecording:
    """A recording Twilio holds: listed by the Recordings API until it is deleted."""

    sid: str
    call_sid: str = ""
    audio: bytes = field(default_factory=fake_audio)
    duration: int = 10
    status: str = "completed"
    date_created: datetime | None = None


@dataclass
class FakeTwilioHttp(HttpClient):
    """Answers by URL suffix; ``routes`` maps ``(method, suffix)`` to a handler."""

    requests: list[SentRequest] = field(default_factory=list)
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # E.164 -> PN sid
    verified_caller_ids: list[str] = field(default_factory=list)  # E.164, OutgoingCallerIds
    without_sms: set[str] = field(default_factory=set)  # numbers of ``numbers`` for voice only
    messaging_services: list[str] = field(default_factory=list)  # MG sids of the account
    # Recordings: those Twilio holds (listed until deleted); ``any_audio`` is served for a
    # recording the fake was not told about (the simulator's), which is then held too.
    recordings: dict[str, FakeRecording] = field(default_factory=dict)
    any_audio: bytes | None = None
    deleted: list[str] = field(default_factory=list)
    # The next media downloads and deletes fail with these: an HTTP status, or
    # ``"truncated"`` (half the body, with the full Content-Length).
    media_faults: list[int | str] = field(default_factory=list)
    delete_faults: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logger=None, is_async=False)

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        params = dict(params or {})
        data = dict(data or {})
        self.requests.append(SentRequest(method, url, params, data, auth))
        path = url.split("?")[0]
        for (route_method, suffix), handler in self.routes.items():
            if route_method == method and path.endswith(suffix):
                return handler(method, path, params | data)
        if method == "GET" and (media := RECORDING_MEDIA.search(path)):
            return self._media(media[1], media[2])
        if method == "DELETE" and (resource := RECORDING_JSON.search(path)):
            return self._delete_recording(resource[1])
        if method == "GET" and path.endswith("/Recordings.json"):
            return self._list_recordings(params)
        if path.endswith("/IncomingPhoneNumbers.json") and method == "GET":
            return self._list_numbers(params)
        if path.endswith("/OutgoingCallerIds.json") and method == "GET":
            return self._list_caller_ids(params)
        if "/IncomingPhoneNumbers/" in path and method == "POST":
            sid = path.rsplit("/", 1)[1].removesuffix(".json")
            number = next(n for n, s in self.numbers.items() if s == sid)
            return _json(200, self._number(sid, number) | _snake(data))
        if (service := MESSAGING_SERVICE.search(path)) and method == "GET":
            return self._messaging_service(service[1])
        if path.endswith("/Calls.json") and method == "POST":
            return _json(201, {"sid": "CA" + "f" * 32, "status": "queued"})
        if path.endswith("/Messages.json") and method == "POST":
            return _json(
                201, {"sid": "SM" + "f" * 32, "status": "queued", "body": data.get("Body")}
            )
        return _json(404, {"code": 20404, "message": "not found", "status": 404})

    def _list_numbers(self, params: dict[str, Any]) -> Response:
        wanted = params.get("PhoneNumber")
        records = [
            self._number(sid, number)
            for number, sid in self.numbers.items()
            if wanted in (None, number)
        ]
        return _json(200, {"incoming_phone_numbers": records, "next_page_uri": None})

    def _number(self, sid: str, number: str) -> dict[str, Any]:
        sms = number not in self.without_sms
        return {
            "sid": sid,
            "phone_number": number,
            "account_sid": "AC" + "1" * 32,
            "capabilities": {"voice": True, "sms": sms, "mms": sms, "fax": False},
        }

    def _messaging_service(self, sid: str) -> Response:
        if sid not in self.messaging_services:
            return _error(404)
        return _json(200, {"sid": sid, "account_sid": "AC" + "1" * 32, "friendly_name": sid})

    def _list_caller_ids(self, params: dict[str, Any]) -> Response:
        wanted = params.get("PhoneNumber")
        records = [
            {"sid": f"PN{index:032x}", "phone_number": number, "friendly_name": number}
            for index, number in enumerate(self.verified_caller_ids, 1)
            if wanted in (None, number)
        ]
        return _json(200, {"outgoing_caller_ids": records, "next_page_uri": None})

    def sent(self, method: str, suffix: str) -> list[SentRequest]:
        return [r for r in self.requests if r.method == method and r.url.endswith(suffix)]

    def media_requests(self, sid: str | None = None) -> list[SentRequest]:
        return [
            r
            for r in self.requests
            if r.method == "GET"
            and (found := RECORDING_MEDIA.search(r.url)) is not None
            and sid in (None, found[1])
        ]

    def recording_deletes(self, sid: str | None = None) -> list[SentRequest]:
        return [
            r
            for r in self.requests
            if r.method == "DELETE"
            and (found := RECORDING_JSON.search(r.url)) is not None
            and sid in (None, found[1])
        ]

    def holds(self, sid: str) -> bool:
        """Whether Twilio still holds recording ``sid``."""
        return sid in self.recordings and sid not in self.deleted

    def _media(self, sid: str, fmt: str) -> Response:
        if sid not in self.recordings and sid not in self.deleted and self.any_audio is not None:
            self.recordings[sid] = FakeRecording(sid, audio=self.any_audio)
        if self.media_faults:
            fault = self.media_faults.pop(0)
            if fault == "truncated" and self.holds(sid):
                audio = self.recordings[sid].audio
                headers = {"Content-Type": _audio_type(fmt), "Content-Length": str(len(audio))}
                return Response(200, audio[: len(audio) // 2], headers)  # type: ignore[arg-type]
            return _error(int(fault))
        if not self.holds(sid):
            return _error(404)
        audio = self.recordings[sid].audio
        headers = {"Content-Type": _audio_type(fmt), "Content-Length": str(len(audio))}
        return Response(200, audio, headers)  # type: ignore[arg-type]

    def _delete_recording(self, sid: str) -> Response:
        if self.delete_faults:
            return _error(self.delete_faults.pop(0))
        if not self.holds(sid):
            return _error(404)
        self.deleted.append(sid)
        return Response(204, "")

    def _list_recordings(self, params: dict[str, Any]) -> Response:
        after = params.get("DateCreated>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        items = [
            _recording(recording)
            for recording in self.recordings.values()
            if self.holds(recording.sid)
            and params.get("CallSid") in (None, recording.call_sid)
            and (since is None or recording.date_created is None or recording.date_created >= since)
        ]
        return _json(200, {"recordings": items, "next_page_uri": None, "page_size": 1000})


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_"): value
        for key, value in data.items()
    }


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, json.dumps(body))


def _error(status: int) -> Response:
    return _json(status, {"code": 20000 + status, "message": "fake failure", "status": status})


def _audio_type(fmt: str) -> str:
    return "audio/x-wav" if fmt == "wav" else "audio/mpeg"


def _recording(recording: FakeRecording) -> dict[str, Any]:
    account = "AC" + "1" * 32
    return {
        "sid": recording.sid,
        "account_sid": account,
        "call_sid": recording.call_sid,
        "status": recording.status,
        "duration": str(recording.duration),
        "date_created": (
            format_datetime(recording.date_created.astimezone(UTC))
            if recording.date_created
            else None
        ),
        "uri": f"/2010-04-01/Accounts/{account}/Recordings/{recording.sid}.json",
    }
