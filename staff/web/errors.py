"""Error pages: Russian, in the application's layout; JSON under ``/api/`` always.

Registered on the application (not the blueprint), so that a URL no view matches, a
refused CSRF token and an unexpected error are answered the same way everywhere. The
Twilio webhooks keep their own answers (:mod:`webhooks`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

#: What staff read for each status: a heading and what to do.
PAGES = {
    400: ("Запрос не понят", "Проверьте введённые данные и попробуйте ещё раз."),
    403: ("Нет доступа", "У вашей учётной записи нет прав на эту страницу."),
    404: ("Страница не найдена", "Такой страницы или записи нет. Проверьте адрес."),
    405: ("Так нельзя", "Эта страница не принимает такой запрос."),
    413: ("Слишком много данных", "Отправленные данные слишком велики."),
    429: ("Слишком много запросов", "Подождите немного и попробуйте снова."),
    500: (
        "Ошибка на сервере",
        "Что-то пошло не так. Попробуйте ещё раз; если ошибка повторится, сообщите администратору.",
    ),
}
CSRF_PAGE = (
    "Форма устарела",
    "Страница была открыта слишком давно или в другой вкладке. "
    "Вернитесь назад, обновите страницу и отправьте форму ещё раз.",
)


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _is_twilio() -> bool:
    return request.path.startswith("/twilio/")


def http_error(error: HTTPException) -> Any:
    if _is_twilio():
        return error
    code = error.code or 500
    if _is_api():
        headers = {name: value for name, value in error.get_headers() if name == "Allow"}
        return jsonify(error=error.description), code, headers
    title, text = CSRF_PAGE if isinstance(error, CSRFError) else PAGES.get(code, PAGES[400])
    if code >= 500:
        title, text = PAGES[500]
    page = render_template("staff/error.html", code=code, title=title, text=text)
    return page, code, {name: value for name, value in error.get_headers() if name == "Allow"}


def server_error(error: InternalServerError) -> Any:
    if _is_twilio():
        return error
    if _is_api():
        return jsonify(error="internal error"), 500
    title, text = PAGES[500]
    return render_template("staff/error.html", code=500, title=title, text=text), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, server_error)
