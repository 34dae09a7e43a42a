"""Appointments by day in the staff application: the day's sessions and slots, marks, booking."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog import booking
from models import (
    Appointment,
    AppointmentStatus,
    AuditEntry,
    BookingSource,
    Call,
    Recording,
    RecordingKind,
    RecordingState,
    StaffRole,
)
from tests.conftest import EXPERT, MOBILE, PERM

OTHER = "+79124567890"
OUTREACH = "город Краснокамск, улица Карла Маркса, дом 3"
GUEST_EXPERT = "Смирнов Алексей Викторович"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


@pytest.fixture
def operator(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.OPERATOR)


@pytest.fixture
def book(records: Callable[[], orm.Session]) -> Callable[..., Appointment]:
    """Book ``slot_id`` for ``phone`` as the phone line would."""

    def add(slot_id: int, phone: str = MOBILE, at: datetime = local(1, 9)) -> Appointment:
        with records() as session:
            appointment = booking.book(
                session, slot_id=slot_id, phone=phone, now=at, source=BookingSource.PHONE
            )
            session.commit()
            return appointment

    return add


def load(records: Callable[[], orm.Session], appointment_id: int) -> Appointment:
    return records().get(Appointment, appointment_id)


def page(client: FlaskClient, url: str = "/appointments") -> str:
    reply = client.get(url)
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash [a-z]+">([^<]+)</p>', html)


def test_the_day_lists_each_session_with_its_slots_booked_or_free(
    client, operator, schedule, book, records
):
    office = schedule(local(2, 14), 60)  # three slots of 20 minutes
    outreach = schedule(
        local(2, 15, 30), 30, 30, expert=GUEST_EXPERT, place=OUTREACH, outreach=True
    )
    schedule(local(3, 10), 60)  # tomorrow
    booked = book(office[1])
    with records() as session:
        call = Call(
            sid="CA" + "a" * 32,
            direction="inbound",
            line="+73422368229",
            caller=MOBILE,
            caller_raw=MOBILE,
            caller_kind="russian",
            started_at=local(1, 9),
        )
        session.add(call)
        session.flush()
        session.add(
            Recording(
                sid="RE" + "b" * 32,
                call_id=call.id,
                kind=RecordingKind.NAME,
                duration_s=3,
                state=RecordingState.STORED,
                created_at=local(1, 9),
                appointment_id=booked.id,
                storage_key="name.mp3",
            )
        )
        session.commit()
        recording_id = session.scalar(sa.select(Recording.id))

    html = page(client)

    assert "Среда, 2 декабря 2026" in html or "среда, 2 декабря 2026" in html
    assert html.index(EXPERT) < html.index(GUEST_EXPERT)
    assert "14:00–15:00" in html
    assert OUTREACH in html
    assert "выездной приём" in html
    row = html[: html.index(f'<td class="code">{booked.code}</td>')].rsplit("<tr", 1)[1]
    row += html[html.index(f'<td class="code">{booked.code}</td>') :].split("</tr>")[0]
    assert "14:20" in row
    assert "8 (902) 471-22-33" in row
    assert "записан" in row
    assert f'href="/recordings/{recording_id}"' in row
    assert html.count("свободно") == 3  # 14:00, 14:40, 15:30
    assert "записано 1 из 3" in html
    assert "записано 0 из 1" in html
    assert len(office) + len(outreach) == 4
    assert "10:00–11:00" not in html  # tomorrow's session


def test_the_date_chooses_the_day_and_the_arrows_move_by_one(client, operator, schedule):
    schedule(local(3, 10), 60, expert=GUEST_EXPERT)

    html = page(client, "/appointments?date=2026-12-03")

    assert GUEST_EXPERT in html
    assert 'href="/appointments?date=2026-12-02"' in html
    assert 'href="/appointments?date=2026-12-04"' in html
    assert GUEST_EXPERT not in page(client, "/appointments")
    assert "В этот день приёмов нет." in page(client, "/appointments?date=2026-12-04")


@pytest.mark.parametrize("value", ["02.12.2026", "2026-13-01", "99999-01-01", "\x00"])
def test_a_date_that_is_not_one_shows_today(client, operator, schedule, value):
    schedule(local(2, 14), 60)

    html = page(client, "/appointments?date=" + value)

    assert EXPERT in html
    assert "показан сегодняшний день" in html


def test_viewing_the_day_is_audited(client, operator, records):
    page(client, "/appointments?date=2026-12-05")

    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "view"))
    assert (entry.actor, entry.subject, entry.detail) == (
        "staff:operator",
        "appointments",
        "date=2026-12-05",
    )


def test_an_operator_marks_a_visit_attended_or_missed_and_can_correct_it(
    client, form_post, operator, schedule, book, records
):
    appointment = book(schedule(local(2, 14), 60)[0])

    reply = form_post(f"/appointments/{appointment.id}/status", {"status": "attended"})

    assert reply.status_code == 302
    assert reply.location == "/appointments?date=2026-12-02"
    assert load(records, appointment.id).status is AppointmentStatus.ATTENDED
    assert f"Запись {appointment.code}: пришёл." in flashes(page(client, reply.location))
    form_post(f"/appointments/{appointment.id}/status", {"status": "no_show"})
    assert load(records, appointment.id).status is AppointmentStatus.NO_SHOW
    changes = records().scalars(sa.select(AuditEntry).where(AuditEntry.action == "change")).all()
    assert [(e.subject, e.detail) for e in changes] == [
        (f"appointment:{appointment.code}", "status=attended"),
        (f"appointment:{appointment.code}", "status=no_show"),
    ]


def test_a_cancelled_booking_frees_its_slot(client, form_post, operator, schedule, book, records):
    appointment = book(schedule(local(2, 14), 20)[0])

    reply = form_post(
        f"/appointments/{appointment.id}/status", {"status": "cancelled", "note": "эксперт заболел"}
    )

    assert load(records, appointment.id).status is AppointmentStatus.CANCELLED
    html = page(client, reply.location)
    assert "отменено" in " ".join(flashes(html))
    assert f'<td class="code">{appointment.code}</td>' not in html
    assert "свободно" in html


def test_a_cancellation_needs_a_reason_which_the_mobile_gets_by_sms(
    app, client, form_post, operator, schedule, book, records, fake_twilio
):
    app.config["SMS_FROM"] = "Priemnaya"
    appointment = book(schedule(local(3, 10), 20)[0])

    refused = form_post(f"/appointments/{appointment.id}/status", {"status": "cancelled"})
    assert "напишите причину отмены" in " ".join(flashes(page(client, refused.location)))
    assert load(records, appointment.id).status is AppointmentStatus.BOOKED

    form_post(
        f"/appointments/{appointment.id}/status", {"status": "cancelled", "note": "эксперт заболел"}
    )

    cancelled = load(records, appointment.id)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.note == "отменена: эксперт заболел"
    [sent] = fake_twilio.sent("POST", "/Messages.json")
    assert sent.data["To"] == MOBILE
    assert sent.data["Body"] == (
        f"Ваша запись на личный приём 3 декабря в 10:00 (код {appointment.code}) отменена. "
        "эксперт заболел. Записаться снова можно по телефону приёмной."
    )
    details = records().scalars(sa.select(AuditEntry.detail)).all()
    assert not any("заболел" in detail for detail in details)


def test_a_visit_on_a_later_day_cannot_be_marked_yet_but_can_be_cancelled(
    client, form_post, operator, schedule, book, records
):
    appointment = book(schedule(local(3, 10), 20)[0])
    html = page(client, "/appointments?date=2026-12-03")
    assert "Пришёл" not in html
    assert "Отменить" in html

    reply = form_post(f"/appointments/{appointment.id}/status", {"status": "attended"})

    assert "в день приёма" in " ".join(flashes(page(client, reply.location)))
    assert load(records, appointment.id).status is AppointmentStatus.BOOKED
    form_post(
        f"/appointments/{appointment.id}/status", {"status": "cancelled", "note": "эксперт заболел"}
    )
    assert load(records, appointment.id).status is AppointmentStatus.CANCELLED


def test_a_marked_visit_cannot_be_cancelled_nor_a_cancelled_one_marked(
    client, form_post, operator, schedule, book, records
):
    slots = schedule(local(2, 9), 40)  # earlier today
    came = book(slots[0], at=local(1, 9))
    gone = book(slots[1], phone=OTHER, at=local(1, 9))
    form_post(f"/appointments/{came.id}/status", {"status": "attended"})
    form_post(f"/appointments/{gone.id}/status", {"status": "cancelled", "note": "эксперт заболел"})

    form_post(f"/appointments/{came.id}/status", {"status": "cancelled", "note": "эксперт заболел"})
    form_post(f"/appointments/{gone.id}/status", {"status": "no_show"})

    assert load(records, came.id).status is AppointmentStatus.ATTENDED
    assert load(records, gone.id).status is AppointmentStatus.CANCELLED


def test_a_bad_status_changes_nothing(client, form_post, operator, schedule, book, records):
    appointment = book(schedule(local(2, 14), 20)[0])

    form_post(f"/appointments/{appointment.id}/status", {"status": "booked"})

    assert load(records, appointment.id).status is AppointmentStatus.BOOKED
    assert form_post("/appointments/999999/status", {"status": "attended"}).status_code == 404


def test_staff_book_a_free_slot_for_a_walk_in(client, form_post, operator, schedule, records):
    slots = schedule(local(2, 14), 60)

    reply = form_post(
        "/appointments/book",
        {"slot_id": slots[2], "phone": "8 (912) 456-78-90", "note": "пришёл без записи"},
    )

    assert reply.status_code == 302
    appointment = records().scalar(sa.select(Appointment))
    assert (appointment.slot_id, appointment.phone, appointment.source, appointment.status) == (
        slots[2],
        OTHER,
        BookingSource.STAFF,
        AppointmentStatus.BOOKED,
    )
    html = page(client, reply.location)
    assert f"Записан 8 (912) 456-78-90, код записи {appointment.code}." in flashes(html)
    assert "пришёл без записи" in html
    assert appointment.note == "пришёл без записи"
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "book"))
    assert (entry.actor, entry.subject) == ("staff:operator", f"appointment:{appointment.code}")
    assert "пришёл" not in entry.detail  # the note is personal data: not in the audit log


def test_a_perm_number_without_its_area_code_is_accepted(
    client, form_post, operator, schedule, records
):
    slot = schedule(local(2, 14), 20)[0]

    form_post("/appointments/book", {"slot_id": slot, "phone": "236-82-29"})

    assert records().scalar(sa.select(Appointment.phone)) == "+73422368229"


def test_a_taken_slot_is_not_booked_twice(client, form_post, operator, schedule, book, records):
    slot = schedule(local(2, 14), 20)[0]
    first = book(slot)

    reply = form_post("/appointments/book", {"slot_id": slot, "phone": "8 912 456 78 90"})

    assert "Это время уже занято." in flashes(page(client, reply.location))
    assert records().scalars(sa.select(Appointment.id)).all() == [first.id]


def test_a_slot_that_has_begun_is_not_booked(client, form_post, operator, schedule, records):
    slot = schedule(local(2, 10, 40), 20)[0]  # 10:40, and it is 11:00
    assert "Записать" not in page(client)

    reply = form_post("/appointments/book", {"slot_id": slot, "phone": "89124567890"})

    assert "уже прошло" in " ".join(flashes(page(client, reply.location)))
    assert records().scalar(sa.select(sa.func.count(Appointment.id))) == 0


@pytest.mark.parametrize(
    ("phone", "note", "message"),
    [
        ("", "", "Укажите телефон."),
        ("12345", "", "Нужен российский номер"),
        ("+44 20 7946 0000", "", "Нужен российский номер"),
        ("89124567890", "x" * 201, "Не длиннее 200 символов."),
        ("89124567890", "a\x00b", "недопустимые символы"),
    ],
)
def test_a_bad_booking_form_is_shown_again_with_what_is_wrong(
    client, form_post, operator, schedule, records, phone, note, message
):
    slot = schedule(local(2, 14), 20)[0]

    reply = form_post("/appointments/book", {"slot_id": slot, "phone": phone, "note": note})

    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert records().scalar(sa.select(sa.func.count(Appointment.id))) == 0


def test_booking_an_unknown_slot_is_a_404(client, form_post, operator):
    for slot_id in (99999, 2**40, "x"):
        reply = form_post("/appointments/book", {"slot_id": slot_id, "phone": "89124567890"})
        assert reply.status_code == 404


def test_booking_a_phone_with_an_appointment_cancels_nothing_and_asks(
    client, form_post, operator, schedule, book, records
):
    """Defect 1 (§12): the phone's earlier appointment stays; staff are asked what to do."""
    slots = schedule(local(8, 10), 60)
    earlier = form_post(
        "/appointments/book",
        {"slot_id": slots[1], "phone": "+7 (342) 244-55-66", "note": "с дочерью"},
    )
    assert earlier.status_code == 302
    first = records().scalar(sa.select(Appointment))

    reply = form_post("/appointments/book", {"slot_id": slots[2], "phone": "+7 (342) 244-55-66"})

    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "уже есть запись" in html
    assert first.code in html
    assert "Перенести эту запись на 10:40" in html
    assert "Записать ещё одного посетителя на 10:40" in html
    after = records().scalars(sa.select(Appointment)).all()
    assert [(a.id, a.status, a.note) for a in after] == [
        (first.id, AppointmentStatus.BOOKED, "с дочерью")
    ]


