"""Booking a personal visit (key 1): the slots offered, confirmation, name and read-back."""

from __future__ import annotations

import pytest

from ivr.branches.booking import cancel_choice, confirm_choice, existing_choice, slot_choice, start
from ivr.branches.booking_visitor import (
    contact_checked,
    contact_typed,
    name_ready,
    name_recorded,
    readback_choice,
)
from ivr.turn import NotThisCall
from tests.ivr.fakes import (
    MOBILE,
    Booking,
    FakeBookingDesk,
    FakeTurn,
    offer,
    query,
    reply,
    speaker,
    url_of,
    view_at,
)

FOUR_SLOTS = [offer(11, 3, 10), offer(12, 3, 11), offer(13, 4, 15), offer(14, 7, 10)]
FIRST_SLOT = (
    "Приём ведёт Иванова Анна Петровна, юрист. "
    "Место приёма: улица Екатерининская, 210, кабинет 5. "
    "Нажмите 1: в четверг, третьего декабря, в десять часов."
)


def test_key_1_without_an_upcoming_appointment_offers_three_slots_named_in_the_url() -> None:
    turn = FakeTurn(booking=FakeBookingDesk(free=list(FOUR_SLOTS)))

    answer = reply(start(turn))

    assert FIRST_SLOT in answer.said
    assert "Нажмите 3: в пятницу, четвёртого декабря, в пятнадцать часов." in answer.said
    assert "Нажмите 4" not in answer.said
    assert "Чтобы услышать другие варианты, нажмите 9." in answer.said  # a fourth exists
    assert answer.action == url_of(slot_choice, slots="11.12.13", offset=0, attempt=1)
    assert ("slots_offered", "11 12 13") in turn.log.events


def test_a_caller_with_an_upcoming_appointment_hears_it_before_any_slot() -> None:
    mine = Booking(7, "4711", MOBILE, slot_id=11)
    turn = FakeTurn(booking=FakeBookingDesk(existing=mine, free=list(FOUR_SLOTS)))

    answer = reply(start(turn))

    assert answer.said.startswith("У вас уже есть запись на личный приём в четверг")
    assert "Чтобы отменить эту запись, нажмите 8." in answer.said
    assert answer.action == url_of(existing_choice, appointment=7, attempt=1)
    assert turn.booking.pages == []  # no slots looked up yet

    cancel = reply(turn.post(answer.action, "8"))
    assert cancel.action == url_of(cancel_choice, appointment=7)
    after = reply(turn.post(cancel.action, "1"))
    assert turn.booking.cancelled == [7]
    assert after.said.startswith(f"Запись отменена. {FIRST_SLOT}")


def test_a_withheld_caller_is_not_asked_about_an_appointment_found_by_number() -> None:
    mine = Booking(7, "4711", MOBILE, slot_id=11)
    turn = FakeTurn(caller=None, booking=FakeBookingDesk(existing=mine, free=list(FOUR_SLOTS)))

    answer = reply(start(turn))

    assert FIRST_SLOT in answer.said
    assert "У вас уже есть запись" not in answer.said


def test_a_slot_key_asks_to_confirm_that_slot_and_9_offers_the_next_ones() -> None:
    turn = FakeTurn(booking=FakeBookingDesk(free=list(FOUR_SLOTS)))
    slots = reply(start(turn))

    chosen = reply(turn.post(slots.action, "2"))
    more = reply(turn.post(slots.action, "9"))

    assert chosen.said.startswith("Вы выбрали: в четверг, третьего декабря, в одиннадцать часов.")
    assert chosen.action == url_of(confirm_choice, slot=12, attempt=1)
    assert ("slot_chosen", "12") in turn.log.events
    assert "Нажмите 1: в понедельник, седьмого декабря" in more.said
    assert query(more.action) == {"slots": "14", "offset": "3", "attempt": "1"}


@pytest.mark.parametrize(
    ("lost", "keys"),
    [({"taken": {12}}, ["2", "1"]), ({"gone": {12}}, ["2"])],
    ids=["taken-at-the-confirming-key", "gone-before-it-was-read-out"],
)
def test_a_slot_taken_meanwhile_sends_the_caller_back_to_the_list(
    lost: dict[str, set[int]], keys: list[str]
) -> None:
    turn = FakeTurn(booking=FakeBookingDesk(free=list(FOUR_SLOTS), **lost))
    answer = reply(start(turn))
    for key in keys:
        answer = reply(turn.post(answer.action, key))

    assert answer.said.startswith(
        f"Это время уже занято. Пожалуйста, выберите другое. {FIRST_SLOT}"
    )
    assert "Record" not in answer.verbs
    assert view_at(answer.action) is slot_choice
    assert query(answer.action)["slots"] == "11.12.13"  # the same expert's list again
    assert turn.booking.bookings == {}


def test_confirming_books_with_the_consent_wording_then_records_the_name() -> None:
    turn = FakeTurn(booking=FakeBookingDesk(free=list(FOUR_SLOTS)))

    answer = reply(turn.post(url_of(confirm_choice, slot=12, attempt=1), "1"))

    wording = speaker().catalogue.prompt_version("booking_confirm")
    assert turn.booking.confirmed == [(12, wording)]
    (booking,) = turn.booking.bookings.values()
    assert answer.verbs == ["Say", "Record", "Redirect"]
    record = answer.only("Record")
    assert record.attrib["action"] == url_of(name_recorded, appointment=booking.id)
    assert record.attrib["recordingStatusCallback"] == url_of(name_ready, appointment=booking.id)
    assert answer.redirect == url_of(name_recorded, appointment=booking.id, timeout=1)


def test_the_name_recorded_reads_the_code_back_twice_and_texts_it() -> None:
    mine = Booking(7, "4711", MOBILE, slot_id=11)
    turn = FakeTurn(booking=FakeBookingDesk(bookings={7: mine}))

    answer = reply(turn.post(url_of(name_recorded, appointment=7)))

    assert turn.booking.named == [7]
    assert answer.said.count("четыре семь один один") == 2
    assert "Возьмите с собой паспорт." in answer.said
    assert answer.action == url_of(readback_choice, appointment=7)
    assert answer.hangs_up
    ((phone, text),) = turn.log.sms
    assert phone == MOBILE
    assert "Код записи 4711" in text
    with pytest.raises(NotThisCall):
        turn.post(url_of(name_recorded, appointment=8))


def test_a_withheld_caller_types_a_number_and_the_sms_goes_to_it() -> None:
    mine = Booking(7, "4711", None, slot_id=11)
    turn = FakeTurn(caller=None, booking=FakeBookingDesk(bookings={7: mine}))

    ask = reply(turn.post(url_of(name_recorded, appointment=7)))
    assert ask.action == url_of(contact_typed, attempt=1, appointment=7)
    assert ask.only("Gather").attrib["finishOnKey"] == "#"
    check = reply(turn.post(ask.action, "89024712233"))
    assert check.action == url_of(contact_checked, appointment=7)
    assert "Если номер верный, нажмите 1. Чтобы ввести номер заново, нажмите 2." in check.said
    retyped = reply(turn.post(check.action, "2"))
    assert retyped.action == url_of(contact_typed, attempt=1, round=2, appointment=7)
    check = reply(turn.post(retyped.action, "9024712233"))
    answer = reply(turn.post(check.action, ""))  # silence keeps the number

    assert turn.booking.contacts == [(7, MOBILE), (7, MOBILE)]  # kept on each typing
    assert [phone for phone, _ in turn.log.sms] == [MOBILE]
    assert "Ваш код записи" in answer.said
