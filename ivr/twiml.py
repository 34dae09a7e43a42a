"""Pure TwiML builders for the voice menu, on twilio's ``VoiceResponse``.

Every ``<Gather>`` and ``<Record>`` gets an explicit action and a fall-through verb after
it, so that no caller is ever left in silence or in a loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, Stop, VoiceResponse

from ivr.prompts import Catalogue

LANGUAGE = "ru-RU"
MENU_TIMEOUT_S = 6
NUMBER_TIMEOUT_S = 8
# A catalogue key, or a key with the values it is said with.
Prompt = str | tuple[str, dict[str, str]]
#: Our bound on one ``<Say>`` (Twilio's is 4,096 characters, error 13521): longer speech is
#: split into several at sentence ends.
SAY_MAX_CHARS = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SPEECH_HINTS = "один,два,три,четыре,ноль,оператор,запись,обращение,статус,адрес"


def split_for_say(text: str, limit: int = SAY_MAX_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after whole sentences (or,
    for a sentence longer than that, between words)."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text.strip()):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            pieces += [p for p in (current, sentence[:cut].strip()) if p]
            current, sentence = "", sentence[cut:].strip()
        joined = f"{current} {sentence}".strip()
        if len(joined) > limit:
            pieces.append(current)
            joined = sentence
        current = joined
    return [*pieces, current] if current else pieces


@dataclass(frozen=True)
class Speaker:
    """Speaks catalogue prompts in Russian, or plays their recordings when configured."""

    catalogue: Catalogue
    voice: str = "Polly.Tatyana"
    speech_input: bool = False
    #: ``TRANSCRIPTION=twilio``: the request and name recordings are also transcribed live.
    transcription: bool = False

    def speak(self, verb: VoiceResponse | Gather, *prompts: Prompt, **values: str) -> None:
        """Add ``prompts`` in order, merging adjacent texts into one ``<Say>``.

        A prompt is a catalogue key, or a ``(key, values)`` pair for a prompt said with
        its own values (one of several slots offered, say); ``values`` fill in the rest.
        """
        pending: list[str] = []
        for prompt in prompts:
            key, own = (prompt, {}) if isinstance(prompt, str) else prompt
            if key in self.catalogue.audio:
                self._say(verb, pending)
                pending = []
                verb.play(self.catalogue.audio[key])
            else:
                pending.append(self.catalogue.text(key, **(values | own)))
        self._say(verb, pending)

    def say_text(self, verb: VoiceResponse | Gather, text: str) -> None:
        """Say text composed in code (dates, numbers) that no catalogue prompt holds whole."""
        self._say(verb, [text])

    def _say(self, verb: VoiceResponse | Gather, texts: list[str]) -> None:
        for text in split_for_say(" ".join(texts)):
            verb.say(text, voice=self.voice, language=LANGUAGE)

    def gather(self, response: VoiceResponse, action: str, *, num_digits: int | None = 1) -> Gather:
        """A ``<Gather>`` for a menu choice (one key) or a number (``num_digits=None``)."""
        options: dict[str, object] = {
            "action": action,
            "method": "POST",
            "num_digits": num_digits,
            "timeout": MENU_TIMEOUT_S if num_digits == 1 else NUMBER_TIMEOUT_S,
            "finish_on_key": "#" if num_digits != 1 else "",
        }
        if self.speech_input and num_digits == 1:
            options |= {
                "input": "dtmf speech",
                "language": LANGUAGE,
                "hints": SPEECH_HINTS,
                "speech_model": "phone_call",
                "speech_timeout": "2",
            }
        return response.gather(**options)


def ask(
    speaker: Speaker,
    *prompts: Prompt,
    action: str,
    no_input: str,
    before: tuple[Prompt, ...] = (),
    values: dict[str, str] | None = None,
    num_digits: int | None = 1,
) -> VoiceResponse:
    """Say ``before``, then ask ``prompts`` in a ``<Gather>`` posting to ``action``.

    ``no_input`` is where Twilio goes when the caller presses nothing: a Gather without
    input never calls its action, it falls through to the next verb.
    """
    response = VoiceResponse()
    speaker.speak(response, *before, **(values or {}))
    gather = speaker.gather(response, action, num_digits=num_digits)
    speaker.speak(gather, *prompts, **(values or {}))
    response.redirect(no_input, method="POST")
    return response


def menu(
    speaker: Speaker,
    *,
    action: str,
    no_input: str,
    before: tuple[Prompt, ...] = (),
    values: dict[str, str] | None = None,
) -> VoiceResponse:
    """The main menu, after the ``before`` prompts (greeting, closed notice, a retry)."""
    return ask(speaker, "main_menu", action=action, no_input=no_input, before=before, values=values)


@dataclass(frozen=True)
class Transcribe:
    """Twilio's live transcription of what the caller says into a recording: ``name`` is
    unique in the call (it stops it), ``status_callback`` receives its events."""

    name: str
    status_callback: str


def record(
    speaker: Speaker,
    *prompts: Prompt,
    action: str,
    recording_callback: str,
    no_input: str,
    max_length: int,
    values: dict[str, str] | None = None,
    transcribe: Transcribe | None = None,
) -> VoiceResponse:
    """Record after ``prompts``; ``#`` ends it, ten seconds of silence too.

    The recording status callback is the reliable signal that the audio exists, so both
    it and the action must be able to keep what was said; ``no_input`` catches Twilio's
    legacy fall-through on an empty recording. With ``transcribe``, the caller's side is
    also transcribed in Russian from just before the ``<Record>``.
    """
    response = VoiceResponse()
    speaker.speak(response, *prompts, **(values or {}))
    if transcribe is not None:
        response.start().transcription(
            name=transcribe.name,
            track="inbound_track",
            language_code=LANGUAGE,
            status_callback_url=transcribe.status_callback,
            status_callback_method="POST",
            partial_results=False,
            enable_automatic_punctuation=True,
        )
    response.record(
        action=action,
        method="POST",
        max_length=max_length,
        timeout=10,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=recording_callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    response.redirect(no_input, method="POST")
    return response


def stop_transcription(response: VoiceResponse, name: str) -> VoiceResponse:
    """``response`` opened by stopping the live transcription ``name``: what the caller
    says after the recording (a contact number, «спасибо») is not part of it."""
    stop = Stop()
    stop.transcription(name=name)
    response.verbs.insert(0, stop)
    return response


def readback(speaker: Speaker, *prompts: Prompt, action: str) -> VoiceResponse:
    """Read ``prompts`` back; ``*`` repeats them, anything else or silence says goodbye."""
    response = VoiceResponse()
    speaker.speak(response, *prompts)
    gather = speaker.gather(response, action)
    speaker.speak(gather, "readback_repeat")
    speaker.speak(response, "goodbye")
    response.hangup()
    return response


def dial_staff(
    speaker: Speaker,
    phones: tuple[str, ...],
    *,
    caller_id: str,
    action: str,
    screen: str,
    timeout: int = 20,
) -> VoiceResponse:
    """Ring the staff phones together; each answer is screened before it is connected.

    The caller hears ringing until a staff member takes the call (``answerOnBridge``),
    and the staff phones see ``caller_id``.
    """
    response = VoiceResponse()
    speaker.speak(response, "person_connecting")
    dial = response.dial(
        action=action, method="POST", timeout=timeout, answer_on_bridge=True, caller_id=caller_id
    )
    for phone in phones:
        dial.number(phone, url=screen, method="POST")
    return response


def screen(speaker: Speaker, *, action: str) -> VoiceResponse:
    """What a staff member hears on answering: press 1 to take the call.

    A voicemail presses nothing, so the call falls through to ``<Hangup>`` and is not
    taken; the caller's Dial then reports no answer.
    """
    response = VoiceResponse()
    gather = response.gather(action=action, method="POST", num_digits=1, timeout=5)
    speaker.speak(gather, "person_screen")
    response.hangup()
    return response


def goodbye(speaker: Speaker, *before: Prompt) -> VoiceResponse:
    """Say ``before`` and goodbye, then hang up."""
    response = VoiceResponse()
    speaker.speak(response, *before, "goodbye")
    response.hangup()
    return response


def apology_with_record(speaker: Speaker, *, action: str, recording_callback: str) -> VoiceResponse:
    """The no-database answer: apologise and take a message that is never dropped."""
    response = VoiceResponse()
    speaker.speak(response, "fallback_apology")
    response.record(
        action=action,
        method="POST",
        max_length=180,
        timeout=10,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=recording_callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    speaker.speak(response, "fallback_nothing")
    response.hangup()
    return response


def empty() -> VoiceResponse:
    """An empty ``<Response/>``: what a callback or a hung-up call gets."""
    return VoiceResponse()
