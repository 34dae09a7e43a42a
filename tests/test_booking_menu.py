"""The booking menu of §12 (issue 12, defect 2): short enough for a real caller and for
Twilio's ``<Say>`` limit.

The expert is chosen first when the free slots belong to several; what the offered slots
share is said once; no ``<Say>`` carries more than 1,000 characters; with the demo data the
first slot choice comes within 480 characters of speech after pressing 1.
"""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest

from models import StaffRole
from tests.conftest import LINE, MOBILE, OPEN_TIME
from tests.test_api_records import SESSION_BODY, auth  # noqa: F401  (a fixture)
from tests.test_staff_schedule import FORM

LONG_EXPERT = "Константинопольская-Преображенская Елизавета Александровна"
LONG_TITLE = "заместитель председателя постоянной комиссии Законодательного собрания Пермского края"
LONG_PLACE = (
    "Пермский край, Кишертский муниципальный округ, с. Усть-Кишерть, ул. Советская, д. 14, "
    "здание администрации, 2-й этаж, каб. 21 (вход со двора)"
)


def says(body: str) -> list[str]:
    return [" ".join(say.itertext()) for say in ElementTree.fromstring(body).iter("Say")]


def test_one_expert_in_one_place_is_said_once_and_slots_say_only_when(twilio, schedule):
    schedule(OPEN_TIME.replace(hour=15) + timedelta(days=1), minutes=60)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")

    said = call.last_said
    assert said.count("Иванова Мария Петровна") == 1
    assert said.count("город Пермь, улица Екатерининская, 210, кабинет 3") == 1
    assert "Нажмите 1: в четверг, третьего декабря, в пятнадцать часов." in said
    assert "Нажмите 2: в четверг, третьего декабря, в пятнадцать часов двадцать минут." in said


def test_several_experts_are_chosen_first_then_their_times(twilio, schedule):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    schedule(day, expert="Иванова Мария Петровна")
    schedule(day + timedelta(days=1), expert="Смирнов Алексей Викторович")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")

    said = call.last_said
    assert "Выберите специалиста." in said
    assert "Иванова Мария Петровна, депутат Законодательного собрания: нажмите 1." in said
    assert "Смирнов Алексей Викторович, депутат Законодательного собрания: нажмите 2." in said
    assert "Нажмите 1: в" not in said  # no times yet
    call.press("2")

    said = call.last_said
    assert "Иванова" not in said  # the chosen expert is not said again
    assert "Нажмите 1: в пятницу, четвёртого декабря, в пятнадцать часов." in said
    call.press("1")
    assert "Вы выбрали: в пятницу, четвёртого декабря, в пятнадцать часов." in call.last_said


def test_the_next_times_stay_with_the_chosen_expert(twilio, schedule):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    schedule(day, minutes=120, expert="Иванова Мария Петровна")
    schedule(day, minutes=120, expert="Смирнов Алексей Викторович")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1").press("1").press("9")

    said = call.last_said
    assert "Нажмите 1: в четверг, третьего декабря, в шестнадцать часов." in said
    assert "Смирнов" not in said


def test_a_sixth_expert_is_reached_with_nine(twilio, schedule):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    for index in range(6):
        schedule(day + timedelta(days=index), minutes=20, expert=f"Эксперт номер {index + 1}")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")
    assert "Эксперт номер 5, депутат Законодательного собрания: нажмите 5." in call.last_said
    assert "Эксперт номер 6" not in call.last_said
    assert "Другие специалисты — нажмите 9." in call.last_said

    call.press("9")
    assert "Эксперт номер 6, депутат Законодательного собрания: нажмите 1." in call.last_said
    call.press("9")  # and round again
    assert "Эксперт номер 1, депутат Законодательного собрания: нажмите 1." in call.last_said
    call.press("9").press("1")
    assert "Нажмите 1: во вторник, восьмого декабря, в пятнадцать часов." in call.last_said


def test_a_place_that_differs_between_slots_is_said_with_each(twilio, schedule):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    schedule(day, minutes=20)
    schedule(day + timedelta(days=1), minutes=20, place="с. Усть-Кишерть, Дом культуры")
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")

    said = call.last_said
    assert said.count("Иванова Мария Петровна") == 1
    assert "в пятнадцать часов. Место приёма: город Пермь" in said
    assert "село Усть-Кишерть, Дом культуры" in said


def test_no_say_is_longer_than_a_thousand_characters_even_with_long_texts(
    twilio, schedule, records
):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    for index in range(6):
        schedule(
            day + timedelta(days=index),
            minutes=20,
            expert=f"{LONG_EXPERT[:90]} {index}",
            place=LONG_PLACE,
        )
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")
    call.press("1")

    for exchange in call.log:
        for text in says(exchange.body) if exchange.body.startswith("<?xml") else []:
            assert len(text) <= 1000, text


def test_the_demo_reaches_the_first_slot_choice_within_480_characters(app, twilio):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--calls-per-day", "0"])
    assert result.exit_code == 0, result.output
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    heard_before = len(call.said)

    call.press("1")
    first_menu = " ".join(call.said[heard_before:])
    assert len(first_menu) <= 480, f"{len(first_menu)} characters: {first_menu}"
    if "Выберите специалиста." in first_menu:
        call.press("1")
    text = " ".join(call.said[heard_before:])
    ends = text.find("Нажмите 2:")
    to_first_slot = text[: ends if ends > 0 else len(text)]

    assert "Нажмите 1:" in to_first_slot
    assert len(to_first_slot) <= 480, f"{len(to_first_slot)} characters: {to_first_slot}"


# --- what staff may type -------------------------------------------------------------------


@pytest.mark.parametrize(("field", "length"), [("expert", 101), ("title", 101), ("place", 201)])
def test_the_api_refuses_texts_too_long_to_say(client, auth, field, length):  # noqa: F811
    supervisor = auth(StaffRole.SUPERVISOR, "head-olga")
    reply = client.post(
        "/api/sessions", json=SESSION_BODY | {field: "ж" * length}, headers=supervisor
    )

    assert reply.status_code == 400
    assert reply.get_json()["error"].startswith(f"{field} must be at most")


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [("expert", 101, "100"), ("title", 101, "100"), ("place", 201, "200")],
)
def test_the_schedule_form_refuses_texts_too_long_to_say(
    form_post, sign_in, field, length, message
):
    sign_in(StaffRole.SUPERVISOR)
    reply = form_post("/schedule", FORM | {field: "ж" * length})

    assert reply.status_code == 400
    assert f"Не длиннее {message} символов." in reply.get_data(as_text=True)


def test_the_longest_texts_allowed_still_fit_a_say(twilio, schedule):
    day = OPEN_TIME.replace(hour=15) + timedelta(days=1)
    for index in range(5):
        schedule(day + timedelta(days=index), minutes=20, expert=f"{index}" + "ж" * 99)
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("1")

    assert max(len(text) for text in says(call.log[-1].body)) <= 1000


def test_long_speech_is_split_into_says_at_sentence_ends():
    from ivr.twiml import split_for_say

    sentence = "Нажмите 1: " + "очень " * 30 + "долго."
    pieces = split_for_say(" ".join([sentence] * 12))

    assert all(len(piece) <= 1000 for piece in pieces)
    assert all(piece.endswith("долго.") for piece in pieces)
    assert " ".join(pieces) == " ".join([sentence] * 12)
    assert [len(p) <= 60 for p in split_for_say("слово " * 50, limit=60)] == [True] * 5
