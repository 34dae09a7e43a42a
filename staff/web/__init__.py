"""The staff application (Russian): server-rendered pages behind a sign-in.

Every page needs a signed-in, active staff account (checked before any view runs);
pages for supervisors or admins say so with :func:`role_required`. Every form carries a
CSRF token (Flask-WTF); the Twilio webhooks and the bearer-token API are exempt.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from calllog.office import get_office
from calllog.phones import national
from calllog.russian import plural
from db import MAX_ROW_ID, get_session
from models import StaffRole, StaffUser

bp = Blueprint(
    "staff",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/staff",
)
login_manager = LoginManager()
csrf = CSRFProtect()

PUBLIC_ENDPOINTS = {"staff.login", "staff.static"}
# The navigation: a page appears once its module registers it, to those allowed to see it.
MENU = (
    ("staff.today", "Сегодня", StaffRole.OPERATOR),
    ("staff.calls", "Журнал звонков", StaffRole.OPERATOR),
    ("staff.callbacks", "Обратные звонки", StaffRole.OPERATOR),
    ("staff.appeals", "Обращения", StaffRole.OPERATOR),
    ("staff.appointments", "Приёмы", StaffRole.OPERATOR),
    ("staff.schedule", "Расписание", StaffRole.SUPERVISOR),
    ("staff.reports", "Отчёты", StaffRole.SUPERVISOR),
    ("staff.users", "Сотрудники", StaffRole.ADMIN),
    ("staff.audit", "Журнал доступа", StaffRole.SUPERVISOR),
    ("staff.personal_data", "Персональные данные", StaffRole.SUPERVISOR),
)
View = TypeVar("View", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    user = get_session().get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@bp.before_request
def require_sign_in() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return redirect(url_for("staff.login", next=request.full_path))


def role_required(role: StaffRole) -> Callable[[View], View]:
    """Refuse (403) signed-in staff whose role is below ``role``."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def staff_menu() -> list[tuple[str, str, StaffRole]]:
        return [
            item
            for item in MENU
            if item[0] in current_app.view_functions and current_user.can(item[2])
        ]

    return {"staff_menu": staff_menu}


def actor() -> str:
    """Who is acting, for history rows and the audit log."""
    return f"staff:{current_user.login}"


def local_time(moment: datetime | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(get_office().clock.tz).strftime(pattern)


def phone_format(value: str | None) -> str:
    return national(value) if value else "—"


def counted(n: int, one: str, few: str, many: str) -> str:
    """``{{ n | plural("звонок", "звонка", "звонков") }}`` gives «5 звонков», «1 234 звонка»."""
    return f"{number(n)} {plural(n, one, few, many)}"


def noun(n: int, one: str, few: str, many: str) -> str:
    """``{{ n | noun("звонок", "звонка", "звонков") }}``: the word alone, for a figure beside it."""
    return plural(n, one, few, many)


def number(value: float) -> str:
    """A number in Russian format: «1 234», «57,1»."""
    return format_decimal(value, locale="ru")


def percent(share: float) -> str:
    """A share (0.571) as Russian write it: «57,1 %»."""
    return format_percent(share, "#,##0.0\u00a0%", locale="ru")


class RowIdConverter(IntegerConverter):
    """``<id:name>`` in a URL: a row id, so anything past a 32-bit integer is a 404."""

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=MAX_ROW_ID)


def init_app(app: Flask) -> None:
    from staff.web import errors, views  # noqa: F401  (views registers the URL rules)

    errors.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Войдите, чтобы продолжить."
    csrf.init_app(app)
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["phone"] = phone_format
    app.jinja_env.filters["plural"] = counted
    app.jinja_env.filters["noun"] = noun
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.url_map.converters["id"] = RowIdConverter
    app.register_blueprint(bp)
