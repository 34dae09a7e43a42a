"""Parsing TwiML the way Twilio reads it: case-sensitive names, ``<Response>`` root, defaults.

Only the verbs the simulator executes get a dataclass; the other real Twilio verbs parse to
:class:`Unsupported` (skipped with a note), and unknown or wrongly-cased names are a parse
failure (Twilio error 12100).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ANY_KEY = "1234567890*#"

#: Real TwiML voice verbs the simulator does not execute.
UNSUPPORTED_VERBS = frozenset(
    {"Connect", "Echo", "Enqueue", "Leave", "Pay", "Prompt", "Queue", "Refer", "Sms", "Message"}
    | {"Start", "Stop", "Siprec", "Stream", "Transcription"}
)


class TwimlError(Exception):
    """The document cannot be executed; ``code`` is the Twilio error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Say:
    text: str
    voice: str | None = None
    language: str | None = None
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    length: int = 1


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    action: str | None = None
    method: str = "POST"
    input: str = "dtmf"
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    action_on_empty_result: bool = False
    language: str | None = None
    prompts: tuple[Prompt, ...] = ()


@dataclass(frozen=True)
class Record:
    action: str | None = None
    method: str = "POST"
    timeout: int = 5
    finish_on_key: str = ANY_KEY
    max_length: int = 3600
    trim: str = "trim-silence"
    play_beep: bool = True
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_status_callback_event: tuple[str, ...] = ("completed",)


@dataclass(frozen=True)
class Number:
    number: str
    url: str | None = None
    method: str = "POST"
    machine_detection: str | None = None  # Enable, DetectMessageEnd
    amd_status_callback: str | None = None
    amd_status_callback_method: str = "POST"


@dataclass(frozen=True)
class Dial:
    numbers: tuple[Number, ...] = ()
    action: str | None = None
    method: str = "POST"
    timeout: int = 30
    caller_id: str | None = None
    other_nouns: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"


@dataclass(frozen=True)
class Unsupported:
    name: str


@dataclass(frozen=True)
class StartTranscription:
    """``<Start><Transcription>``: a live transcription of the call, from now on."""

    name: str
    status_callback_url: str | None
    method: str = "POST"
    language_code: str = "en-US"
    track: str = "inbound_track"


@dataclass(frozen=True)
class StopTranscription:
    """``<Stop><Transcription name>``."""

    name: str


Verb = (
    Say
    | Play
    | Pause
    | Gather
    | Record
    | Dial
    | Redirect
    | Hangup
    | Reject
    | StartTranscription
    | StopTranscription
    | Unsupported
)


def parse_document(body: str) -> list[Verb]:
    """Parse a TwiML body into verbs; raises :class:`TwimlError` (12100, 12102)."""
    if not body.strip():
        raise TwimlError(12100, "empty document")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise TwimlError(12100, f"document parse failure: {error}") from error
    if root.tag != "Response":
        raise TwimlError(12102, f"root element is <{root.tag}>, not <Response>")
    return [_verb(element) for element in root]


def _verb(element: ET.Element) -> Verb:
    tag, attrs = element.tag, element.attrib
    if tag in ("Say", "Play", "Pause"):
        return _prompt(element)
    if tag == "Gather":
        prompts: list[Prompt] = []
        for child in element:
            if child.tag not in ("Say", "Play", "Pause"):
                raise TwimlError(12100, f"<{child.tag}> cannot be nested in <Gather>")
            prompts.append(_prompt(child))
        return Gather(
            action=attrs.get("action"),
            method=_method(attrs),
            input=attrs.get("input", "dtmf"),
            num_digits=_int(attrs, "numDigits", None),
            finish_on_key=attrs.get("finishOnKey", "#"),
            timeout=_int(attrs, "timeout", 5) or 0,
            action_on_empty_result=attrs.get("actionOnEmptyResult", "false") == "true",
            language=attrs.get("language"),
            prompts=tuple(prompts),
        )
    if tag == "Record":
        events = attrs.get("recordingStatusCallbackEvent", "completed").replace(",", " ")
        return Record(
            action=attrs.get("action"),
            method=_method(attrs),
            timeout=_int(attrs, "timeout", 5) or 0,
            finish_on_key=attrs.get("finishOnKey", ANY_KEY),
            max_length=_int(attrs, "maxLength", 3600) or 3600,
            trim=attrs.get("trim", "trim-silence"),
            play_beep=attrs.get("playBeep", "true") != "false",
            recording_status_callback=attrs.get("recordingStatusCallback"),
            recording_status_callback_method=attrs.get("recordingStatusCallbackMethod", "POST"),
            recording_status_callback_event=tuple(events.split()),
        )
    if tag == "Dial":
        return _dial(element)
    if tag == "Redirect":
        return Redirect(url=(element.text or "").strip(), method=_method(attrs))
    if tag == "Hangup":
        return Hangup()
    if tag == "Reject":
        return Reject(reason=attrs.get("reason", "rejected"))
    if tag in ("Start", "Stop") and [child.tag for child in element] == ["Transcription"]:
        return _transcription(tag, element[0].attrib)
    if tag in UNSUPPORTED_VERBS:
        return Unsupported(tag)
    raise TwimlError(12100, f"unknown verb <{tag}> (verb names are case-sensitive)")


def _transcription(tag: str, attrs: dict[str, str]) -> StartTranscription | StopTranscription:
    if tag == "Stop":
        return StopTranscription(attrs.get("name", ""))
    return StartTranscription(
        name=attrs.get("name", ""),
        status_callback_url=attrs.get("statusCallbackUrl"),
        method=attrs.get("statusCallbackMethod", "POST").upper(),
        language_code=attrs.get("languageCode", "en-US"),
        track=attrs.get("track", "inbound_track"),
    )


def _prompt(element: ET.Element) -> Prompt:
    attrs = element.attrib
    if element.tag == "Say":
        text = " ".join("".join(element.itertext()).split())
        return Say(text, attrs.get("voice"), attrs.get("language"), _loop(attrs))
    if element.tag == "Play":
        return Play((element.text or "").strip(), _loop(attrs))
    return Pause(_int(attrs, "length", 1) or 0)


def _dial(element: ET.Element) -> Dial:
    attrs = element.attrib
    numbers: list[Number] = []
    others: list[str] = []
    for child in element:
        if child.tag == "Number":
            number = (child.text or "").strip()
            numbers.append(
                Number(
                    number,
                    child.attrib.get("url"),
                    _method(child.attrib),
                    child.attrib.get("machineDetection"),
                    child.attrib.get("amdStatusCallback"),
                    child.attrib.get("amdStatusCallbackMethod", "POST").upper(),
                )
            )
        else:
            others.append(child.tag)
    bare = (element.text or "").strip()
    if bare and not numbers:
        numbers.append(Number(bare))
    return Dial(
        numbers=tuple(numbers),
        action=attrs.get("action"),
        method=_method(attrs),
        timeout=_int(attrs, "timeout", 30) or 30,
        caller_id=attrs.get("callerId"),
        other_nouns=tuple(others),
    )


def _method(attrs: dict[str, str]) -> str:
    return "GET" if attrs.get("method", "POST").upper() == "GET" else "POST"


def _int(attrs: dict[str, str], name: str, default: int | None) -> int | None:
    """An integer attribute; an invalid value falls back to the default like Twilio's warning."""
    try:
        return int(attrs[name])
    except (KeyError, ValueError):
        return default


def _loop(attrs: dict[str, str]) -> int:
    loop = _int(attrs, "loop", 1)
    return 1000 if loop == 0 else max(loop or 1, 1)
