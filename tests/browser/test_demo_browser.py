"""The staff application on the demo's data (``demo seed``), in a real browser at 1366 px.

The workflows that must not damage records (§12), a screenshot of every staff page as the
README's first sign-in shows it, and a scan of everything the browser run rendered for
words staff cannot read: English words and internal codes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

import db
from calllog.phones import national
from models import (
    Appeal,
    AppealStatus,
    Appointment,
    AppointmentStatus,
    Call,
    Callback,
    ReceptionSession,
    Slot,
    StaffUser,
)
from simulator.demo import DEMO_ACCOUNTS
from tests.browser.conftest import RENDERED, shot
from tests.conftest import OPEN_TIME, PERM
from tests.demo_app import seeded_demo

pytestmark = pytest.mark.browser

ANSWERED = (AppealStatus.EXPLAINED, AppealStatus.FORWARDED, AppealStatus.PRACTICAL_HELP)
PASSWORDS = {login: password for login, password, _ in DEMO_ACCOUNTS}
#: The day staff book on: two days after the demo's "today" (a Friday with free times).
BOOKING_DAY = (OPEN_TIME + timedelta(days=2)).date()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """``bin/demo``'s service: development, no Twilio account, seeded by ``demo seed``."""
    app, _ = seeded_demo(tmp_path_factory.mktemp("demo-live"), "demo-browser-tests")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def demo_page(browser: Browser, demo_app: Flask) -> Iterator[Page]:
    """A page 1366 px wide: the office's laptops."""
    context = browser.new_context(
        base_url=demo_app.config["PUBLIC_BASE_URL"],
        locale="ru-RU",
        viewport={"width": 1366, "height": 768},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in_as(page: Page, login: str) -> None:
    page.goto("/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORDS[login])
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def query(app: Flask, statement: sa.Select) -> object:
    with app.app_context():
        return db.get_session().execute(statement).first()


# --- the workflows that must not damage records (§12) -----------------------------------


def _free_slot_form(page: Page):
    return page.locator("form.book").first


def _holder_of_an_upcoming_appointment(
    app: Flask, skip: str = "", *, other_day: bool = True
) -> tuple[int, str, str]:
    """A mobile holding an appointment later than tomorrow's slots (the demo's callers
    booked the earliest free times: today's and tomorrow's)."""
    found = query(
        app,
        sa.select(Appointment.id, Appointment.phone, Appointment.code)
        .join(Appointment.slot)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            Slot.starts_at > OPEN_TIME + timedelta(hours=3),
            sa.func.date(Slot.starts_at) != BOOKING_DAY.isoformat() if other_day else sa.true(),
            Appointment.phone.startswith("+79"),
            Appointment.phone != skip,
        )
        .order_by(Appointment.id),
    )
    assert found, "the demo has no upcoming appointment booked by phone"
    return found  # type: ignore[return-value]


def test_booking_a_phone_that_holds_an_appointment_moves_it_or_books_another_visitor(
    demo_page, demo_app
):
    appointment_id, phone, code = _holder_of_an_upcoming_appointment(demo_app)
    sign_in_as(demo_page, "operator")
    demo_page.goto(f"/appointments?date={BOOKING_DAY.isoformat()}")
    demo_page.locator("details.book summary").first.click()
    form = _free_slot_form(demo_page)
    form.locator("input[name=phone]").fill(national(phone))
    form.locator("button[type=submit]").click()

    main = demo_page.locator("main")
    assert f"На номер {national(phone)} уже есть запись" in main.inner_text()
    shot(demo_page, "demo-w1-booking-existing-choice")
    demo_page.click("button:has-text('Перенести эту запись')")

    assert f"Запись {code} перенесена" in main.inner_text()
    moved = query(
        demo_app,
        sa.select(Appointment.code, Appointment.status, Slot.starts_at)
        .join(Appointment.slot)
        .where(Appointment.id == appointment_id),
    )
    assert moved[0] == code  # type: ignore[index]
    assert moved[1] is AppointmentStatus.BOOKED  # type: ignore[index]
    assert moved[2].astimezone(PERM).date() == BOOKING_DAY  # type: ignore[index]

    other_id, other_phone, other_code = _holder_of_an_upcoming_appointment(
        demo_app, phone, other_day=False
    )
    demo_page.locator("details.book summary").first.click()
    form = _free_slot_form(demo_page)
    form.locator("input[name=phone]").fill(national(other_phone))
    form.locator("button[type=submit]").click()
    demo_page.fill("input[aria-label='Другой посетитель']", "Сидорова Вера")
    demo_page.click("button:has-text('Записать ещё одного посетителя')")

    assert f"Записан {national(other_phone)}, код записи" in main.inner_text()
    kept = query(demo_app, sa.select(Appointment.status).where(Appointment.id == other_id))
    assert kept[0] is AppointmentStatus.BOOKED  # type: ignore[index]
    shot(demo_page, "demo-w2-booking-another-visitor")


def test_an_overlapping_session_is_refused_on_the_schedule_page(demo_page, demo_app):
    expert, starts_at, count = query(
        demo_app,
        sa.select(ReceptionSession.expert, ReceptionSession.starts_at, sa.literal(0))
        .where(ReceptionSession.starts_at > OPEN_TIME + timedelta(days=1))
        .order_by(ReceptionSession.starts_at),
    )  # type: ignore[misc]
    del count
    local = starts_at.astimezone(PERM)
    sign_in_as(demo_page, "demo")
    demo_page.goto("/schedule")
    before = demo_page.locator("table.schedule tbody tr").count()
    new = demo_page.locator("#new")
    new.locator("input[name=expert]").fill(expert)
    new.locator("input[name=title]").fill("юрист")
    new.locator("input[name=place]").fill("город Пермь, улица Екатерининская, дом 210")
    new.locator("input[name=day]").fill(local.date().isoformat())
    new.locator("input[name=start]").fill("11:00")
    new.locator("input[name=end]").fill("12:00")
    new.locator("button[type=submit]").click()

    assert "У эксперта в это время уже есть приём" in demo_page.locator("main").inner_text()
    shot(demo_page, "demo-w3-schedule-overlap-refused")
    demo_page.goto("/schedule")
    assert demo_page.locator("table.schedule tbody tr").count() == before


def test_an_appeal_is_answered_only_once_its_card_is_filled(demo_page, demo_app):
    (number,) = query(
        demo_app,
        sa.select(Appeal.number)
        .where(Appeal.status == AppealStatus.REGISTERED, Appeal.registered_at.is_(None))
        .order_by(Appeal.id),
    )  # type: ignore[misc]
    sign_in_as(demo_page, "operator")
    demo_page.goto(f"/appeals/{number}")
    main = demo_page.locator("main")

    def change_status(status: str, note: str) -> None:
        demo_page.select_option("select[name=status]", status)
        demo_page.fill("#status textarea[name=note]", note)
        demo_page.click("button:has-text('Изменить статус')")

    change_status("in_review", "Передано юристу")
    assert "Сначала зарегистрируйте обращение" in main.inner_text()
    demo_page.fill("#card textarea[name=transcript]", "Просит отремонтировать крышу дома.")
    demo_page.click("button:has-text('Зарегистрировать обращение')")
    change_status("in_review", "Передано юристу")
    assert "на рассмотрении" in main.inner_text().lower()

    change_status("explained", "Дан ответ по телефону")
    assert "Без фамилии и адреса ответ не даётся" in main.inner_text()
    shot(demo_page, "demo-w4-appeal-answer-refused")
    demo_page.fill("#card input[name=name]", "Петрова Анна Ивановна")
    demo_page.fill("#card input[name=address]", "г. Пермь, ул. Ленина, 1, кв. 2")
    demo_page.click("button:has-text('Сохранить карточку')")
    change_status("explained", "Дан ответ по телефону")

    assert "даны разъяснения" in main.inner_text().lower()
    (status,) = query(demo_app, sa.select(Appeal.status).where(Appeal.number == number))  # type: ignore[misc]
    assert status is AppealStatus.EXPLAINED


# --- every page, as the first sign-in shows it --------------------------------------------


def _record_paths(app: Flask) -> dict[str, str]:
    """A detail page of each kind, from the demo's data."""
    with app.app_context():
        session = db.get_session()
        call_sid = session.scalar(
            sa.select(Call.sid).join(Call.recordings).join(Call.appeals).order_by(Call.id).limit(1)
        )
        booked = session.scalar(
            sa.select(Call.sid).where(Call.outcome == "booked").order_by(Call.id).limit(1)
        )
        transfer = session.scalar(
            sa.select(Call.sid).where(Call.outcome == "transferred").order_by(Call.id).limit(1)
        )
        number = session.scalar(
            sa.select(Appeal.number).where(Appeal.status.in_(ANSWERED)).order_by(Appeal.id).limit(1)
        )
        callback_id = session.scalar(
            sa.select(Callback.id).join(Callback.attempts).order_by(Callback.id).limit(1)
        )
        session_id = session.scalar(
            sa.select(ReceptionSession.id)
            .where(ReceptionSession.starts_at > OPEN_TIME)
            .order_by(ReceptionSession.starts_at)
            .limit(1)
        )
        user_id = session.scalar(sa.select(StaffUser.id).where(StaffUser.login == "operator"))
    return {
        "call-with-recording": f"/calls/{call_sid}",
        "call-transferred": f"/calls/{transfer}",
        "call-booked": f"/calls/{booked}",
        "appeal": f"/appeals/{number}",
        "callback": f"/callbacks/{callback_id}",
        "schedule-session": f"/schedule/{session_id}",
        "user": f"/users/{user_id}",
    }


LISTS = {
    "today": "/",
    "calls": "/calls",
    "callbacks": "/callbacks",
    "appeals": "/appeals",
    "appeal-new": "/appeals/new",
    "appointments-today": "/appointments",
    "appointments-yesterday": f"/appointments?date={(OPEN_TIME - timedelta(days=1)).date()}",
    "schedule": "/schedule",
    "reports": "/reports",
    "users": "/users",
    "audit": "/audit",
    "personal-data": "/personal-data",
}


def menu_rows(page: Page) -> int:
    """The lines the top menu takes (its links' distinct tops), all inside the window."""
    tops = page.locator("header.top nav a").evaluate_all(
        """links => links.map(link => {
            const box = link.getBoundingClientRect();
            return box.right <= window.innerWidth ? Math.round(box.top) : -1;
        })"""
    )
    assert -1 not in tops, "a menu item lies outside the window"
    return len(set(tops))


def clipped_chart_texts(page: Page) -> list[str]:
    """The texts of the report's charts that stick out of their chart."""
    return page.locator("svg.chart").evaluate_all(
        """charts => charts.flatMap(chart => {
            const frame = chart.getBoundingClientRect();
            return Array.from(chart.querySelectorAll("text")).filter(text => {
                const box = text.getBoundingClientRect();
                return box.left < frame.left - 0.5 || box.right > frame.right + 0.5
                    || box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5;
            }).map(text => text.textContent);
        })"""
    )


def contrast(page: Page, selector: str) -> float:
    """The WCAG contrast ratio of an element's text against its background."""
    return page.locator(selector).evaluate(
        """element => {
            const style = getComputedStyle(element);
            const luminance = color => {
                const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(c => {
                    c /= 255;
                    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const [a, b] = [luminance(style.color), luminance(style.backgroundColor)];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }"""
    )


def test_every_staff_page_with_the_demo_data(demo_page, demo_app):
    demo_page.goto("/login")
    shot(demo_page, "demo-00-login")
    sign_in_as(demo_page, "admin")
    pages = LISTS | _record_paths(demo_app)
    for index, (name, path) in enumerate(pages.items(), start=1):
        reply = demo_page.goto(path)
        assert reply is not None, path
        assert reply.status == 200, path
        shot(demo_page, f"demo-{index:02d}-{name}")
        assert menu_rows(demo_page) == 1, f"the top menu is not one line at 1366 px on {path}"
    demo_page.goto("/reports")
    assert clipped_chart_texts(demo_page) == []
    demo_page.goto(pages["user"])
    assert contrast(demo_page, "button:has-text('Отключить учётную запись')") >= 4.5
    assert "звука нет" in demo_page.goto(pages["call-with-recording"]).text()  # type: ignore[union-attr]


# --- no English word, no internal code -----------------------------------------------------

#: Latin words staff may see, each with its reason.
ALLOWED_LATIN = {
    "CSV": "the export's file format, on the «Скачать CSV» link",
    "JSON": "the personal-data export's file format, on the «Скачать JSON» link",
    "API": "«ключ API»: the staff API's tokens, named as on the accounts page",
    "Twilio": "the telephone provider's name, where staff must know a thing is Twilio's",
}
#: Staff logins of the browser run: names the admin gave the accounts, shown as typed.
LOGINS = {login for login, _, _ in DEMO_ACCOUNTS} | {"operator", "head", "chief"}
#: Text allowed as a whole, with its reason.
ALLOWED_PHRASES = {
    "flask --app app staff create-token": "the command an admin types on the server for a key",
    "--role": "the same command's option",
}
#: The call's identifier at Twilio (CallSid), labelled «Идентификатор» on a call's page:
#: what staff quote to Twilio's support and find in its console.
CALL_SID = re.compile(r"\bCA[0-9a-f]{32}\b")
#: The fingerprint of the exact consent wording a caller agreed to (152-FZ: what was agreed).
CONSENT_VERSION = re.compile(r"версия текста согласия [0-9a-f]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def latin_words(text: str) -> set[str]:
    """The Latin words of ``text`` that are not allowed."""
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    text = CONSENT_VERSION.sub(" ", CALL_SID.sub(" ", text))
    return set(LATIN_WORD.findall(text)) - set(ALLOWED_LATIN) - LOGINS


def test_the_scan_finds_english_words_and_codes():
    assert latin_words("Статус: in_review, звонок CA" + "0" * 32 + " принят") == {"in_review"}
    assert latin_words("Скачать CSV; ключ API; вход: operator; 8 (342) 236-82-29") == set()
    assert latin_words("Оператор: staff:anna, status completed") == {
        "staff",
        "anna",
        "status",
        "completed",
    }


def test_no_page_of_the_browser_run_shows_an_english_word_or_a_code():
    """Runs after every other browser test (conftest): what each rendered page showed."""
    assert any(name.startswith("demo-") for name in RENDERED), "the demo pages were not seen"
    found = {name: words for name, text in RENDERED.items() if (words := latin_words(text))}
    assert not found, f"Latin words shown to staff: {found}"
