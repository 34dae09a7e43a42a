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

from twilio.twiml.voice_response import VoiceResponse

from calllog import notices
from ivr import contact, twiml
from ivr.branch import Branch, Spool
from ivr.branches import transcription
from ivr.menu import attempt_of, gather_urls, leave_to_person, main_menu, retry
from ivr.speech import digits_words
from ivr.turn import Appeal, NotThisCall, Turn
from ivr.twiml import Prompt

MESSAGE_MAX_SECONDS = 180
RECORD_TRIES = 2
# A recording reaches the spool with its topic when the database is down (§5).
SPOOL = Spool("appeal", "topic")

branch = Branch(
    "appeal",
    key="2",
    prompts={
        "appeal_consent": (),
        "appeal_topics": (),
        "appeal_topic_option": {"topic", "key"},
        "appeal_record": (),
        "appeal_empty": (),
        "appeal_readback": {"number"},
        "answer_period": (),
    },
)


@branch.entry
def start(turn: Turn) -> VoiceResponse:
    """Key 2: ask for consent to process personal data."""
    return twiml.ask(turn.speaker, "appeal_consent", **gather_urls(turn, consent_choice))


@branch.answer("/appeal/consent")
def consent_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "1":
        turn.log.consent("appeal", turn.speaker.catalogue.prompt_version("appeal_consent"))
        return topics(turn)
    if turn.digits == "0":
        return leave_to_person(turn)
    turn.log.event("consent_refused", turn.digits)
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
        **gather_urls(turn, topic_choice, attempt=attempt),
    )


@branch.answer("/appeal/topic")
def topic_choice(turn: Turn) -> VoiceResponse:
    key = turn.digits
    if key.isdigit() and 1 <= int(key) <= len(turn.office.topics):
        code = turn.office.topics[int(key) - 1][0]
        turn.log.event("topic", code)
        return record_prompt(turn, code)
    if key == "*":
        return main_menu(turn)
    if key == "0":
        return leave_to_person(turn)
    return retry(turn, attempt_of(turn), lambda again, problem: topics(turn, again, (problem,)))


def record_prompt(
    turn: Turn, topic: str, attempt: int = 1, before: tuple[Prompt, ...] = ()
) -> VoiceResponse:
    return twiml.record(
        turn.speaker,
        *before,
        "appeal_record",
        action=turn.url(recorded, topic=topic, attempt=attempt),
        recording_callback=turn.url(recording_ready, topic=topic),
        no_input=turn.url(recorded, topic=topic, attempt=attempt, timeout=1),
        max_length=MESSAGE_MAX_SECONDS,
        transcribe=transcription.start(turn, transcription.request_name(topic, attempt)),
    )


def chosen_topic(turn: Turn) -> str:
    topic = turn.text_arg("topic")
    if topic not in dict(turn.office.topics):
        raise NotThisCall("unknown topic")
    return topic


@branch.answer("/appeal/recorded", spool=SPOOL)
def recorded(turn: Turn) -> VoiceResponse:
    """The Record action (or its fall-through): keep the request, then the contact."""
    topic = chosen_topic(turn)
    appeal = turn.appeals.register(topic)
    heard = transcription.request_name(topic, attempt_of(turn, RECORD_TRIES))
    if appeal is not None and turn.speaker.transcription:
        turn.transcripts.link_appeal(heard, appeal)
    return transcription.stop(turn, heard, after_recording(turn, topic, appeal))


def after_recording(turn: Turn, topic: str, appeal: Appeal | None) -> VoiceResponse:
    if turn.hung_up:
        return twiml.empty()
    if appeal is None:
        turn.log.event("empty_recording")
        attempt = attempt_of(turn, RECORD_TRIES)
        if attempt < RECORD_TRIES:
            return record_prompt(turn, topic, attempt + 1, ("appeal_empty", "try_again"))
        return main_menu(turn, "appeal_empty")
    if turn.caller or appeal.phone:
        return readback(turn, appeal)
    return contact.ask_number(turn, contact_typed, appeal=appeal.id)


@branch.callback("/appeal/recording/ready", spool=SPOOL)
def recording_ready(turn: Turn) -> None:
    """The recording status callback: the reliable signal that the audio exists."""
    turn.appeals.register(chosen_topic(turn))


@branch.answer("/appeal/contact")
def contact_typed(turn: Turn) -> VoiceResponse:
    appeal = own_appeal(turn)

    return contact.number_step(
        turn,
        contact_typed,
        keep=lambda number: turn.appeals.set_contact(appeal, number),
        check_view=contact_checked,
        give_up=lambda: readback(turn, appeal, before=("contact_failed",)),
        appeal=appeal.id,
    )


@branch.answer("/appeal/contact/check")
def contact_checked(turn: Turn) -> VoiceResponse:
    """The typed number read back: ``2`` types it again, anything else goes on."""
    appeal = own_appeal(turn)
    if contact.wants_to_retype(turn):
        return contact.retype(turn, contact_typed, appeal=appeal.id)
    return readback(turn, appeal)


def readback(
    turn: Turn, appeal: Appeal, *, before: tuple[Prompt, ...] = (), notify: bool = True
) -> VoiceResponse:
    """The appeal number twice and the answer period; an SMS to a mobile."""
    if notify:
        turn.log.send_sms(appeal.phone, notices.appeal_confirmation(appeal.number))
    return twiml.readback(
        turn.speaker,
        *before,
        ("appeal_readback", {"number": digits_words(appeal.number)}),
        "answer_period",
        action=turn.url(readback_choice, appeal=appeal.id),
    )


@branch.answer("/appeal/readback")
def readback_choice(turn: Turn) -> VoiceResponse:
    if turn.digits == "*":
        return readback(turn, own_appeal(turn), notify=False)
    return twiml.goodbye(turn.speaker)


def own_appeal(turn: Turn) -> Appeal:
    """The appeal named in the URL, which must be one this call registered."""
    appeal = turn.appeals.own(turn.arg("appeal"))
    if appeal is None:
        raise NotThisCall("not an appeal of this call")
    return appeal
