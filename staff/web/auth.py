"""Signing in and out."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import orm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from calllog.audit import record
from calllog.office import get_office
from calllog.staff import find_user, sign_in
from db import get_session
from models import StaffUser
from staff.web import bp


class SignInForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Пароль", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = SignInForm()
    refused = False
    if form.validate_on_submit():
        session = get_session()
        now = get_office().now()
        login = form.login.data or ""
        account = find_user(session, login)
        was_locked = account is not None and account.locked_until is not None
        user = sign_in(session, login, form.password.data or "", now)
        _audit_sign_in(session, account, user, was_locked, now)
        session.commit()
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        refused = True
    return render_template("staff/login.html", form=form, refused=refused)


def _audit_sign_in(
    session: orm.Session,
    account: StaffUser | None,
    user: StaffUser | None,
    was_locked: bool,
    now: datetime,
) -> None:
    """Sign-ins, failed ones and lockouts in the audit log. A login that names no account
    is not written down: it may be a password typed into the wrong field."""
    if account is None:
        record(session, "—", "sign_in_failed", "staff_user:?", now, "unknown login")
        return
    who, subject = f"staff:{account.login}", f"staff_user:{account.login}"
    if user is not None:
        record(session, who, "sign_in", subject, now)
        return
    record(session, who, "sign_in_failed", subject, now)
    if not was_locked and account.locked_until is not None and account.locked_until > now:
        record(session, who, "locked", subject, now, f"until {account.locked_until:%H:%M}")


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        session = get_session()
        login = current_user.login
        record(session, f"staff:{login}", "sign_out", f"staff_user:{login}", get_office().now())
        session.commit()
    logout_user()
    return redirect(url_for("staff.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a signed-in user to another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.today")
