"""Twilio's side of one HTTP exchange: signing, idempotency tokens, redirects, reading TwiML."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

from simulator.transport import Reply, Transport
from simulator.twiml import Hangup, Play, Say, TwimlError, Verb, parse_document

API_VERSION = "2010-04-01"
MAX_BODY_BYTES = 64 * 1024
MAX_HTTP_REDIRECTS = 10
TWIML_MIMETYPES = frozenset({"text/xml", "application/xml", "text/html"})
USER_AGENT = "TwilioProxy/1.1"


def new_sid(prefix: str) -> str:
    """A Twilio SID: two-letter prefix + 32 hex digits (``CA…``, ``RE…``, ``AC…``)."""
    return prefix + secrets.token_hex(16)


def signature_url(url: str) -> str:
    """The URL Twilio signs: no fragment, no credentials, and no port for HTTPS voice URLs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None and parts.scheme != "https":
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


def with_query(url: str, params: list[tuple[str, str]]) -> str:
    """Append ``params`` to the query string, as Twilio does for GET requests."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


@dataclass(frozen=True)
class TwilioError:
    """An error Twilio would show in its Debugger for this call."""

    code: int | None
    message: str
    url: str

    def __str__(self) -> str:
        return f"{self.code or '-'} {self.message} ({self.url})"


class Exchange(NamedTuple):
    """One request as Twilio sent it and what came back (status 0: no answer)."""

    method: str
    url: str
    params: list[tuple[str, str]]
    status: int
    body: str


@dataclass(frozen=True)
class Fetched:
    """A TwiML document fetched from ``url`` (after any HTTP redirects)."""

    url: str
    verbs: list[Verb]


class WebhookClient:
    """Sends signed requests for one call and records the log and Twilio-side errors."""

    def __init__(
        self, transport: Transport, auth_token: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.extra_headers = dict(headers or {})
        self.log: list[Exchange] = []
        self.errors: list[TwilioError] = []

    def error(self, code: int | None, message: str, url: str) -> TwilioError:
        err = TwilioError(code, message, url)
        self.errors.append(err)
        return err

    def send(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        token: str | None = None,
    ) -> Reply | None:
        """One signed request; ``None`` if the server could not be reached (error 11205)."""
        url = urlunsplit(urlsplit(url)._replace(fragment=""))
        target = with_query(url, params) if method == "GET" else url
        signed_params = {} if method == "GET" else dict(params)
        headers = {
            **self.extra_headers,
            "User-Agent": USER_AGENT,
            "X-Twilio-Signature": self.validator.compute_signature(
                signature_url(target), signed_params
            ),
            "I-Twilio-Idempotency-Token": token or str(uuid.uuid4()),
        }
        try:
            if method == "GET":
                reply = self.transport.get(target, headers)
            else:
                reply = self.transport.post(target, params, headers)
        except OSError as exc:
            self.log.append(Exchange(method, url, list(params), 0, str(exc)))
            self.error(11205, f"connection failure: {exc}", url)
            return None
        self.log.append(Exchange(method, url, list(params), reply.status, reply.body))
        return reply

    def fetch_twiml(
        self,
        method: str,
        url: str,
        params: list[tuple[str, str]],
        input_names: frozenset[str] = frozenset(),
    ) -> Fetched | TwilioError:
        """Request TwiML, following HTTP redirects like Twilio.

        ``input_names`` are the caller's input parameters (``Digits``…) of an action request: a
        3xx answer to it is recorded as an error and the redirect is followed without them,
        which is how Twilio loses ``Digits``.
        """
        for hop in range(MAX_HTTP_REDIRECTS + 1):
            reply = self.send(method, url, params)
            if reply is None:
                return self.errors[-1]
            if 300 <= reply.status < 400 and reply.location:
                if input_names and hop == 0:
                    dropped = ", ".join(sorted(input_names & {name for name, _ in params}))
                    self.error(
                        11200,
                        f"action answered {reply.status}: Twilio follows it and drops {dropped}",
                        url,
                    )
                params = [(name, value) for name, value in params if name not in input_names]
                url = urljoin(url, reply.location)
                continue
            return self._read(url, reply)
        return self.error(11215, "too many HTTP redirects", url)

    def _read(self, url: str, reply: Reply) -> Fetched | TwilioError:
        if reply.status != 200:
            return self.error(11200, f"HTTP retrieval failure: status {reply.status}", url)
        if len(reply.body.encode("utf-8")) > MAX_BODY_BYTES:
            return self.error(11750, "TwiML response body too large (over 64 kB)", url)
        mimetype = reply.mimetype
        if mimetype.startswith("audio/"):
            return Fetched(url, [Play(url), Hangup()])
        if mimetype in TWIML_MIMETYPES or mimetype == "text/plain":
            try:
                return Fetched(url, parse_document(reply.body))
            except TwimlError as exc:
                if mimetype != "text/plain":
                    return self.error(exc.code, exc.message, url)
                # Twilio reads plain text that is not TwiML aloud, then hangs up.
                self.error(12300, "text/plain answer that is not TwiML was read aloud", url)
                return Fetched(url, [Say(reply.body.strip()), Hangup()])
        return self.error(12300, f"invalid content type {reply.content_type!r}", url)

    def deliver(
        self, method: str, url: str, params: list[tuple[str, str]], token: str
    ) -> Reply | None:
        """An asynchronous callback: 2xx expected, anything else is warning 15003."""
        reply = self.send(method, url, params, token=token)
        if reply is not None and not 200 <= reply.status < 300:
            self.error(15003, f"callback answered {reply.status}", url)
        return reply
