"""Live transcription of requests and names (``TRANSCRIPTION=twilio``), opt-in.

With it on, ``<Start><Transcription languageCode="ru-RU" track="inbound_track">`` opens
the request's and the name's ``<Record>``, and the Record action stops it. Each
transcription is named for what it hears (``request-<topic>-<try>``, ``name-<appointment>``,
unique in the call); its status callbacks (started, content, stopped, error) come here,
signed like every Twilio request, in any order and possibly twice, and never touch the
call itself: the transcript is kept for the appeal or appointment the recording makes.
"""

from __future__ import annotations

import re

from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.branch import Branch
from ivr.turn import NotThisCall, Turn

NAME = re.compile(r"(request-[\w-]{1,50}|name-\d{1,10})")

branch = Branch("transcription")


def request_name(topic: str, attempt: int) -> str:
    return f"request-{topic}-{attempt}"


def visitor_name(appointment_id: int) -> str:
    return f"name-{appointment_id}"


def start(turn: Turn, name: str, **link: object) -> twiml.Transcribe | None:
    """The transcription ``name`` to start before a ``<Record>``; None when it is off."""
    if not turn.speaker.transcription:
        return None
    return twiml.Transcribe(name, turn.url(transcription_event, name=name, **link))


def stop(turn: Turn, name: str, response: VoiceResponse) -> VoiceResponse:
    """``response``, opened by stopping the transcription ``name`` when it is on."""
    if not turn.speaker.transcription:
        return response
    return twiml.stop_transcription(response, name)


@branch.callback("/transcription/event")
def transcription_event(turn: Turn) -> None:
    """A status callback of the transcription named in the URL."""
    name = turn.text_arg("name", 64)
    if not NAME.fullmatch(name):
        raise NotThisCall("not a transcription of ours")
    appointment = None
    if name.startswith("name-"):
        appointment = turn.booking.own(turn.arg("appointment"))
        if appointment is None:
            raise NotThisCall("not an appointment of this call")
    turn.transcripts.receive(name, appointment)
