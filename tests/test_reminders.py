"""SMS reminders the day before a visit: tomorrow's booked mobiles, each sent once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

import db
from calllog import booking, schedule
from calllog.reminders import send_reminders
from cli.reminders import reminders_cli
from models import Appointment, BookingSource
from tests.conftest import MOBILE, OPEN_TIME, PERM

LANDLINE = "+73422123456"
MOBILES = ("+79125550011", "+79125550012", "+79125550013", "+79125550014")
EXPERT = "Иванова Мария Петровна"
PLACE = "г. Пермь, ул. Екатерининская, 210, кабинет 3"


class Outbox:
    """A ``send`` that keeps what it was asked to send; ``failing`` makes it answer None."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failing = False

    def __call__(self, to: str, body: str, sender: str | None = None) -> str | None:
        if self.failing:
            return None
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PERM)


@pytest.fixture
def booked(app) -> dict[str, str]:
    """Appointments around tomorrow (Thursday 3 December); their codes by name."""
    with app.app_context():
        session = db.get_session()
        slots = {}
        for day, hour in (
            (date(2026, 12, 2), 15),
            (date(2026, 12, 3), 10),
            (date(2026, 12, 4), 10),
        ):
            reception = schedule.create_session(
                session,
                expert=EXPERT,
                title="депутат",
                place=PLACE,
                starts_at=moment(day, hour),
                ends_at=moment(day, hour + 3),
                slot_minutes=30,
            )
            slots[day.day] = [slot.id for slot in reception.slots]

        def book(slot_id: int, phone: str | None) -> Appointment:
            return booking.book(
                session, slot_id=slot_id, phone=phone, now=OPEN_TIME, source=BookingSource.PHONE
            )

        appointments = {
            "tomorrow": book(slots[3][2], MOBILE),
            "landline": book(slots[3][0], LANDLINE),
            "cancelled": book(slots[3][1], MOBILES[0]),
            "no_phone": book(slots[3][3], None),
            "day_after": book(slots[4][0], MOBILES[1]),
            "today": book(slots[2][0], MOBILES[2]),
            "tomorrow_late": book(slots[3][5], MOBILES[3]),
        }
        booking.cancel(session, appointments["cancelled"], OPEN_TIME)
        session.commit()
        return {name: appointment.code for name, appointment in appointments.items()}


def reminded(records) -> set[str]:
    with records() as session:
        return set(
            session.scalars(
                sa.select(Appointment.code).where(Appointment.reminder_sent_at.is_not(None))
            )
        )


def test_only_tomorrows_booked_mobiles_are_reminded(app, records, booked):
    outbox = Outbox()
    with records() as session:
        count = send_reminders(session, OPEN_TIME, outbox)

    assert count == 2
    assert [to for to, _ in outbox.sent] == [MOBILE, MOBILES[3]]
    assert reminded(records) == {booked["tomorrow"], booked["tomorrow_late"]}


def test_the_reminder_says_when_where_what_to_bring_and_the_code(app, records, booked):
    outbox = Outbox()
    with records() as session:
        send_reminders(session, OPEN_TIME, outbox)

    body = outbox.sent[0][1]
    assert "3 декабря в 11:00" in body
    assert EXPERT in body
    assert PLACE in body
    assert "возьмите паспорт" in body.lower()
    assert booked["tomorrow"] in body
    assert "3 декабря в 12:30" in outbox.sent[1][1]


def test_each_reminder_is_sent_once_across_runs(app, records, booked):
    outbox = Outbox()
    with records() as session:
        assert send_reminders(session, OPEN_TIME, outbox) == 2
    with records() as session:
        assert send_reminders(session, moment(date(2026, 12, 2), 18), outbox) == 0

    assert len(outbox.sent) == 2


def test_an_overlapping_run_does_not_send_again(app, records, booked):
    inner_counts = []
    outbox = Outbox()

    def send_while_another_run_starts(to: str, body: str, sender: str | None) -> str | None:
        with records() as other:
            inner_counts.append(send_reminders(other, OPEN_TIME, outbox))
        return outbox(to, body)

    with records() as session:
        assert send_reminders(session, OPEN_TIME, send_while_another_run_starts) == 1

    # The second run, started while the first was sending the first reminder, found it
    # claimed and sent only the other one; the first run then found that one taken.
    assert inner_counts == [1]
    assert sorted(to for to, _ in outbox.sent) == sorted([MOBILE, MOBILES[3]])


def test_a_failed_send_is_retried_by_a_later_run(app, records, booked):
    outbox = Outbox()
    outbox.failing = True
    with records() as session:
        assert send_reminders(session, OPEN_TIME, outbox) == 0
    assert reminded(records) == set()

    def broken(to: str, body: str, sender: str | None) -> str | None:
        raise RuntimeError("boom")

    with records() as session:
        assert send_reminders(session, OPEN_TIME, broken) == 0
    assert reminded(records) == set()

    outbox.failing = False
    with records() as session:
        assert send_reminders(session, OPEN_TIME, outbox) == 2
    assert reminded(records) == {booked["tomorrow"], booked["tomorrow_late"]}


def cli(app, *args: str):
    if "reminders" not in app.cli.commands:
        app.cli.add_command(reminders_cli)
    return app.test_cli_runner().invoke(args=["reminders", *args])


def test_the_command_sends_through_twilio_and_says_how_many(app, records, fake_twilio, booked):
    app.config["SMS_FROM"] = "PermPriem"

    result = cli(app, "send")

    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "sent 2 reminder(s)"
    messages = fake_twilio.sent("POST", "/Messages.json")
    assert [message.data["To"] for message in messages] == [MOBILE, MOBILES[3]]
    assert booked["tomorrow"] in messages[0].data["Body"]
    assert cli(app, "send").output.strip().splitlines()[-1] == "sent 0 reminder(s)"
    assert len(fake_twilio.sent("POST", "/Messages.json")) == 2


def test_the_command_refuses_without_sms_settings(app, records, fake_twilio, booked):
    result = cli(app, "send")

    assert result.exit_code == 1
    assert "SMS is not configured" in result.output
    assert fake_twilio.requests == []
    assert reminded(records) == set()
