"""Pure TwiML builders for the voice menu, on twilio's ``VoiceResponse``.

Every ``<Gather>`` and ``<Record>`` gets an explicit action and a fall-through verb after
it, so that no caller is ever left in silence or in a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.prompts import Catalogue

LANGUAGE = "ru-RU"
MENU_TIMEOUT_S = 6
NUMBER_TIMEOUT_S = 8
SPEECH_HINTS = "один,два,три,четыре,ноль,оператор,запись,обращение,статус,адрес"


@dataclass(frozen=True)
class Speaker:
    """Speaks catalogue prompts in Russian, or plays their recordings when configured."""

    catalogue: Catalogue
    voice: str = "Polly.Tatyana"
    speech_input: bool = False

    def speak(self, verb: VoiceResponse | Gather, *keys: str, **values: str) -> None:
        """Add the prompts ``keys`` in order, merging adjacent texts into one ``<Say>``."""
        pending: list[str] = []
        for key in keys:
            if key in self.catalogue.audio:
                self._say(verb, pending)
                pending = []
                verb.play(self.catalogue.audio[key])
            else:
                pending.append(self.catalogue.text(key, **values))
        self._say(verb, pending)

    def say_text(self, verb: VoiceResponse | Gather, text: str) -> None:
        """Say text composed in code (dates, numbers) that no catalogue prompt holds whole."""
        self._say(verb, [text])

    def _say(self, verb: VoiceResponse | Gather, texts: list[str]) -> None:
        if texts:
            verb.say(" ".join(texts), voice=self.voice, language=LANGUAGE)

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


def menu(
    speaker: Speaker,
    *,
    action: str,
    no_input: str,
    intro: tuple[str, ...] = (),
    values: dict[str, str] | None = None,
    closed_when: str | None = None,
    retry_prompt: str | None = None,
) -> VoiceResponse:
    """The main menu: optional intro and closed notice, then the keys, then a fall-through.

    ``no_input`` is where Twilio goes when the caller presses nothing (a Gather without
    input never calls its action).
    """
    response = VoiceResponse()
    if retry_prompt:
        speaker.speak(response, retry_prompt)
    if intro:
        speaker.speak(response, *intro, **(values or {}))
    if closed_when:
        speaker.speak(response, "closed", when=closed_when)
    gather = speaker.gather(response, action)
    speaker.speak(gather, "main_menu")
    response.redirect(no_input, method="POST")
    return response


def goodbye(speaker: Speaker, *before: str) -> VoiceResponse:
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
