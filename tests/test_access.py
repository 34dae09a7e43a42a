"""Nobody in without an account: every route, enumerated from the URL map (§6, §11)."""

from __future__ import annotations

import re

import pytest

from models import StaffRole
from tests.conftest import make_config

# Signed by Twilio instead (tests/test_signatures.py), or needed to sign in at all.
OPEN = {"staff.login", "staff.static", "static"}


def routes() -> list[tuple[str, str, str]]:
    """``(endpoint, method, url)`` for every route, placeholders filled with sample values."""
    from pathlib import Path
    from tempfile import mkdtemp

    from app import create_app
    from tests.fakes import FakeTwilioHttp

    app = create_app(make_config(Path(mkdtemp()), FakeTwilioHttp(), "sqlite://"))
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN or rule.rule.startswith("/twilio/"):
            continue
        url = re.sub(r"<(?:int|id):[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


ROUTES = routes()


def test_the_enumeration_found_the_staff_pages_and_the_api():
    endpoints = {endpoint for endpoint, _, _ in ROUTES}
    assert {"staff.today", "staff.reports", "api.list_calls", "api.openapi"} <= endpoints


@pytest.mark.parametrize(("endpoint", "method", "url"), ROUTES)
def test_no_route_answers_without_an_account(client, endpoint, method, url):
    reply = client.open(url, method=method)

    if endpoint.startswith("api."):
        assert reply.status_code == 401
        assert reply.json["error"]
    elif reply.status_code == 302:
        assert reply.location.startswith("/login")
    else:
        # A form post is refused for its missing CSRF token before anything else.
        assert (method, reply.status_code) == ("POST", 400), reply.status_code


def role_pages() -> list[tuple[str, str, StaffRole]]:
    from pathlib import Path
    from tempfile import mkdtemp

    from app import create_app
    from tests.fakes import FakeTwilioHttp

    app = create_app(make_config(Path(mkdtemp()), FakeTwilioHttp(), "sqlite://"))
    pages = []
    for endpoint, method, url in ROUTES:
        role = getattr(app.view_functions[endpoint], "required_role", None)
        restricted = role is not None and role is not StaffRole.OPERATOR
        if endpoint.startswith("staff.") and method == "GET" and restricted:
            pages.append((endpoint, url, role))
    return pages


ROLE_PAGES = role_pages()


@pytest.mark.parametrize(("endpoint", "url", "role"), ROLE_PAGES)
def test_a_lower_role_is_refused(client, sign_in, endpoint, url, role):
    lower = list(StaffRole)[list(StaffRole).index(role) - 1]
    sign_in(lower)

    assert client.get(url).status_code == 403


def test_supervisor_and_admin_pages_exist(client):
    assert {endpoint for endpoint, _, _ in ROLE_PAGES} >= {"staff.reports"}
