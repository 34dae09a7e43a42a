"""The staff application in a real browser: what an operator and the head of reception do."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, sign_in
from tests.conftest import LINE, MOBILE

pytestmark = pytest.mark.browser


def test_sign_in_and_see_today(page, twilio_live):
    twilio_live.incoming_call(from_=MOBILE, to=LINE).start().hangup().finish()
    page.goto("/")
    assert "/login" in page.url
    shot(page, "01-sign-in")

    sign_in(page, "operator")

    assert page.locator("h1").inner_text() == "Сегодня"
    assert page.locator(".card").first.inner_text().startswith("1")
    shot(page, "02-today")


def test_the_head_of_reception_opens_the_report_with_its_charts(page, twilio_live):
    sign_in(page, "head")
    page.click("nav >> text=Отчёты")

    assert page.locator("h1").inner_text() == "Отчёт за период"
    assert page.locator("svg.chart").count() == 3
    assert "звонок от 1 абонента" in page.locator("p.summary").inner_text()
    shot(page, "03-report")
