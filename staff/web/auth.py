"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from calllog.office import get_office
from calllog.staff import sign_in
from db import get_session
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
        user = sign_in(session, form.login.data or "", form.password.data or "", get_office().now())
        session.commit()
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        refused = True
    return render_template("staff/login.html", form=form, refused=refused)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    return redirect(url_for("staff.login"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a signed-in user to another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.today")
