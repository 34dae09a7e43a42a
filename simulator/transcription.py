"""Twilio's live transcription (``<Start><Transcription>``), as its status callbacks.

Twilio forks the caller's audio to a speech recogniser and posts its events to the
``statusCallbackUrl``: ``transcription-started``, one ``transcription-content`` per
final utterance (``TranscriptionData`` = ``{"transcript", "confidence"}``),
``transcription-stopped`` on ``<Stop>`` or at the end of the call, or
``transcription-error``. A test scripts what the caller says (``call.record(...,
words=…)``); the events join the call's other callbacks, so they can be delivered late,
reordered or twice like every asynchronous callback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from simulator.callbacks import CallbackQueue, PendingCallback, rfc2822
from simulator.leg import Leg
from simulator.twiml import StartTranscription, StopTranscription
from simulator.webhooks import new_sid

#: Twilio's error for a transcription the provider could not carry on with (a sample).
PROVIDER_ERROR = "32655"
SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")


@dataclass
class _Session:
    start: StartTranscription
    url: str
    sid: str = field(default_factory=lambda: new_sid("GT"))
    sequence: int = 0


class LiveTranscription:
    """The live transcriptions running on one call."""

    def __init__(self, leg: Leg, queue: CallbackQueue, account_sid: str, call_sid: str) -> None:
        self.leg = leg
        self.queue = queue
        self.account_sid = account_sid
        self.call_sid = call_sid
        self.active: dict[str, _Session] = {}
        self.started: list[StartTranscription] = []

    def follow_twiml(self) -> None:
        """Act on the ``<Start>``/``<Stop>`` the call's TwiML executed since last time."""
        verbs, self.leg.transcription_verbs = self.leg.transcription_verbs, []
        for verb in verbs:
            if isinstance(verb, StartTranscription):
                self.started.append(verb)
                if verb.status_callback_url and verb.name not in self.active:
                    session = _Session(verb, self.leg.resolve(verb.status_callback_url))
                    self.active[verb.name] = session
                    self._event(session, "transcription-started", ProviderName="Google")
            elif isinstance(verb, StopTranscription):
                self._stop(verb.name)
        if self.leg.ended:
            for name in list(self.active):
                self._stop(name)

    def hear(self, words: str, confidence: float) -> None:
        """The caller says ``words``: one final utterance per sentence, on every
        transcription of the caller's side."""
        utterances = [part.strip() for part in SENTENCE.findall(words) if part.strip()]
        for session in self.active.values():
            if session.start.track not in ("inbound_track", "both_tracks"):
                continue
            for text in utterances:
                data = json.dumps({"transcript": text, "confidence": confidence})
                self._event(
                    session,
                    "transcription-content",
                    LanguageCode=session.start.language_code,
                    Track="inbound_track",
                    TranscriptionData=data,
                    Final="true",
                )

    def fail(self, code: str = PROVIDER_ERROR) -> None:
        """The recogniser gives up: an error event, and that transcription ends."""
        for name, session in list(self.active.items()):
            self._event(
                session,
                "transcription-error",
                TranscriptionError="Transcription provider error",
                TranscriptionErrorCode=code,
            )
            del self.active[name]

    def _stop(self, name: str) -> None:
        session = self.active.pop(name, None)
        if session is not None:
            self._event(session, "transcription-stopped")

    def _event(self, session: _Session, event: str, **extra: str) -> None:
        session.sequence += 1
        moment = self.queue.started_at
        params = [
            ("AccountSid", self.account_sid),
            ("CallSid", self.call_sid),
            ("TranscriptionSid", session.sid),
            ("Timestamp", rfc2822(moment)),
            ("TranscriptionEvent", event),
            ("SequenceId", str(session.sequence)),
            *extra.items(),
        ]
        self.queue.queue(
            PendingCallback("transcription", session.start.method, session.url, params)
        )
