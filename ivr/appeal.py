"""Leaving a request (key 2, §3.2 of the product specification).

1. Consent: ``1`` agrees; ``0`` a person; anything else returns to the main menu.
2. The topic, from the configured list (keys ``1``–``9``).
3. The request is recorded, up to three minutes, ``#`` to finish. The appeal is created
   from the recording exactly once, by the Record action or the recording callback,
   whichever comes first, also when the caller hangs up while speaking. Under two
   seconds of audio: one more try, then the main menu.
4. A contact number, from the caller ID or typed; 5. the appeal number read back twice
   with the answer period, and an SMS to a mobile.
"""

from __future__ import annotations

from flask import abort, request
from twilio.twiml.voice_response import VoiceResponse

from calllog import appeals, notices, recording_callback, recordings
from ivr import contact, person, twiml
from ivr.http import Turn, call_view, callback_view, public_url
from ivr.navigation import main_menu, retry, urls
from ivr.speech import digits_words
from ivr.twiml import Prompt
from models import Appeal, AppealChannel, CallOutcome, RecordingKind

MESSAGE_MAX_SECONDS = 180
RECORD_TRIES = 2


def start(turn: Turn) -> VoiceResponse:
    """Key 2: ask for consent to process personal data."""
    return twiml.ask(turn.speaker, "appeal_consent", **urls("webhooks.appeal_consent"))


@call_view
def consent_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "1":
        turn.consent("appeal", "appeal_consent")
        return topics(turn)
    if turn.digits == "0":
        return person.start(turn)
    turn.event("consent_refused", turn.digits)
    return main_menu(turn)


def topics(turn: Turn, attempt: int = 1, before: tuple[Prompt, ...] = ()) -> VoiceResponse:
    options: list[Prompt] = [
        ("appeal_topic_option", {"topic": name, "key": str(key)})
        for key, (_, name) in enumerate(turn.office.topics, start=1)
    ]
    return twiml.ask(
        turn.speaker,
        "appeal_topics",
        *options,
        "to_main_menu",
        before=before,
        **urls("webhooks.appeal_topic", attempt=attempt),
    )


@call_view
def topic_choice(turn: Turn) -> VoiceResponse:
    key = turn.digits
    if key.isdigit() and 1 <= int(key) <= len(turn.office.topics):
        code = turn.office.topics[int(key) - 1][0]
        turn.event("topic", code)
        return record_prompt(turn, code)
    if key == "*":
        return main_menu(turn)
    if key == "0":
        return person.start(turn)
    return retry(
        turn, turn.arg("attempt", 1, 3), lambda again, problem: topics(turn, again, (problem,))
    )


def record_prompt(
    turn: Turn, topic: str, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    return twiml.record(
        turn.speaker,
        *before,
        "appeal_record",
        action=public_url("webhooks.appeal_recorded", topic=topic, attempt=attempt),
        recording_callback=public_url("webhooks.appeal_recording_ready", topic=topic),
        no_input=public_url("webhooks.appeal_recorded", topic=topic, attempt=attempt, timeout=1),
        max_length=MESSAGE_MAX_SECONDS,
    )


def chosen_topic(turn: Turn) -> str:
    topic = request.args.get("topic", "")
    if topic not in dict(turn.office.topics):
        abort(400, "unknown topic")
    return topic


def register(turn: Turn, topic: str) -> Appeal | None:
    """The appeal for the recording in this request, created on first sight.

    None when there is no recording or it is under two seconds: nobody spoke.
    """
    recording = recordings.attach(
        turn.session, turn.call, turn.params, RecordingKind.MESSAGE, turn.now
    )
    if recording is None or recording.duration_s < recordings.MIN_MESSAGE_S:
        return None
    if recording.appeal is None:
        recording.appeal = appeals.create_appeal(
            turn.session,
            topic=topic,
            channel=AppealChannel.PHONE,
            phone=turn.call.caller,
            now=turn.now,
            call=turn.call,
        )
        turn.event("appeal_registered", recording.appeal.number)
        turn.outcome(CallOutcome.REQUEST_LEFT)
    if recording.appeal.phone is None:
        recording.appeal.phone = turn.call.caller
    return recording.appeal


@call_view
def recorded(turn: Turn) -> VoiceResponse:
    """The Record action (or its fall-through): keep the request, then the contact."""
    topic = chosen_topic(turn)
    appeal = register(turn, topic)
    if turn.params.get("Digits") == "hangup":
        return twiml.empty()
    if appeal is None:
        turn.event("empty_recording")
        attempt = turn.arg("attempt", 1, RECORD_TRIES)
        if attempt < RECORD_TRIES:
            return record_prompt(turn, topic, attempt + 1, ("appeal_empty", "try_again"))
        return main_menu(turn, "appeal_empty")
    if turn.call.caller or appeal.phone:
        return readback(turn, appeal)
    return contact.ask_number(turn, "webhooks.appeal_contact", appeal=appeal.id)


@callback_view
def recording_ready(turn: Turn) -> None:
    """The recording status callback: the reliable signal that the audio exists."""
    register(turn, chosen_topic(turn))
    recording_callback.copy_after_commit(turn)


@call_view
def contact_typed(turn: Turn) -> VoiceResponse:
    appeal = own_appeal(turn)

    def accept(number: str) -> VoiceResponse:
        appeal.phone = number
        return readback(turn, appeal)

    return contact.number_step(
        turn,
        "webhooks.appeal_contact",
        accept=accept,
        give_up=lambda: readback(turn, appeal, before=("contact_failed",)),
        appeal=appeal.id,
    )


def readback(
    turn: Turn, appeal: Appeal, *, before: tuple[Prompt, ...] = (), notify: bool = True
) -> VoiceResponse:
    """The appeal number twice and the answer period; an SMS to a mobile."""
    if notify:
        turn.sms_after_commit(appeal.phone, notices.appeal_confirmation(appeal.number))
    return twiml.readback(
        turn.speaker,
        *before,
        ("appeal_readback", {"number": digits_words(appeal.number)}),
        "answer_period",
        action=public_url("webhooks.appeal_readback", appeal=appeal.id),
    )


@call_view
def readback_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "*":
        return readback(turn, own_appeal(turn), notify=False)
    return twiml.goodbye(turn.speaker)


def own_appeal(turn: Turn) -> Appeal:
    """The appeal named in the URL, which must be one this call registered."""
    appeal = turn.session.get(Appeal, turn.arg("appeal"))
    if appeal is None or appeal not in turn.call.appeals:
        abort(400, "not an appeal of this call")
    return appeal
