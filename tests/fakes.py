"""A fake twilio ``HttpClient``: Twilio's REST API answered in-process, every request kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass
class FakeTwilioHttp(HttpClient):
    """Answers by URL suffix; ``routes`` maps ``(method, suffix)`` to a handler."""

    requests: list[SentRequest] = field(default_factory=list)
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # E.164 -> PN sid

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
        self.requests.append(SentRequest(method, url, params, data))
        path = url.split("?")[0]
        for (route_method, suffix), handler in self.routes.items():
            if route_method == method and path.endswith(suffix):
                return handler(method, path, params | data)
        if path.endswith("/IncomingPhoneNumbers.json") and method == "GET":
            return self._list_numbers(params)
        if "/IncomingPhoneNumbers/" in path and method == "POST":
            sid = path.rsplit("/", 1)[1].removesuffix(".json")
            number = next(n for n, s in self.numbers.items() if s == sid)
            return _json(200, _number(sid, number) | _snake(data))
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
            _number(sid, number) for number, sid in self.numbers.items() if wanted in (None, number)
        ]
        return _json(200, {"incoming_phone_numbers": records, "next_page_uri": None})

    def sent(self, method: str, suffix: str) -> list[SentRequest]:
        return [r for r in self.requests if r.method == method and r.url.endswith(suffix)]


def _number(sid: str, number: str) -> dict[str, Any]:
    return {"sid": sid, "phone_number": number, "account_sid": "AC" + "1" * 32}


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_"): value
        for key, value in data.items()
    }


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, json.dumps(body))
