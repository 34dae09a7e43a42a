"""Twilio's TwiML, as a table: the verbs and nouns, where they may stand, their attributes and
the values Twilio accepts, plus the length limits. Every TwiML document the test suite
produces is checked against it (``tests/conftest.py``), so a document Twilio would refuse or
misread fails the test that produced it.

Written from Twilio's TwiML reference (twilio.com/docs/voice/twiml and the page of each verb),
``shared/docs/twilio.md`` and twilio-python's ``voice_response.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit
from xml.etree import ElementTree

Check = Callable[[str], bool]

#: A TwiML body must stay under 64 kB (error 11750).
MAX_DOCUMENT_BYTES = 64 * 1024
#: Twilio refuses a ``<Say>`` over 4,096 characters (error 13521); ours stop at 1,000.
TWILIO_SAY_MAX = 4096
OUR_SAY_MAX = 1000


def _int(low: int, high: int | None = None) -> Check:
    def check(value: str) -> bool:
        return value.isdigit() and int(value) >= low and (high is None or int(value) <= high)

    return check


def _one_of(*values: str) -> Check:
    return lambda value: value in values


def _words_of(*values: str) -> Check:
    return lambda value: bool(value.split()) and set(value.split()) <= set(values)


def _url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _keys(allowed: str, *, empty: bool) -> Check:
    return lambda value: (empty or bool(value)) and set(value) <= set(allowed)


def _phone(value: str) -> bool:
    return bool(re.fullmatch(r"\+?[0-9]{3,15}", value)) or value.startswith(("client:", "sip:"))


BOOL = _one_of("true", "false")
METHOD = _one_of("GET", "POST")
ANY: Check = lambda value: True  # noqa: E731  free text (a language tag, a label)
VOICE: Check = lambda value: (  # noqa: E731
    value in ("man", "woman", "alice")
    or re.fullmatch(r"(Polly|Google)\.[\w.-]+", value) is not None
)
LANGUAGE: Check = lambda value: re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}", value) is not None  # noqa: E731
SPEECH_MODELS = (
    "default",
    "numbers_and_commands",
    "phone_call",
    "experimental_conversations",
    "experimental_utterances",
)

#: verb or noun -> (its attributes and their checks, the elements it may contain, text?)
RULES: dict[str, tuple[dict[str, Check], frozenset[str], bool]] = {
    "Response": (
        {},
        frozenset(
            {"Say", "Play", "Pause", "Gather", "Record", "Dial", "Redirect", "Hangup", "Reject"}
            | {"Start", "Stop", "Enqueue", "Leave", "Connect"}
        ),
        False,
    ),
    "Say": ({"voice": VOICE, "language": LANGUAGE, "loop": _int(0, 1000)}, frozenset(), True),
    "Play": (
        {"loop": _int(0, 1000), "digits": _keys("0123456789wW*#", empty=False)},
        frozenset(),
        True,
    ),
    "Pause": ({"length": _int(1, 600)}, frozenset(), False),
    "Gather": (
        {
            "action": _url,
            "method": METHOD,
            "input": _words_of("dtmf", "speech"),
            "numDigits": _int(1),
            "timeout": _int(0, 600),
            "finishOnKey": _keys("0123456789#*", empty=True),
            "actionOnEmptyResult": BOOL,
            "language": LANGUAGE,
            "speechTimeout": lambda value: value == "auto" or value.isdigit(),
            "speechModel": lambda value: (
                value in SPEECH_MODELS or value.startswith(("googlev2_", "deepgram_"))
            ),
            "hints": lambda value: (
                all(len(hint) <= 100 for hint in value.split(",")) and len(value.split(",")) <= 500
            ),
            "partialResultCallback": _url,
            "partialResultCallbackMethod": METHOD,
            "profanityFilter": BOOL,
            "enhanced": BOOL,
            "bargeIn": BOOL,
            "maxSpeechTime": _int(1, 60),
            "debug": BOOL,
        },
        frozenset({"Say", "Play", "Pause"}),
        False,
    ),
    "Record": (
        {
            "action": _url,
            "method": METHOD,
            "timeout": _int(0),
            "finishOnKey": _keys("0123456789#*", empty=True),
            "maxLength": _int(1, 86400),
            "playBeep": BOOL,
            "trim": _one_of("trim-silence", "do-not-trim"),
            "recordingStatusCallback": _url,
            "recordingStatusCallbackMethod": METHOD,
            "recordingStatusCallbackEvent": _words_of("in-progress", "completed", "absent"),
            "transcribe": BOOL,
            "transcribeCallback": _url,
        },
        frozenset(),
        False,
    ),
    "Dial": (
        {
            "action": _url,
            "method": METHOD,
            "timeout": _int(5, 600),
            "hangupOnStar": BOOL,
            "timeLimit": _int(1, 86400),
            "callerId": _phone,
            "answerOnBridge": BOOL,
            "record": _one_of(
                "do-not-record",
                "record-from-answer",
                "record-from-ringing",
                "record-from-answer-dual",
                "record-from-ringing-dual",
                "true",
                "false",
            ),
            "trim": _one_of("trim-silence", "do-not-trim"),
            "recordingStatusCallback": _url,
            "recordingStatusCallbackMethod": METHOD,
            "recordingStatusCallbackEvent": _words_of("in-progress", "completed", "absent"),
            "ringTone": ANY,
            "sequential": BOOL,
            "callReason": ANY,
        },
        frozenset({"Number", "Client", "Sip", "Conference", "Queue", "Sim", "Application"}),
        True,
    ),
    "Number": (
        {
            "sendDigits": _keys("0123456789wW*#", empty=False),
            "url": _url,
            "method": METHOD,
            "statusCallback": _url,
            "statusCallbackMethod": METHOD,
            "statusCallbackEvent": _words_of("initiated", "ringing", "answered", "completed"),
            "byoc": ANY,
            "machineDetection": _one_of("Enable", "DetectMessageEnd"),
            "amdStatusCallback": _url,
            "amdStatusCallbackMethod": METHOD,
            "machineDetectionTimeout": _int(3, 59),
            "machineDetectionSpeechThreshold": _int(1000, 6000),
            "machineDetectionSpeechEndThreshold": _int(500, 5000),
            "machineDetectionSilenceTimeout": _int(2000, 10000),
        },
        frozenset(),
        True,
    ),
    "Redirect": ({"method": METHOD}, frozenset(), True),
    "Hangup": ({}, frozenset(), False),
    "Reject": ({"reason": _one_of("rejected", "busy")}, frozenset(), False),
    "Start": (
        {"action": _url, "method": METHOD},
        frozenset({"Stream", "Siprec", "Transcription"}),
        False,
    ),
    "Stop": ({}, frozenset({"Stream", "Siprec", "Transcription"}), False),
    "Transcription": (
        {
            "name": ANY,
            "track": _one_of("inbound_track", "outbound_track", "both_tracks"),
            "statusCallbackUrl": _url,
            "statusCallbackMethod": METHOD,
            "inboundTrackLabel": ANY,
            "outboundTrackLabel": ANY,
            "partialResults": BOOL,
            "languageCode": LANGUAGE,
            "transcriptionEngine": _one_of("google", "deepgram"),
            "profanityFilter": BOOL,
            "speechModel": ANY,
            "hints": ANY,
            "enableAutomaticPunctuation": BOOL,
            "intelligenceService": ANY,
        },
        frozenset(),
        False,
    ),
    "Parameter": ({"name": ANY, "value": ANY}, frozenset(), False),
    "Stream": (
        {
            "url": lambda v: v.startswith("wss://"),
            "name": ANY,
            "track": ANY,
            "statusCallback": _url,
            "statusCallbackMethod": METHOD,
        },
        frozenset({"Parameter"}),
        False,
    ),
}

#: Verbs that need text (a URL, a number, words) and verbs that must have it empty.
NEEDS_TEXT = frozenset({"Say", "Play", "Redirect", "Number"})


def violations(body: str | bytes) -> list[str]:
    """What in a TwiML document Twilio would refuse or misread; empty when it conforms."""
    raw = body.encode() if isinstance(body, str) else body
    problems = []
    if len(raw) >= MAX_DOCUMENT_BYTES:
        problems.append(f"document of {len(raw)} bytes (Twilio's limit is 64 kB, error 11750)")
    if raw.lstrip() != raw:
        problems.append("whitespace before the XML declaration (error 12100)")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        return [*problems, f"not XML: {error} (error 12100)"]
    if root.tag != "Response":
        return [*problems, f"root <{root.tag}> is not <Response> (error 12102)"]
    problems += _check(root, "Response")
    return problems


def _check(element: ElementTree.Element, path: str) -> list[str]:
    rule = RULES.get(element.tag)
    if rule is None:
        return [f"{path}: unknown element <{element.tag}>"]
    attributes, children, text = rule
    problems = []
    for name, value in element.attrib.items():
        check = attributes.get(name)
        if check is None:
            problems.append(f"{path}: <{element.tag}> has no attribute {name!r}")
        elif not check(value):
            problems.append(f"{path}: <{element.tag} {name}={value!r}> is not a value Twilio takes")
    content = (element.text or "").strip()
    if content and not text:
        problems.append(f"{path}: <{element.tag}> takes no text")
    if element.tag in NEEDS_TEXT and not content:
        problems.append(f"{path}: <{element.tag}> without text")
    if element.tag == "Say":
        spoken = "".join(element.itertext())
        if len(spoken) > TWILIO_SAY_MAX:
            problems.append(f"{path}: <Say> of {len(spoken)} characters (error 13521)")
        elif len(spoken) > OUR_SAY_MAX:
            problems.append(f"{path}: <Say> of {len(spoken)} characters (ours stop at 1,000)")
    if element.tag in ("Gather", "Record") and "action" not in element.attrib:
        problems.append(f"{path}: <{element.tag}> without an explicit action (it would loop)")
    for child in element:
        where = f"{path}/{child.tag}"
        if child.tag not in children:
            problems.append(f"{where}: <{child.tag}> may not stand inside <{element.tag}>")
        else:
            problems += _check(child, where)
    return problems
