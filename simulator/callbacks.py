"""Asynchronous callbacks (call status, recording status): queued, then delivered on demand.

Twilio sends these outside the call flow, may retry them (same ``I-Twilio-Idempotency-Token``)
and does not guarantee their order; tests reproduce that with ``shuffle`` and ``duplicate``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from simulator.transport import Reply
from simulator.webhooks import WebhookClient


@dataclass(frozen=True)
class PendingCallback:
    """A callback Twilio has queued; ``token`` stays the same across retries."""

    kind: str  # "status", "recording" or "transcription"
    method: str
    url: str
    params: list[tuple[str, str]]
    token: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def param(self) -> dict[str, str]:
        """The parameters as a dict, for assertions."""
        return dict(self.params)


def rfc2822(moment: datetime) -> str:
    """``Tue, 28 Apr 2020 16:50:26 +0000`` as in Twilio's ``Timestamp``."""
    return format_datetime(moment.astimezone(UTC))


class CallbackQueue:
    """Callbacks waiting to be delivered, plus the call's status ``SequenceNumber`` counter."""

    def __init__(self, webhooks: WebhookClient, started_at: datetime | None = None) -> None:
        self.webhooks = webhooks
        self.started_at = started_at or datetime.now(UTC)
        self.pending: list[PendingCallback] = []
        self.delivered: list[PendingCallback] = []
        self.next_sequence_number = 0

    def queue(self, callback: PendingCallback) -> PendingCallback:
        self.pending.append(callback)
        return callback

    def queue_status(
        self,
        url: str,
        base_params: list[tuple[str, str]],
        status: str,
        elapsed_seconds: float,
        extra: dict[str, str] | None = None,
    ) -> PendingCallback:
        """A call-progress event with the next ``SequenceNumber`` (starting at 0)."""
        params = [(name, value) for name, value in base_params if name != "CallStatus"]
        params.append(("CallStatus", status))
        moment = self.started_at + timedelta(seconds=elapsed_seconds)
        params += [
            ("Timestamp", rfc2822(moment)),
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", str(self.next_sequence_number)),
        ]
        params += list((extra or {}).items())
        self.next_sequence_number += 1
        return self.queue(PendingCallback("status", "POST", url, params))

    def deliver(
        self,
        shuffle: bool = False,
        duplicate: bool = False,
        rng: random.Random | None = None,
    ) -> list[Reply | None]:
        """Send every pending callback; optionally reordered and each sent twice."""
        batch = list(self.pending)
        self.pending.clear()
        if duplicate:
            batch = [callback for callback in batch for _ in range(2)]
        if shuffle:
            (rng or random.Random()).shuffle(batch)
        replies: list[Reply | None] = []
        for callback in batch:
            replies.append(
                self.webhooks.deliver(
                    callback.method, callback.url, callback.params, callback.token
                )
            )
            self.delivered.append(callback)
        return replies
