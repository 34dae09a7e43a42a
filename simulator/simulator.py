"""The entry point: a :class:`Simulator` per application, one :class:`Call` per phone call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urljoin

from simulator.call import Call
from simulator.transport import Transport
from simulator.webhooks import API_VERSION, WebhookClient, new_sid


def inbound_params(
    account_sid: str, call_sid: str, from_: str, to: str, status: str = "ringing"
) -> dict[str, str]:
    """The parameters Twilio sends with every request of an inbound call."""
    return {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": to,
        "Caller": from_,
        "Direction": "inbound",
        "From": from_,
        "To": to,
    }


class Simulator:
    """Creates calls against one application, signing with ``auth_token``.

    ``base_url`` is the public URL Twilio calls (and signs); ``headers`` are added to every
    request (e.g. ``X-Forwarded-Proto``).  ``empty_recording_falls_through`` selects the legacy
    ``<Record>`` behaviour: a 0 s recording ended by silence skips the action.
    """

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        account_sid: str | None = None,
        base_url: str = "https://reception.example",
        *,
        headers: Mapping[str, str] | None = None,
        empty_recording_falls_through: bool = False,
    ) -> None:
        self.transport = transport
        self.auth_token = auth_token
        self.account_sid = account_sid or new_sid("AC")
        self.base_url = base_url
        self.headers = dict(headers or {})
        self.empty_recording_falls_through = empty_recording_falls_through

    def url(self, path: str) -> str:
        """The absolute public URL of ``path`` (absolute URLs pass through)."""
        return urljoin(self.base_url, path)

    def incoming_call(
        self,
        from_: str,
        to: str,
        *,
        voice_path: str = "/twilio/voice",
        status_path: str | None = "/twilio/status",
        fallback_path: str | None = None,
        voice_method: str = "POST",
        status_events: Iterable[str] = ("completed",),
        call_sid: str | None = None,
        **extra_params: str,
    ) -> Call:
        """A new inbound call from ``from_`` (any string: ``anonymous`` is passed through)."""
        params = {
            **inbound_params(self.account_sid, call_sid or new_sid("CA"), from_, to),
            **extra_params,
        }
        return Call(
            WebhookClient(self.transport, self.auth_token, self.headers),
            params,
            voice_url=self.url(voice_path),
            voice_method=voice_method,
            status_url=self.url(status_path) if status_path else None,
            fallback_url=self.url(fallback_path) if fallback_path else None,
            status_events=status_events,
            empty_recording_falls_through=self.empty_recording_falls_through,
        )
