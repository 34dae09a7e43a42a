"""Error pages speak Russian in the application's layout; the API answers JSON always."""

from __future__ import annotations

import pytest
from flask import Flask

from models import StaffRole


def test_an_unknown_page_is_a_russian_404_in_the_layout(client, sign_in):
    sign_in(StaffRole.OPERATOR)

    reply = client.get("/no-such-page")

    assert reply.status_code == 404
    html = reply.get_data(as_text=True)
    assert "Страница не найдена" in html
    assert 'class="top"' in html  # the menu of the layout
    assert "Not Found" not in html


def test_a_page_above_the_role_is_a_russian_403(client, sign_in):
    sign_in(StaffRole.OPERATOR)

    reply = client.get("/schedule")

    assert reply.status_code == 403
    assert "Нет доступа" in reply.get_data(as_text=True)


def test_an_expired_form_is_explained_in_russian(client, sign_in, app):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(StaffRole.OPERATOR)

    reply = client.post("/appointments/book", data={"slot_id": "1", "csrf_token": "stale"})

    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert "Форма устарела" in html
    assert "CSRF" not in html


def test_an_unexpected_error_is_a_russian_500(app: Flask, client, sign_in, monkeypatch):
    sign_in(StaffRole.OPERATOR)
    app.testing = False  # as in production: the error is answered, not raised
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "staff.today", broken)
    reply = client.get("/")

    assert reply.status_code == 500
    html = reply.get_data(as_text=True)
    assert "Ошибка на сервере" in html
    assert "boom" not in html


@pytest.mark.parametrize("path", ["/api/nope", "/api/", "/api/calls/x/y/z"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    reply = client.get(path)

    assert reply.status_code == 404
    assert reply.is_json
    assert set(reply.get_json()) == {"error"}


def test_a_wrong_method_on_the_api_is_json_too(client):
    reply = client.delete("/api/calls")

    assert reply.status_code == 405
    assert reply.is_json
    assert "GET" in reply.headers["Allow"]


def test_api_json_is_utf8_without_escapes(client):
    reply = client.get("/api/nope")

    assert reply.mimetype == "application/json"
    assert b"\\u" not in reply.data
    assert "error" in reply.data.decode("utf-8")


def test_russian_text_in_api_json_is_written_as_it_is(app):
    with app.app_context():
        from flask import jsonify

        body = jsonify(expert="Иванова Мария Петровна").get_data()

    assert "Иванова Мария Петровна".encode() in body
