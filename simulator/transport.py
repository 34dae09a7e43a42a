"""How the simulator's requests reach the application: in-process or over HTTP.

A transport only moves bytes. Signing, logging and Twilio's reading of the answer live in
:mod:`simulator.webhooks`.  Both transports accept an optional ``base_url`` that replaces the
scheme and host of every URL *after* signing, so a request signed for the public URL
(``https://reception.example/...``) can be sent to ``http://127.0.0.1:8000`` (a gunicorn behind a
simulated TLS proxy, together with ``X-Forwarded-*`` headers added by the caller).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class Reply:
    """The application's HTTP answer."""

    status: int
    body: str
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``text/xml``)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def location(self) -> str | None:
        """The ``Location`` header of a redirect, if any."""
        for name, value in self.headers.items():
            if name.lower() == "location":
                return value
        return None


class Transport(Protocol):
    """Sends one request and returns the answer; never follows redirects."""

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        """POST ``params`` form-encoded to the absolute ``url``."""
        ...

    def get(self, url: str, headers: dict[str, str]) -> Reply:
        """GET the absolute ``url`` (its query string already holds the parameters)."""
        ...


def rebase(url: str, base_url: str | None) -> str:
    """Replace the scheme and host of ``url`` with those of ``base_url`` (if given)."""
    if not base_url:
        return url
    target, base = urlsplit(url), urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


def split_origin(url: str) -> tuple[str, str]:
    """``https://h:1/p?q`` -> (``https://h:1``, ``/p?q``)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return f"{parts.scheme}://{parts.netloc}", path


class FlaskTransport:
    """Drives a Flask test client so that ``request.url`` equals the signed absolute URL."""

    def __init__(self, client: Any, base_url: str | None = None) -> None:
        self.client = client
        self.base_url = base_url

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        origin, path = split_origin(rebase(url, self.base_url))
        response = self.client.post(
            path, base_url=origin, data=MultiDict(params), headers=headers, follow_redirects=False
        )
        return self._reply(response)

    def get(self, url: str, headers: dict[str, str]) -> Reply:
        origin, path = split_origin(rebase(url, self.base_url))
        response = self.client.get(path, base_url=origin, headers=headers, follow_redirects=False)
        return self._reply(response)

    @staticmethod
    def _reply(response: Any) -> Reply:
        return Reply(
            status=response.status_code,
            body=response.get_data(as_text=True),
            content_type=response.headers.get("Content-Type", ""),
            headers=dict(response.headers),
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back to the simulator, which follows them the way Twilio does."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpTransport:
    """Talks to a real server with :mod:`urllib` (one connection per request).

    Network failures propagate as :class:`OSError`; the simulator reports them as Twilio
    error 11205. ``timeout`` defaults to Twilio's 15 s limit per request.
    """

    def __init__(self, base_url: str | None = None, timeout: float = 15.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(self, url: str, params: list[tuple[str, str]], headers: dict[str, str]) -> Reply:
        data = urlencode(params).encode("utf-8")
        request_headers = {
            **headers,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        request = urllib.request.Request(
            rebase(url, self.base_url), data=data, headers=request_headers, method="POST"
        )
        return self._open(request)

    def get(self, url: str, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(rebase(url, self.base_url), headers=headers, method="GET")
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Reply:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return self._reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return self._reply(error.code, error.headers, error.read())

    @staticmethod
    def _reply(status: int, headers: Message, raw: bytes) -> Reply:
        charset = headers.get_content_charset() or "utf-8"
        return Reply(
            status=status,
            body=raw.decode(charset, errors="replace"),
            content_type=headers.get("Content-Type", ""),
            headers=dict(headers.items()),
        )
