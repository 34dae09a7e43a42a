"""The main menu over signed webhooks: greeting, keys, silence and wrong keys."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from models import Call, Callback, CallOutcome
from tests.conftest import LINE, MOBILE, PERM

MENU_TEXT = "Чтобы записаться на личный приём, нажмите 1"


def events(records, sid: str) -> list[tuple[str, str]]:
    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == sid))
        return [(event.kind, event.detail) for event in call.events]


def test_greeting_names_the_line_and_the_recording_notice(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    assert call.waiting_for == "gather"
    spoken = " ".join(call.said)
    assert "Вы позвонили в общественную приёмную" in spoken
    assert "Разговор может записываться" in spoken
    assert MENU_TEXT in spoken
    assert "закрыта" not in spoken
    assert not call.errors


def test_every_prompt_is_russian_with_the_configured_voice(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    assert {(u.voice, u.language) for u in call.utterances} == {("Polly.Tatyana", "ru-RU")}


@pytest.mark.parametrize(
    ("now", "opening"),
    [
        (datetime(2026, 12, 4, 19, 0, tzinfo=PERM), "в понедельник в десять часов"),
        (datetime(2026, 12, 2, 8, 0, tzinfo=PERM), "сегодня в десять часов"),
        (datetime(2026, 12, 31, 12, 0, tzinfo=PERM), "в понедельник, одиннадцатого января"),
    ],
)
def test_out_of_hours_the_greeting_says_when_the_office_opens(twilio, clock, now, opening):
    clock.set(now)

    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    spoken = " ".join(call.said)
    assert "Приёмная сейчас закрыта." in spoken
    assert f"Мы откроемся {opening}" in spoken
    assert call.waiting_for == "gather"  # self-service works around the clock


def test_every_gather_has_an_action_and_a_fall_through(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    document = ElementTree.fromstring(call.log[0].body)
    verbs = list(document)
    gather_at = next(i for i, verb in enumerate(verbs) if verb.tag == "Gather")
    assert verbs[gather_at].get("action", "").startswith("https://reception.example/twilio/")
    assert verbs[gather_at + 1].tag == "Redirect"


def test_star_repeats_the_menu_without_using_a_try(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("*").silence().press("*").silence()

    assert call.waiting_for == "gather"  # two silences: one try left
    call.silence()
    assert call.ended
    assert [kind for kind, _ in events(records, call.sid)].count("no_input") == 3


def test_three_silences_end_in_a_callback_and_goodbye_never_a_loop(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.silence()
    assert "Мы не услышали ваш выбор." in call.last_said
    call.silence().silence()

    assert call.ended
    assert call.end_reason == "hangup-verb"
    assert "Сотрудник приёмной перезвонит вам в рабочее время." in call.last_said
    assert "До свидания." in call.last_said
    call.finish()
    with records() as session:
        logged = session.scalar(sa.select(Call).where(Call.sid == call.sid))
        assert logged.outcome is CallOutcome.CALLBACK_REQUESTED
        assert logged.callback is not None
        assert logged.callback.phone == MOBILE
        assert logged.callback.reasons == ["no_choice"]


def test_wrong_keys_count_as_tries_and_are_named(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    call.press("7")
    assert "Такого пункта в меню нет." in call.last_said
    call.press("#").silence()

    assert call.ended
    kinds = [kind for kind, _ in events(records, call.sid)]
    assert kinds.count("wrong_key") == 2
    assert kinds.count("no_input") == 1


def test_a_withheld_caller_gets_a_goodbye_and_no_callback(twilio, records):
    call = twilio.incoming_call(from_="anonymous", to=LINE).start()

    call.silence().silence().silence()
    call.finish()

    assert call.ended
    assert "перезвонит" not in call.last_said
    with records() as session:
        logged = session.scalar(sa.select(Call).where(Call.sid == call.sid))
        assert logged.caller is None
        assert logged.caller_raw == "anonymous"
        assert logged.outcome is CallOutcome.ABANDONED
        assert session.scalar(sa.select(sa.func.count(Callback.id))) == 0


def test_the_menu_path_is_logged_in_order(twilio, records):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("9").press("*").silence()

    assert events(records, call.sid) == [
        ("started", f"line {LINE}"),
        ("menu", "try 1"),
        ("wrong_key", "9"),
        ("menu", "try 2"),
        ("key", "*"),
        ("no_input", ""),
        ("menu", "try 3"),
    ]
