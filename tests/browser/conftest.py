"""Browser tests: Debian's Chromium, driven by Playwright, against a live server.

The server runs the app in a thread on 127.0.0.1 over its own SQLite file (the live
server commits for real, so it stays apart from the suite's rolled-back database).
Screenshots of each step are kept in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

import db
from app import create_app
from calllog.migrate import upgrade_url
from calllog.staff import create_user
from clock import FixedClock
from models import StaffRole
from simulator import FlaskTransport, Simulator
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, OPEN_TIME
from tests.fakes import FakeTwilioHttp, fake_audio

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'live.sqlite3'}"
    upgrade_url(url)
    server_holder: dict[str, object] = {}
    app = create_app(
        {
            "APP_ENV": "development",
            "SECRET_KEY": "browser-tests",
            "DATABASE_URL": url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_HTTP_CLIENT": FakeTwilioHttp(any_audio=fake_audio()),
            "RECORDINGS_COPY": "queue",
            "TASKS_IMMEDIATE": True,
            "SPOOL_DIR": str(folder / "spool"),
            "RECORDINGS_DIR": str(folder / "recordings"),
            "STAFF_PHONES": "+79120000001",
        }
    )
    app.extensions["office"].clock = FixedClock(OPEN_TIME)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server_holder["server"] = server
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        session = db.get_session()
        for login, role in (("operator", StaffRole.OPERATOR), ("head", StaffRole.SUPERVISOR)):
            create_user(session, login, PASSWORD, role, OPEN_TIME)
        session.commit()
    yield app
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_app: Flask) -> str:
    return live_app.config["PUBLIC_BASE_URL"]


@pytest.fixture(scope="session")
def twilio_live(live_app: Flask) -> Simulator:
    """Calls to the live server's database, signed as Twilio signs them."""
    return Simulator(
        FlaskTransport(live_app.test_client()),
        AUTH_TOKEN,
        ACCOUNT_SID,
        live_app.config["PUBLIC_BASE_URL"],
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run bin/install-system-packages")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, locale="ru-RU", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


#: What each screenshot's page showed (its text and the texts of its fields' hints), for
#: the scan for words staff cannot read (tests/browser/test_demo_browser.py).
RENDERED: dict[str, str] = {}
VISIBLE_TEXT = """() => [document.title, document.body.innerText,
  ...Array.from(document.querySelectorAll("[placeholder], [title], [aria-label], img[alt]"),
    el => [el.placeholder, el.title, el.getAttribute("aria-label"), el.alt].join(" ")),
  ...Array.from(document.querySelectorAll("option, svg text"), el => el.textContent),
].join("\\n")"""


def shot(page: Page, name: str) -> Path:
    """Keep a screenshot of the page as a test artefact, and what it showed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    RENDERED[name] = page.evaluate(VISIBLE_TEXT)
    return path


def sign_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


#: The scans of the audit table and of the rendered pages read what every other browser
#: test wrote or showed, so they go last.
LAST = (
    "test_the_audit_table_of_the_browser_run_holds_no_phone_number_or_name",
    "test_no_page_of_the_browser_run_shows_an_english_word_or_a_code",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.name in LAST]
    items[:] = [item for item in items if item.name not in LAST] + last
