"""Executing TwiML on one call leg, verb by verb, until input is needed or the leg ends."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from simulator.twiml import (
    Dial,
    Gather,
    Hangup,
    Pause,
    Play,
    Prompt,
    Record,
    Redirect,
    Reject,
    Say,
    StartTranscription,
    StopTranscription,
    Unsupported,
    Verb,
)
from simulator.webhooks import TwilioError, WebhookClient

MAX_REDIRECTS_IN_A_ROW = 10
CHARACTERS_PER_SECOND = 12
PLAY_SECONDS = 3
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."

#: Why a leg ended.
END_OF_DOCUMENT = "end-of-document"
HANGUP_VERB = "hangup-verb"
REJECTED = "rejected"
CALLER_HANGUP = "caller-hangup"
APPLICATION_FAILURE = "error"


class Clock:
    """Simulated seconds since the call was answered."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)


@dataclass(frozen=True)
class Utterance:
    """Something the leg heard: ``text`` is the Say text or ``[play url]``."""

    text: str
    voice: str | None = None
    language: str | None = None


class Leg:
    """One leg of a call (the caller's, or a ``<Dial>`` child leg) running TwiML.

    ``params`` are the standard parameters sent with every request of this leg; the leg updates
    ``CallStatus`` itself (``in-progress`` once answered, ``completed`` after a hang-up).
    """

    def __init__(
        self,
        webhooks: WebhookClient,
        clock: Clock,
        params: dict[str, str],
        fallback_url: str | None = None,
    ) -> None:
        self.webhooks = webhooks
        self.clock = clock
        self.params = params
        self.fallback_url = fallback_url
        self.utterances: list[Utterance] = []
        self.document_url = ""
        self.verbs: list[Verb] = []
        self.position = 0
        self.waiting: Gather | Record | Dial | None = None
        self.answered = False
        self.ended = False
        self.end_reason: str | None = None
        self.final_status = "completed"
        self.redirects_in_a_row = 0
        #: ``<Start>``/``<Stop>`` of live transcriptions executed, for the call to act on.
        self.transcription_verbs: list[StartTranscription | StopTranscription] = []

    @property
    def waiting_for(self) -> str | None:
        """``"gather"``, ``"record"``, ``"dial"`` or ``None`` (running or ended)."""
        return type(self.waiting).__name__.lower() if self.waiting else None

    def resolve(self, url: str | None) -> str:
        """An absolute URL for ``url`` relative to the current document (default: itself)."""
        return urljoin(self.document_url, url) if url else self.document_url

    def request_params(self, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
        return list(self.params.items()) + list((extra or {}).items())

    # --- flow control -------------------------------------------------------------------

    def open(self, url: str, method: str = "POST") -> None:
        """Request the leg's first document and run it."""
        if self._load(method, url):
            self.run()

    def submit(self, url: str, method: str, extra: dict[str, str]) -> None:
        """Request an action URL with the caller's input and continue with its answer."""
        self.waiting = None
        self.redirects_in_a_row = 0
        if self._load(method, url, extra):
            self.run()

    def fall_through(self) -> None:
        """Leave the blocking verb without a request and go on with the next verb."""
        self.waiting = None
        self.redirects_in_a_row = 0
        self.run()

    def submit_gather(self, gather: Gather, extra: dict[str, str]) -> None:
        """Post the input, or fall through when there is none (unless actionOnEmptyResult)."""
        if not any(extra.values()) and not gather.action_on_empty_result:
            self.fall_through()
        else:
            self.submit(self.resolve(gather.action), gather.method, extra)

    def hang_up(self, reason: str = CALLER_HANGUP) -> None:
        """The leg ends now; later requests carry ``CallStatus=completed``."""
        self.waiting = None
        self._end(reason)

    def notify_after_hangup(self, url: str, method: str, extra: dict[str, str]) -> None:
        """An action request after the caller hung up: sent, its TwiML is never executed."""
        params = self.request_params(extra)
        self.webhooks.fetch_twiml(method, url, params, input_names=frozenset(extra))

    def run(self) -> None:
        """Execute verbs until one needs input or the leg ends."""
        while not self.ended and self.waiting is None:
            if self.position >= len(self.verbs):
                self._answer()
                self._end(END_OF_DOCUMENT)
                return
            verb = self.verbs[self.position]
            self.position += 1
            self._execute(verb)

    # --- verbs --------------------------------------------------------------------------

    def _execute(self, verb: Verb) -> None:
        if isinstance(verb, Reject):
            if self.answered:
                self._end(HANGUP_VERB)
            else:
                self.final_status = "busy" if verb.reason == "busy" else "no-answer"
                self._end(REJECTED)
            return
        self._answer()
        if isinstance(verb, Say | Play | Pause):
            self._prompt(verb)
        elif isinstance(verb, Gather):
            for prompt in verb.prompts:
                self._prompt(prompt)
            self.waiting = verb
        elif isinstance(verb, Record | Dial):
            self.waiting = verb
        elif isinstance(verb, Redirect):
            self._redirect(verb)
        elif isinstance(verb, Hangup):
            self._end(HANGUP_VERB)
        elif isinstance(verb, StartTranscription | StopTranscription):
            self.transcription_verbs.append(verb)
        elif isinstance(verb, Unsupported):
            self.webhooks.error(None, f"<{verb.name}> is not simulated; skipped", self.document_url)

    def _prompt(self, prompt: Prompt) -> None:
        if isinstance(prompt, Say):
            self.utterances.append(Utterance(prompt.text, prompt.voice, prompt.language))
            self.clock.advance(prompt.loop * len(prompt.text) / CHARACTERS_PER_SECOND)
        elif isinstance(prompt, Play):
            self.utterances.append(Utterance(f"[play {prompt.url}]"))
            self.clock.advance(prompt.loop * PLAY_SECONDS)
        else:
            self.clock.advance(prompt.length)

    def _redirect(self, verb: Redirect) -> None:
        self.redirects_in_a_row += 1
        if self.redirects_in_a_row > MAX_REDIRECTS_IN_A_ROW:
            self.webhooks.error(11215, "more than 10 redirects in a row", self.document_url)
            self._end(APPLICATION_FAILURE)
            return
        self._load(verb.method, self.resolve(verb.url))

    # --- internals ----------------------------------------------------------------------

    def _answer(self) -> None:
        if not self.answered:
            self.answered = True
            self.params["CallStatus"] = "in-progress"

    def _end(self, reason: str) -> None:
        if not self.ended:
            self.ended = True
            self.end_reason = reason
            if self.answered:
                self.params["CallStatus"] = "completed"

    def _load(self, method: str, url: str, extra: dict[str, str] | None = None) -> bool:
        """Fetch a document and make it current; on failure go to the fallback or give up."""
        params = self.request_params(extra)
        fetched = self.webhooks.fetch_twiml(method, url, params, input_names=frozenset(extra or {}))
        if isinstance(fetched, TwilioError):
            return self._fail(fetched)
        self.document_url, self.verbs, self.position = fetched.url, fetched.verbs, 0
        return True

    def _fail(self, error: TwilioError) -> bool:
        """Twilio requests the fallback URL, or says its apology and hangs up."""
        if self.fallback_url and error.url != self.fallback_url:
            extra = {"ErrorCode": str(error.code or 11200), "ErrorUrl": error.url}
            fetched = self.webhooks.fetch_twiml(
                "POST", self.fallback_url, self.request_params(extra)
            )
            if not isinstance(fetched, TwilioError):
                self.document_url, self.verbs, self.position = fetched.url, fetched.verbs, 0
                return True
        self._answer()
        self.utterances.append(Utterance(APPLICATION_ERROR, "twilio", "en-US"))
        self._end(APPLICATION_FAILURE)
        return False
