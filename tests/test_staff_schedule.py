"""The reception schedule in the staff application: list, create, edit, delete (supervisors)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm

from calllog import booking
from models import (
    Appointment,
    AuditEntry,
    BookingSource,
    ReceptionSession,
    Slot,
    StaffRole,
)
from tests.conftest import EXPERT, MOBILE, OFFICE, PERM

OUTREACH = "город Краснокамск, улица Карла Маркса, дом 3"
NEW_EXPERT = "Смирнов Алексей Викторович"
FORM = {
    "expert": NEW_EXPERT,
    "title": "юрист",
    "place": OUTREACH,
    "outreach": "y",
    "day": "2026-12-08",
    "start": "10:00",
    "end": "13:00",
    "slot_minutes": "20",
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=PERM)


@pytest.fixture
def supervisor(sign_in: Callable[..., str]) -> str:
    return sign_in(StaffRole.SUPERVISOR)


@pytest.fixture
def book(records: Callable[[], orm.Session]) -> Callable[..., Appointment]:
    def add(slot_id: int, phone: str = MOBILE) -> Appointment:
        with records() as session:
            appointment = booking.book(
                session, slot_id=slot_id, phone=phone, now=local(1, 9), source=BookingSource.PHONE
            )
            session.commit()
            return appointment

    return add


def session_of(records: Callable[[], orm.Session], slot_id: int) -> ReceptionSession | None:
    with records() as session:
        slot = session.get(Slot, slot_id)
        return slot.session if slot else None


def receptions(records: Callable[[], orm.Session]) -> list[ReceptionSession]:
    return records().scalars(sa.select(ReceptionSession).order_by(ReceptionSession.id)).all()


def page(client: FlaskClient, url: str = "/schedule") -> str:
    reply = client.get(url)
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


# --- who may --------------------------------------------------------------------------------


def test_an_operator_gets_403(client, form_post, sign_in):
    sign_in(StaffRole.OPERATOR)

    assert client.get("/schedule").status_code == 403
    assert client.get("/schedule/1").status_code == 403
    assert form_post("/schedule", FORM).status_code == 403
    assert form_post("/schedule/1/delete").status_code == 403


def test_supervisors_and_admins_see_the_schedule_in_the_menu(client, sign_in):
    sign_in(StaffRole.ADMIN)

    assert 'href="/schedule"' in page(client, "/")


def test_operators_do_not_see_it_in_the_menu(client, sign_in):
    sign_in(StaffRole.OPERATOR)

    html = page(client, "/")
    assert 'href="/schedule"' not in html
    assert 'href="/appointments"' in html
    assert 'href="/callbacks"' in html


# --- the list -------------------------------------------------------------------------------


def test_the_schedule_lists_upcoming_sessions_with_their_bookings(
    client, supervisor, schedule, book
):
    schedule(local(1, 10), 60, expert="Прошедший Эксперт")  # yesterday
    office = schedule(local(3, 10), 60)
    schedule(local(4, 11), 90, 30, expert=NEW_EXPERT, place=OUTREACH, outreach=True)
    book(office[0])

    html = page(client)

    assert "Прошедший Эксперт" not in html
    assert html.index(EXPERT) < html.index(NEW_EXPERT)
    assert "03.12.2026" in html
    assert "10:00–11:00" in html
    assert "11:00–12:30" in html
    assert "депутат Законодательного собрания" in html
    assert OFFICE in html
    assert html.count("выездной приём</span>") == 1
    assert "1 из 3" in html
    assert "0 из 3" in html


# --- create ---------------------------------------------------------------------------------


def test_a_supervisor_creates_a_session_with_its_slots(client, form_post, supervisor, records):
    reply = form_post("/schedule", FORM)

    assert reply.status_code == 302
    (reception,) = receptions(records)
    assert (reception.expert, reception.title, reception.place, reception.outreach) == (
        NEW_EXPERT,
        "юрист",
        OUTREACH,
        True,
    )
    assert reception.starts_at == local(8, 10)
    assert reception.ends_at == local(8, 13)
    assert [slot.starts_at for slot in reception.slots][:2] == [local(8, 10), local(8, 10, 20)]
    assert len(reception.slots) == 9
    assert "добавлен: 9 записей" in page(client, reply.location)
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "change"))
    assert (entry.subject, entry.detail) == (f"session:{reception.id}", "created")


def test_an_office_session_without_the_checkbox_is_not_outreach(
    client, form_post, supervisor, records
):
    form = {key: value for key, value in FORM.items() if key != "outreach"}

    form_post("/schedule", form)

    assert receptions(records)[0].outreach is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expert": "  "}, "Укажите эксперта."),
        ({"place": ""}, "Укажите место приёма."),
        ({"title": "x" * 101}, "Не длиннее 100 символов."),
        ({"expert": "Иванова\x00"}, "недопустимые символы"),
        ({"day": "8 декабря"}, "Not a valid date value."),
        ({"start": ""}, "Укажите время начала."),
        ({"end": "09:00"}, "Время окончания должно быть позже начала."),
        ({"end": "10:00"}, "Время окончания должно быть позже начала."),
        ({"slot_minutes": "240"}, "От 10 до 60 минут."),
        ({"slot_minutes": "5"}, "От 10 до 60 минут."),
        ({"slot_minutes": "7"}, "От 10 до 60 минут."),
        ({"end": "10:30", "slot_minutes": "45"}, "не может быть дольше самого приёма"),
        ({"start": "01:00", "end": "05:00"}, "Приём проводится с 8:00 до 21:00."),
        ({"start": "19:00", "end": "21:30"}, "Приём проводится с 8:00 до 21:00."),
        ({"day": "2026-12-13"}, "нерабочий день"),
        ({"slot_minutes": "двадцать"}, "Not a valid integer value."),
        ({"day": "2026-12-01"}, "Начало приёма уже прошло"),
    ],
)
def test_a_bad_session_is_shown_again_with_what_is_wrong(
    client, form_post, supervisor, records, change, message
):
    reply = form_post("/schedule", FORM | change)

    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    assert receptions(records) == []


def test_the_rules_are_those_of_the_api(client, form_post, supervisor, records):
    """The form and ``POST /api/sessions`` refuse the same slot length, by the same rule."""
    from calllog.schedule import SessionError, check_times

    with pytest.raises(SessionError, match="slot_minutes must be 10 to 60"):
        check_times(local(8, 10), local(8, 11), 61)
    form_post("/schedule", FORM | {"end": "11:00", "slot_minutes": "61"})
    assert receptions(records) == []


def test_a_session_on_a_non_working_day_needs_the_flag(client, form_post, supervisor, records):
    sunday = FORM | {"day": "2026-12-13"}

    assert form_post("/schedule", sunday).status_code == 400
    reply = form_post("/schedule", sunday | {"non_working_day": "y"})

    assert reply.status_code == 302
    assert [r.starts_at for r in receptions(records)] == [local(13, 10)]


def test_an_overlapping_session_of_the_same_expert_is_refused(
    client, form_post, supervisor, schedule, records
):
    """Defect 2 (§12): a second 11:00–12:00 session inside her 10:00–13:00 one."""
    schedule(local(8, 10), 180, expert=NEW_EXPERT)

    reply = form_post("/schedule", FORM | {"start": "11:00", "end": "12:00"})

    assert reply.status_code == 409
    assert "У эксперта в это время уже есть приём: 08.12.2026 10:00–13:00." in reply.get_data(
        as_text=True
    )
    assert len(receptions(records)) == 1
    # Another expert at that time is no overlap; nor is the same expert right after.
    assert form_post("/schedule", FORM | {"expert": EXPERT, "start": "11:00"}).status_code == 302
    assert form_post("/schedule", FORM | {"start": "13:00", "end": "14:00"}).status_code == 302


def test_an_edit_into_the_experts_other_session_is_refused(
    client, form_post, supervisor, schedule, records
):
    schedule(local(8, 10), 60, expert=NEW_EXPERT)
    other = session_of(records, schedule(local(8, 14), 60, expert=EXPERT)[0])

    renamed = form_post(f"/schedule/{other.id}", FORM | {"start": "14:00", "end": "15:00"})
    assert renamed.status_code == 302  # another time: the new expert is free then
    moved = form_post(f"/schedule/{other.id}", FORM | {"start": "10:30", "end": "11:30"})

    assert moved.status_code == 409
    assert "уже есть приём" in moved.get_data(as_text=True)
    assert records().get(ReceptionSession, other.id).starts_at == local(8, 14)


# --- edit -----------------------------------------------------------------------------------


def test_an_unbooked_session_can_be_moved_and_its_slots_cut_anew(
    client, form_post, supervisor, schedule, records
):
    slots = schedule(local(3, 10), 60)
    reception = session_of(records, slots[0])
    html = page(client, f"/schedule/{reception.id}")
    assert 'name="start"' in html
    assert 'value="2026-12-03"' in html

    reply = form_post(
        f"/schedule/{reception.id}",
        {
            "expert": EXPERT,
            "title": "депутат",
            "place": OFFICE,
            "day": "2026-12-04",
            "start": "14:00",
            "end": "15:30",
            "slot_minutes": "30",
        },
    )

    assert reply.status_code == 302
    (moved,) = receptions(records)
    assert (moved.starts_at, moved.ends_at, moved.slot_minutes, moved.title) == (
        local(4, 14),
        local(4, 15, 30),
        30,
        "депутат",
    )
    assert [slot.starts_at for slot in moved.slots] == [
        local(4, 14),
        local(4, 14, 30),
        local(4, 15),
    ]
    assert "Приём сохранён." in page(client, reply.location)


def test_a_change_that_drops_booked_slots_is_refused_naming_them(
    client, form_post, supervisor, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    booked = book(slots[1])  # 10:20
    reception = session_of(records, slots[0])
    moved = {
        "expert": NEW_EXPERT,
        "title": "юрист",
        "place": OUTREACH,
        "day": "2026-12-09",
        "start": "15:00",
        "end": "16:00",
        "slot_minutes": "30",
    }

    reply = form_post(f"/schedule/{reception.id}", moved)

    assert reply.status_code == 409
    html = reply.get_data(as_text=True)
    assert f"03.12.2026 10:20, код {booked.code}" in html
    assert "сначала перенесите" in html
    (unchanged,) = receptions(records)
    assert (unchanged.expert, unchanged.starts_at, unchanged.slot_minutes) == (
        EXPERT,
        local(3, 10),
        20,
    )


def test_a_change_that_keeps_the_booked_slots_is_saved(
    client, form_post, supervisor, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    booked = book(slots[1])  # 10:20–10:40
    reception = session_of(records, slots[0])

    reply = form_post(
        f"/schedule/{reception.id}",
        {
            "expert": NEW_EXPERT,
            "title": "юрист",
            "place": OUTREACH,
            "outreach": "y",
            "day": "2026-12-03",
            "start": "10:00",
            "end": "11:20",
            "slot_minutes": "20",
        },
    )

    assert reply.status_code == 302
    (edited,) = receptions(records)
    assert [slot.starts_at for slot in edited.slots] == [
        local(3, 10),
        local(3, 10, 20),
        local(3, 10, 40),
        local(3, 11),
    ]
    kept = records().get(Appointment, booked.id)
    assert (kept.slot_id, kept.status.value) == (slots[1], "booked")
    entry = records().scalar(sa.select(AuditEntry).where(AuditEntry.action == "change"))
    assert entry.detail == "edited expert,title,place,outreach,times"


def test_cancelled_bookings_do_not_hold_a_session_in_place(
    client, form_post, supervisor, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    appointment = book(slots[0])
    with records() as session:
        booking.cancel(session, session.get(Appointment, appointment.id), local(1, 10))
        session.commit()
    reception = session_of(records, slots[0])

    reply = form_post(
        f"/schedule/{reception.id}", FORM | {"day": "2026-12-03", "start": "14:00", "end": "15:00"}
    )

    assert reply.status_code == 302
    assert records().get(Appointment, appointment.id) is None


def test_a_bad_edit_changes_nothing(client, form_post, supervisor, schedule, records):
    reception = session_of(records, schedule(local(3, 10), 60)[0])

    reply = form_post(f"/schedule/{reception.id}", {"expert": "", "title": "t", "place": "p"})

    assert reply.status_code == 400
    assert "Укажите эксперта." in reply.get_data(as_text=True)
    assert receptions(records)[0].expert == EXPERT


def test_an_unknown_session_is_a_404(client, supervisor):
    assert client.get("/schedule/999999").status_code == 404
    assert client.get(f"/schedule/{2**40}").status_code == 404


# --- delete ---------------------------------------------------------------------------------


def test_a_session_without_appointments_is_deleted(
    client, form_post, supervisor, schedule, records
):
    reception = session_of(records, schedule(local(3, 10), 60)[0])

    reply = form_post(f"/schedule/{reception.id}/delete")

    assert reply.status_code == 302
    assert receptions(records) == []
    assert records().scalar(sa.select(sa.func.count(Slot.id))) == 0
    assert "удалён" in page(client, reply.location)


def test_a_session_with_an_active_appointment_is_not_deleted(
    client, form_post, supervisor, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    book(slots[0])
    reception = session_of(records, slots[0])
    assert "Удалить" not in page(client).split("</table>")[0]

    reply = form_post(f"/schedule/{reception.id}/delete")

    assert "сначала отмените их" in page(client, reply.location)
    assert len(receptions(records)) == 1


def test_cancelled_appointments_go_with_their_session(
    client, form_post, supervisor, schedule, book, records
):
    slots = schedule(local(3, 10), 60)
    appointment = book(slots[0])
    with records() as session:
        booking.cancel(session, session.get(Appointment, appointment.id), local(1, 10))
        session.commit()
    reception = session_of(records, slots[0])

    form_post(f"/schedule/{reception.id}/delete")

    assert receptions(records) == []
    assert records().scalar(sa.select(sa.func.count(Appointment.id))) == 0


def test_a_deleted_session_is_no_longer_offered(
    client, form_post, supervisor, schedule, records, clock
):
    reception = session_of(records, schedule(local(3, 10), 60)[0])
    form_post(f"/schedule/{reception.id}/delete")

    offers = booking.free_slots(
        records(), clock.now(), min_ahead=timedelta(hours=2), max_ahead=timedelta(days=30)
    )

    assert offers == []