def test_the_phones_appointment_moved_here_keeps_its_code(
    client, form_post, operator, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    earlier = book(slots[0])

    reply = form_post(
        "/appointments/book",
        {"slot_id": slots[2], "phone": "+7 902 471-22-33", "choice": "move", "move_id": earlier.id},
    )

    moved = load(records, earlier.id)
    assert (moved.slot_id, moved.code, moved.status) == (
        slots[2],
        earlier.code,
        AppointmentStatus.BOOKED,
    )
    assert records().scalar(sa.select(sa.func.count(Appointment.id))) == 1
    message = f"Запись {earlier.code} перенесена с 03.12.2026 10:00 на 03.12.2026 10:40."
    assert message in flashes(page(client, reply.location))
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "move"))
    assert entry.subject == f"appointment:{earlier.code}"


def test_another_visitor_of_the_same_phone_is_booked_under_their_name(
    client, form_post, operator, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    earlier = book(slots[0])
    data = {"slot_id": slots[1], "phone": "+7 902 471-22-33", "choice": "another"}

    nameless = form_post("/appointments/book", data)
    assert nameless.status_code == 400
    assert "Укажите имя посетителя" in nameless.get_data(as_text=True)

    reply = form_post("/appointments/book", data | {"visitor_name": "Петрова Анна"})

    assert reply.status_code == 302
    rows = records().scalars(sa.select(Appointment).order_by(Appointment.id)).all()
    assert [(a.id == earlier.id, a.status, a.visitor_name) for a in rows] == [
        (True, AppointmentStatus.BOOKED, None),
        (False, AppointmentStatus.BOOKED, "Петрова Анна"),
    ]
    assert "Петрова Анна" in page(client, reply.location)
    details = records().scalars(sa.select(AuditEntry.detail)).all()
    assert not any("Петрова" in detail for detail in details)


def test_moving_another_numbers_appointment_is_refused(
    client, form_post, operator, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    stranger = book(slots[0], phone=OTHER)

    reply = form_post(
        "/appointments/book",
        {"slot_id": slots[2], "phone": MOBILE, "choice": "move", "move_id": stranger.id},
    )

    assert "перенести нельзя" in " ".join(flashes(page(client, reply.location)))
    assert load(records, stranger.id).slot_id == slots[0]


def test_the_page_needs_a_signed_in_operator(client):
    assert client.get("/appointments").status_code == 302


def test_a_booking_code_leads_to_its_day(client, operator, schedule, book):
    appointment = book(schedule(local(8, 10), 20)[0])

    reply = client.get(f"/appointments?code={appointment.code}")

    assert reply.status_code == 302
    assert reply.location == f"/appointments?date=2026-12-08#code-{appointment.code}"
    assert f'id="code-{appointment.code}"' in page(client, reply.location)
    missing = client.get("/appointments?code=000")
    assert "Записи с кодом 000 нет." in " ".join(flashes(page(client, missing.location)))
