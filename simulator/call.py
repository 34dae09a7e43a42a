"""The call driver: one inbound call, driven by a test the way a caller and Twilio would."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import TypeVar

from simulator.callbacks import CallbackQueue, PendingCallback
from simulator.inputs import HANGUP, collect_digits, record_outcome
from simulator.leg import END_OF_DOCUMENT, Clock, Leg, Utterance
from simulator.screening import screen
from simulator.transcription import PROVIDER_ERROR, LiveTranscription
from simulator.transport import Reply
from simulator.twiml import Dial, Gather, Number, Record
from simulator.webhooks import Exchange, TwilioError, WebhookClient, new_sid

RECORDINGS_URL = "https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{sid}"
#: Status callback event names (TwiML spelling) -> the CallStatus they are sent with.
STATUS_EVENTS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}
DIAL_FAILURES = ("no-answer", "busy", "failed", "canceled")

V = TypeVar("V", Gather, Record, Dial)


class CallStateError(RuntimeError):
    """The test gave input the call is not waiting for."""


class Call:
    """An inbound call. Create it with :meth:`Simulator.incoming_call`, then :meth:`start`."""

    def __init__(
        self,
        webhooks: WebhookClient,
        params: dict[str, str],
        voice_url: str,
        voice_method: str = "POST",
        status_url: str | None = None,
        fallback_url: str | None = None,
        status_events: Iterable[str] = ("completed",),
        empty_recording_falls_through: bool = False,
    ) -> None:
        self.sid = params["CallSid"]
        self.account_sid = params["AccountSid"]
        self.webhooks = webhooks
        self.clock = Clock()
        self.leg = Leg(webhooks, self.clock, params, fallback_url)
        self.queue = CallbackQueue(webhooks)
        self.transcription = LiveTranscription(self.leg, self.queue, self.account_sid, self.sid)
        self.voice_url, self.voice_method = voice_url, voice_method
        self.status_url = status_url
        self.status_events = frozenset(status_events)
        self.empty_recording_falls_through = empty_recording_falls_through
        self.staff_utterances: list[Utterance] = []
        self.started = False
        self._mark = 0
        self._final_status_queued = False

    # --- what a test looks at -------------------------------------------------------------

    @property
    def said(self) -> list[str]:
        """Everything the caller heard: Say texts, and ``[play url]`` for Play."""
        return [utterance.text for utterance in self.leg.utterances]

    @property
    def last_said(self) -> str:
        """What the caller heard since the previous input (or since the call started)."""
        return " ".join(self.said[self._mark :])

    @property
    def utterances(self) -> list[Utterance]:
        """Like :attr:`said`, with the voice and language of each Say."""
        return list(self.leg.utterances)

    @property
    def staff_said(self) -> list[str]:
        """What the staff member heard on ``<Number url>`` screening legs."""
        return [utterance.text for utterance in self.staff_utterances]

    @property
    def waiting_for(self) -> str | None:
        """``"gather"``, ``"record"``, ``"dial"``, or ``None`` once the call has ended."""
        return self.leg.waiting_for

    @property
    def waiting(self) -> Gather | Record | Dial | None:
        """The verb waiting for input, with its attributes."""
        return self.leg.waiting

    @property
    def ended(self) -> bool:
        return self.leg.ended

    @property
    def end_reason(self) -> str | None:
        """``end-of-document``, ``hangup-verb``, ``caller-hangup``, ``rejected`` or ``error``."""
        return self.leg.end_reason

    @property
    def duration(self) -> int:
        """Simulated call seconds, as reported in ``CallDuration``."""
        return round(self.clock.seconds) if self.leg.answered else 0

    @property
    def document_url(self) -> str:
        return self.leg.document_url

    @property
    def log(self) -> list[Exchange]:
        return self.webhooks.log

    @property
    def errors(self) -> list[TwilioError]:
        return self.webhooks.errors

    @property
    def callbacks(self) -> list[PendingCallback]:
        """Asynchronous callbacks queued and not yet delivered."""
        return self.queue.pending

    # --- driving the call -----------------------------------------------------------------

    def start(self) -> Call:
        """Request the voice URL and run its TwiML until input is needed or the call ends."""
        if self.started:
            raise CallStateError("the call has already started")
        self.started = True
        for event in ("initiated", "ringing"):
            if event in self.status_events:
                self.queue_status(STATUS_EVENTS[event], elapsed=0)
        self.leg.open(self.voice_url, self.voice_method)
        if self.leg.answered and self.status_events & {"answered", "in-progress"}:
            self.queue_status("in-progress", elapsed=0)
        return self._step_done()

    def press(self, keys: str) -> Call:
        """Type ``keys`` into the current ``<Gather>`` (may include the finish key)."""
        gather = self._expect(Gather)
        result = collect_digits(gather, keys)
        self.clock.advance(result.seconds)
        self.leg.submit_gather(gather, {"Digits": result.digits})
        return self._step_done()

    def silence(self) -> Call:
        """Say nothing until the ``<Gather>`` times out."""
        return self.press("")

    def speak(self, text: str, confidence: float = 0.9) -> Call:
        """Answer a speech ``<Gather>`` with ``SpeechResult`` (ignored if it takes only DTMF)."""
        gather = self._expect(Gather)
        self.clock.advance(len(text) / 12 + gather.timeout)
        extra = {"SpeechResult": "", "Confidence": ""}
        if "speech" in gather.input.split() and text:
            extra = {"SpeechResult": text, "Confidence": f"{confidence:.2f}"}
        self.leg.submit_gather(gather, extra)
        return self._step_done()

    def record(
        self,
        seconds: int = 10,
        finish: str = "#",
        *,
        words: str = "",
        confidence: float = 0.92,
        transcription_fails: bool = False,
    ) -> Call:
        """Speak for ``seconds``, then ``finish``: a key, ``"timeout"`` or ``"hangup"``.

        ``words`` is what the caller says, heard by any live transcription running (one
        utterance per sentence, at ``confidence``); ``transcription_fails`` makes the
        recogniser send an error event instead.
        """
        record = self._expect(Record)
        result = record_outcome(record, seconds, finish)
        self.clock.advance(result.seconds)
        if transcription_fails:
            self.transcription.fail(PROVIDER_ERROR)
        elif words and result.duration:
            self.transcription.hear(words, confidence)
        callback = self.leg.resolve(record.recording_status_callback)
        events = record.recording_status_callback_event
        empty = result.duration == 0 and result.digits is None
        if empty and self.empty_recording_falls_through:
            if record.recording_status_callback and "absent" in events:
                self._queue_recording(record, callback, "absent", new_sid("RE"), 0)
            self.leg.fall_through()
            return self._step_done()
        sid = new_sid("RE")
        url = RECORDINGS_URL.format(account=self.account_sid, sid=sid)
        if record.recording_status_callback:
            if "in-progress" in events:
                self._queue_recording(record, callback, "in-progress", sid, None)
            status = "absent" if result.duration == 0 and "absent" in events else "completed"
            if status in events:
                self._queue_recording(record, callback, status, sid, result.duration)
        extra = {
            "RecordingUrl": url,
            "RecordingSid": sid,
            "RecordingDuration": str(result.duration),
        }
        if result.digits is not None:
            extra["Digits"] = result.digits
        action = self.leg.resolve(record.action)
        if result.hung_up:
            self.leg.hang_up()
            self.leg.notify_after_hangup(action, record.method, extra)
        else:
            self.leg.submit(action, record.method, extra)
        return self._step_done()

    def dial(
        self,
        answer: bool = False,
        *,
        status: str = "no-answer",
        staff_keys: str | list[str] | None = None,
        talk_seconds: int = 30,
        answered_by: int = 0,
        caller_hangs_up: bool = False,
        answered_as: str = "human",
        amd_late: bool = False,
    ) -> Call:
        """Finish the current ``<Dial>``.

        Not answered: ``DialCallStatus=status`` (``no-answer``, ``busy``, ``failed``,
        ``canceled``).  Answered by ``<Number>`` ``answered_by``: its ``url`` runs on a child
        leg where ``staff_keys`` answer its Gathers in turn (a list for several Gathers); if that
        TwiML ends without ``<Hangup>`` the parties are bridged for ``talk_seconds``
        (``completed``), otherwise the staff member (or a voicemail) declined: the leg was
        answered, so Twilio reports ``completed`` too, with the screening's seconds as
        ``DialCallDuration``; only the service's own record tells the two apart.
        ``caller_hangs_up`` ends the call during the bridge: the action is still requested but
        its TwiML is not executed.

        A ``<Number machineDetection=…>`` answered is detected as ``answered_as`` (``human``,
        ``machine_start``, ``machine_end_beep``, ``fax``, ``unknown``…): Twilio posts
        ``AnsweredBy`` to its ``amdStatusCallback`` a few seconds after the answer, before the
        Dial action, or left among the pending callbacks with ``amd_late``.
        """
        dial = self._expect(Dial)
        if status not in DIAL_FAILURES:
            raise ValueError(f"status must be one of {DIAL_FAILURES}")
        numbers = dial.numbers or (Number(""),)
        child_sid = new_sid("CA")
        accepted = False
        screened_seconds: int | None = None
        if answer:
            number = numbers[answered_by]
            if number.url:
                began = self.clock.seconds
                screening = screen(self.leg, dial, number, child_sid, staff_keys)
                self.staff_utterances.extend(screening.utterances)
                accepted = screening.end_reason == END_OF_DOCUMENT
                screened_seconds = round(self.clock.seconds - began)
            else:
                accepted = True
            if number.machine_detection and number.amd_status_callback:
                detection = self._detection(number, child_sid, answered_as)
                if not amd_late:
                    self.queue.pending.remove(detection)
                    self.leg.webhooks.deliver(
                        detection.method, detection.url, detection.params, detection.token
                    )
                    self.queue.delivered.append(detection)
        elif status == "no-answer":
            self.clock.advance(dial.timeout)
        extra = {"DialCallStatus": status, "DialCallSid": child_sid}
        if accepted:
            extra |= {"DialCallStatus": "completed", "DialCallDuration": str(talk_seconds)}
            self.clock.advance(talk_seconds)
        elif screened_seconds is not None:  # answered, then declined on the screening
            extra |= {"DialCallStatus": "completed", "DialCallDuration": str(screened_seconds)}
        action = self.leg.resolve(dial.action) if dial.action else None
        if caller_hangs_up:
            self.leg.hang_up()
            if action:
                self.leg.notify_after_hangup(action, dial.method, extra)
        elif action:
            self.leg.submit(action, dial.method, extra)
        else:
            self.leg.fall_through()
        return self._step_done()

    def hangup(self) -> Call:
        """The caller hangs up now (during ``<Record>``: the action gets ``Digits=hangup``)."""
        if not self.started:
            raise CallStateError("call.start() first")
        if isinstance(self.leg.waiting, Record):
            return self.record(0, HANGUP)
        self.leg.hang_up()
        return self._step_done()

    # --- asynchronous callbacks -----------------------------------------------------------

    def queue_status(
        self, status: str, elapsed: float | None = None, **extra: str
    ) -> PendingCallback | None:
        """Queue a call-progress event to the status URL with the next ``SequenceNumber``."""
        if not self.status_url:
            return None
        seconds = self.clock.seconds if elapsed is None else elapsed
        params = list(self.leg.params.items())
        return self.queue.queue_status(self.status_url, params, status, seconds, extra)

    def deliver_callbacks(
        self, shuffle: bool = False, duplicate: bool = False, rng: random.Random | None = None
    ) -> list[Reply | None]:
        """Deliver pending callbacks, optionally reordered and each twice (same token)."""
        return self.queue.deliver(shuffle=shuffle, duplicate=duplicate, rng=rng)

    def finish(
        self, shuffle: bool = False, duplicate: bool = False, rng: random.Random | None = None
    ) -> list[Reply | None]:
        """Hang up if still connected, then deliver every pending callback."""
        if not self.started:
            raise CallStateError("call.start() first")
        if not self.ended:
            self.hangup()
        return self.deliver_callbacks(shuffle=shuffle, duplicate=duplicate, rng=rng)

    # --- internals ------------------------------------------------------------------------

    def _expect(self, kind: type[V]) -> V:
        if not self.started:
            raise CallStateError("call.start() first")
        if self.ended:
            raise CallStateError(f"the call has ended ({self.end_reason})")
        waiting = self.leg.waiting
        if not isinstance(waiting, kind):
            expected = kind.__name__.lower()
            raise CallStateError(f"the call is waiting for {self.waiting_for}, not {expected}")
        self._mark = len(self.leg.utterances)
        return waiting

    def _step_done(self) -> Call:
        self.transcription.follow_twiml()
        if self.leg.ended and not self._final_status_queued and "completed" in self.status_events:
            self._final_status_queued = True
            minutes = max(1, math.ceil(self.duration / 60)) if self.leg.answered else 0
            extra = {"CallDuration": str(self.duration), "Duration": str(minutes)}
            self.queue_status(self.leg.final_status, **extra)
        return self

    def _detection(self, number: Number, child_sid: str, answered_as: str) -> PendingCallback:
        """Queue the answering machine detection callback of an answered ``<Number>``."""
        params = [
            ("AccountSid", self.account_sid),
            ("CallSid", child_sid),
            ("AnsweredBy", answered_as),
            ("MachineDetectionDuration", "2300"),
        ]
        url = self.leg.resolve(number.amd_status_callback)
        return self.queue.queue(
            PendingCallback("amd", number.amd_status_callback_method, url, params)
        )

    def _queue_recording(
        self, record: Record, url: str, status: str, sid: str, duration: int | None
    ) -> None:
        """Queue a recording status callback (no duration while still ``in-progress``)."""
        params = [
            ("AccountSid", self.account_sid),
            ("CallSid", self.sid),
            ("RecordingSid", sid),
            ("RecordingUrl", RECORDINGS_URL.format(account=self.account_sid, sid=sid)),
            ("RecordingStatus", status),
            ("RecordingChannels", "1"),
            ("RecordingSource", "RecordVerb"),
        ]
        if duration is not None:
            params.insert(5, ("RecordingDuration", str(duration)))
        method = record.recording_status_callback_method.upper()
        self.queue.queue(PendingCallback("recording", method, url, params))
