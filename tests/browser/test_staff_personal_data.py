"""A citizen's request in a real browser: the report found by number, then erasure confirmed.

Last of the browser run (``conftest.py`` moves it): the audit table of the whole run holds
no phone number and no citizen's name, whatever the pages and exports wrote into it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import db
from calllog.staff import create_user
from models import AuditEntry, Call, StaffRole
from tests.browser.conftest import PASSWORD, shot, sign_in
from tests.conftest import LINE, OPEN_TIME
from tests.privacy_scan import personal_data_in

pytestmark = pytest.mark.browser

CITIZEN = "+79120000099"
#: The scan's own check: a name and numbers the browser run typed, in every form.
TYPED = ("Кузнецова Анна Сергеевна", "8 912 000-00-99", "89120000099", CITIZEN)


@pytest.fixture(scope="module")
def admin(live_app) -> str:
    with live_app.app_context():
        session = db.get_session()
        create_user(session, "chief", PASSWORD, StaffRole.ADMIN, OPEN_TIME)
        session.commit()
    return "chief"


def test_an_admin_answers_a_request_and_erases_on_withdrawal(page, twilio_live, live_app, admin):
    call = twilio_live.incoming_call(from_=CITIZEN, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=25, finish="#")
    call.finish()
    twilio_live.incoming_call(from_=CITIZEN, to=LINE).start().hangup().finish()
    sign_in(page, admin)

    page.click("nav >> text=Обращения")
    page.locator("table tbody tr").first.locator("a").first.click()
    page.fill("input[name=name]", "Кузнецова Анна Сергеевна")
    page.fill("input[name=address]", "г. Пермь, ул. Ленина, 5")
    page.fill("textarea[name=transcript]", "Просит починить крышу")
    page.click("button:has-text('Зарегистрировать обращение')")

    page.click("nav >> text=Персональные данные")
    page.fill("input[name=phone]", "8 912 000-00-99")
    page.click("button:has-text('Найти')")
    report = page.locator("section.pd-report").inner_text()
    assert "8 (912) 000-00-99" in report
    assert "Кузнецова Анна Сергеевна" in report
    assert "Согласия на обработку" in report
    assert "phone=" not in page.url
    shot(page, "09-personal-data")

    page.click("button:has-text('Удалить по отзыву согласия')")
    assert "Что останется и почему" in page.content()
    assert "59-ФЗ" in page.locator("ul.pd-kept").inner_text()
    page.fill("input[name=reason]", "заявление № 15 от 03.12.2026")
    page.check("input[name=confirm]")
    shot(page, "10-personal-data-erase")
    page.click("button:has-text('Удалить')")

    assert "Персональные данные удалены" in page.locator("h1").inner_text()
    with live_app.app_context():
        callers = db.get_session().scalars(sa.select(Call.caller)).all()
    assert CITIZEN not in callers


def test_the_audit_table_of_the_browser_run_holds_no_phone_number_or_name(live_app):
    assert all(personal_data_in(text) for text in TYPED), "the scan must see what was typed"
    with live_app.app_context():
        entries = db.get_session().scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert any(entry.subject == "personal_data" for entry in entries)
    offending = [
        f"#{entry.id} {entry.action} {entry.subject}: {found}"
        for entry in entries
        for found in [personal_data_in(f"{entry.actor} {entry.subject} {entry.detail}")]
        + [[name for name in TYPED if name in entry.detail]]
        if found
    ]
    assert offending == [], "\n".join(offending)
