"""``flask --app app demo seed``: a demonstration reception with a week behind it.

Reception sessions from a week ago to a month ahead, the staff accounts of the README's tour,
a week of calls placed through the simulator (:mod:`simulator.demo_week`), and the work staff
did on them during that week: appeals registered and answered, visits marked, callbacks tried.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import event, orm

from calllog import appeals, audit, booking, callbacks, schedule
from calllog.office import Office, get_office
from calllog.staff import create_user, find_user
from db import get_session
from models import (
    Appeal,
    AppealStatus,
    Appointment,
    AppointmentStatus,
    AttemptResult,
    Callback,
    CallbackStatus,
    ReceptionSession,
    Slot,
    StaffRole,
)
from simulator.cli import UNSIGNED_TOKEN
from simulator.demo_week import call_moments, demo_simulator, office_in_the_past, place_calls

demo_cli = AppGroup("demo", help="Demonstration data.")

#: The accounts of the README's tour: login, password, role.
DEMO_ACCOUNTS = (
    ("demo", "demo-password", StaffRole.SUPERVISOR),
    ("admin", "admin-password", StaffRole.ADMIN),
    ("operator", "operator-password", StaffRole.OPERATOR),
)
DEMO_EXPERTS = (
    ("Иванова Мария Петровна", "депутат Законодательного собрания Пермского края"),
    ("Смирнов Алексей Викторович", "юрист, консультант по жилищным вопросам"),
    ("Кузнецова Ольга Сергеевна", "специалист по социальной защите"),
)
# Places are spoken on the phone: words, not abbreviations.
OFFICE_PLACE = "город Пермь, улица Екатерининская, дом 210, кабинет 3"
OUTREACH_PLACE = "город Краснокамск, улица Карла Маркса, дом 3, администрация, зал заседаний"
#: Days of calls behind the demonstration, and calls on a working day.
WEEK_DAYS = 7
CALLS_PER_DAY = 32
APPLICANTS = (
    ("Петров Иван Сергеевич", "614000, г. Пермь, ул. Ленина, д. 12, кв. 5"),
    ("Соколова Анна Викторовна", "614010, г. Пермь, ул. Куйбышева, д. 45, кв. 18"),
    ("Морозов Дмитрий Олегович", "617060, г. Краснокамск, ул. Шоссейная, д. 3"),
    ("Волкова Елена Николаевна", "614068, г. Пермь, ул. Петропавловская, д. 70, кв. 2"),
    ("Лебедев Павел Андреевич", "614045, г. Пермь, ул. Сибирская, д. 9, кв. 31"),
)
SUMMARIES = (
    "Нет отопления в квартире с начала месяца, управляющая компания не отвечает.",
    "Просит помочь с местом в детском саду для ребёнка трёх лет.",
    "Яма на дороге у остановки, просит отремонтировать до зимы.",
    "Не начислена ежемесячная выплата на ребёнка, просит разобраться.",
    "Не может записаться к терапевту в поликлинике по месту жительства.",
)
OPERATOR = "staff:operator"


@demo_cli.command("seed")
@click.option(
    "--calls-per-day",
    type=click.IntRange(0),
    default=CALLS_PER_DAY,
    show_default=True,
    help="Calls on each working day of the past week (a few on other days).",
)
def demo_seed(calls_per_day: int) -> None:
    """Sessions, the tour's staff accounts and a week of calls with staff's work on them."""
    session = get_session()
    office = get_office()
    now = office.now()
    accounts = _accounts(session, now)
    if session.scalar(sa.select(ReceptionSession.id).limit(1)) is not None:
        session.commit()
        click.echo(f"reception sessions exist already: nothing seeded; {accounts}")
        return
    first_day = now.date() - timedelta(days=WEEK_DAYS)
    created = _sessions(session, office, datetime.combine(first_day, time(8), office.clock.tz))
    session.commit()
    rng = random.Random(2026)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with nothing_outbound(app), unsynced_sqlite(app):
        moments = call_moments(office, first_day, now, rng, calls_per_day)
        week = place_calls(app, demo_simulator(app, _token(app)), moments, rng)
    _staff_work(app, session, now, rng)
    session.commit()
    click.echo(f"{created} reception sessions; {len(moments)} calls ({week.summary()}); {accounts}")


def _accounts(session: orm.Session, now: datetime) -> str:
    for login, password, role in DEMO_ACCOUNTS:
        if find_user(session, login) is None:
            create_user(session, login, password, role, now)
    return "staff accounts: " + ", ".join(f"{login} / {pw}" for login, pw, _ in DEMO_ACCOUNTS)


def _sessions(session: orm.Session, office: Office, since: datetime) -> int:
    """Office sessions every working morning from ``since`` for five weeks, and one outreach."""
    tz = office.clock.tz
    day, created = since.date(), 0
    while day <= since.date() + timedelta(days=WEEK_DAYS + 30):
        if office.hours.intervals(day):
            expert, title = DEMO_EXPERTS[created % len(DEMO_EXPERTS)]
            schedule.create_session(
                session,
                expert=expert,
                title=title,
                place=OFFICE_PLACE,
                starts_at=datetime.combine(day, time(10), tz),
                ends_at=datetime.combine(day, time(13), tz),
                slot_minutes=20,
            )
            created += 1
        day += timedelta(days=1)
    outreach_day = since.date() + timedelta(days=WEEK_DAYS + 16)
    schedule.create_session(
        session,
        expert=DEMO_EXPERTS[0][0],
        title=DEMO_EXPERTS[0][1],
        place=OUTREACH_PLACE,
        starts_at=datetime.combine(outreach_day, time(11), tz),
        ends_at=datetime.combine(outreach_day, time(14), tz),
        slot_minutes=30,
        outreach=True,
    )
    return created + 1


def _token(app: Flask) -> str:
    return app.config["TWILIO_AUTH_TOKEN"] or UNSIGNED_TOKEN


#: Settings that would reach Twilio, off while the demonstration calls are placed.
OUTBOUND_OFF = {"RECORDINGS_COPY": "off", "SMS_FROM": None, "MESSAGING_SERVICE_SID": None}


@contextmanager
def nothing_outbound(app: Flask) -> Iterator[None]:
    """The demonstration reaches nobody: no SMS to its invented callers, no copy of its
    recordings (they have no audio at Twilio); the tasks run where they are queued, so
    none is left for the worker."""
    huey = app.extensions["huey"]
    before = {name: app.config[name] for name in OUTBOUND_OFF}
    immediate = huey.immediate
    app.config.update(OUTBOUND_OFF)
    huey.immediate = True
    try:
        yield
    finally:
        app.config.update(before)
        huey.immediate = immediate


@contextmanager
def unsynced_sqlite(app: Flask) -> Iterator[None]:
    """On SQLite, commits without waiting for the disk while seeding: seconds, not a minute.

    A demonstration database lost to a power cut is seeded again; nothing else is affected.
    """
    engine = app.extensions["sessionmaker"].kw["bind"]

    def unsynced(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    def synced(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")

    if not isinstance(engine, sa.Engine) or engine.dialect.name != "sqlite":
        yield
        return
    event.listen(engine, "checkout", unsynced)
    event.listen(engine, "checkin", synced)
    try:
        yield
    finally:
        event.remove(engine, "checkout", unsynced)
        event.remove(engine, "checkin", synced)


def _staff_work(app: Flask, session: orm.Session, now: datetime, rng: random.Random) -> None:
    """What operators did during the week: each change dated the day after the call."""
    for appeal in session.scalars(sa.select(Appeal).order_by(Appeal.id)).all():
        done_at = appeal.created_at + timedelta(days=1)
        if done_at >= now or rng.random() < 0.25:
            continue
        with office_in_the_past(app, done_at):
            _work_on_appeal(session, appeal, done_at, rng)
    for appointment in session.scalars(
        sa.select(Appointment).join(Appointment.slot).where(Slot.starts_at < now)
    ).all():
        if appointment.status is AppointmentStatus.BOOKED:
            visited = (
                AppointmentStatus.ATTENDED if rng.random() < 0.8 else AppointmentStatus.NO_SHOW
            )
            at = appointment.slot.starts_at + timedelta(minutes=30)
            booking.mark_visit(session, appointment, visited, at.astimezone(now.tzinfo))
            audit.record(
                session,
                OPERATOR,
                "change",
                f"appointment:{appointment.code}",
                at,
                f"status={visited.value}",
            )
    for callback in session.scalars(
        sa.select(Callback).where(Callback.status == CallbackStatus.PENDING).order_by(Callback.id)
    ).all():
        tried_at = max(callback.due_at, callback.created_at) + timedelta(minutes=20)
        if tried_at >= now or rng.random() < 0.15:
            continue
        result = rng.choice((AttemptResult.REACHED, AttemptResult.REACHED, AttemptResult.NO_ANSWER))
        callbacks.record_attempt(
            session, callback, result, tried_at, tried_at + timedelta(days=1), actor=OPERATOR
        )
        audit.record(
            session, OPERATOR, "change", f"callback:{callback.id}", tried_at, f"attempt {result}"
        )


def _work_on_appeal(session: orm.Session, appeal: Appeal, at: datetime, rng: random.Random) -> None:
    name, address = rng.choice(APPLICANTS)
    appeals.complete_card(
        session, appeal, at, OPERATOR, name=name, address=address, transcript=rng.choice(SUMMARIES)
    )
    audit.record(session, OPERATOR, "change", f"appeal:{appeal.number}", at, "card: name, address")
    path = [AppealStatus.IN_REVIEW]
    if rng.random() < 0.5:
        answers = (AppealStatus.EXPLAINED, AppealStatus.FORWARDED, AppealStatus.PRACTICAL_HELP)
        path.append(rng.choice(answers))
    for status in path:
        before = appeal.status
        appeals.change_status(session, appeal, status, "Рассмотрено на приёме.", at, OPERATOR)
        audit.record(
            session,
            OPERATOR,
            "change",
            f"appeal:{appeal.number}",
            at,
            f"status: {before.value} -> {status.value}",
        )
