"""Staff accounts and API tokens (admins only). Every change writes an audit entry.

Tokens are made with ``flask staff create-token`` (the secret is shown once, in the
terminal); here they are listed and revoked.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from calllog import staff as service
from calllog.audit import record
from calllog.office import get_office
from calllog.phones import to_e164
from db import get_session
from models import ApiToken, StaffRole, StaffUser
from staff.web import actor, bp, role_required
from staff.web.forms import StaffForm, options

ROLE_NAMES = {
    StaffRole.OPERATOR.value: "оператор",
    StaffRole.SUPERVISOR.value: "руководитель",
    StaffRole.ADMIN.value: "администратор",
}
LOGIN_PATTERN = r"^[A-Za-z0-9._-]+$"
Row = TypeVar("Row", StaffUser, ApiToken)


def _phone_valid(_form: FlaskForm, field: StringField) -> None:
    if field.data and to_e164(field.data) is None:
        raise ValidationError("Это не номер телефона.")


class ProfileForm(StaffForm):
    full_name = StringField("ФИО", validators=[Optional(), Length(max=200)])
    role = SelectField("Роль", choices=options(ROLE_NAMES.items()))
    phone = StringField("Телефон", validators=[Optional(), Length(max=40), _phone_valid])


class PasswordForm(StaffForm):
    password = PasswordField(
        "Новый пароль",
        validators=[
            DataRequired("Введите пароль."),
            Length(
                min=service.MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Пароль — не короче {service.MIN_PASSWORD_LENGTH} символов.",
            ),
        ],
    )
    confirm = PasswordField(
        "Пароль ещё раз", validators=[EqualTo("password", "Пароли не совпадают.")]
    )


class NewUserForm(ProfileForm, PasswordForm):
    login = StringField(
        "Логин",
        validators=[
            DataRequired("Введите логин."),
            Length(min=2, max=64),
            Regexp(LOGIN_PATTERN, message="Латинские буквы, цифры, точка, дефис, подчёркивание."),
        ],
    )

    def validate_login(self, field: StringField) -> None:
        if service.find_user(get_session(), field.data or "") is not None:
            raise ValidationError("Такой логин уже есть.")


class ActiveForm(StaffForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


def _audit(subject: str, detail: str, action: str = "change") -> None:
    record(get_session(), actor(), action, subject, get_office().now(), detail)


def _subject(user: StaffUser) -> str:
    return f"staff_user:{user.login}"


def _get(model: type[Row], row_id: int) -> Row:
    row = get_session().get(model, row_id)
    if row is None:
        abort(404)
    return row


def _user(user_id: int) -> StaffUser:
    return _get(StaffUser, user_id)


# --- the list and new accounts -----------------------------------------------------------


@bp.get("/users")
@role_required(StaffRole.ADMIN)
def users() -> str:
    return _users_page(NewUserForm(formdata=None))


def _users_page(form: NewUserForm, status: int = 200) -> Any:
    session = get_session()
    accounts = session.scalars(sa.select(StaffUser).order_by(StaffUser.login)).all()
    tokens = session.scalars(
        sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ).all()
    _audit("staff_users", "list", action="view")
    session.commit()
    page = render_template(
        "staff/users.html",
        accounts=accounts,
        tokens=tokens,
        form=form,
        role_names=ROLE_NAMES,
        now=get_office().now(),
    )
    return page, status


@bp.post("/users")
@role_required(StaffRole.ADMIN)
def user_create() -> Response | tuple[str, int]:
    form = NewUserForm()
    if not form.validate():
        flash("Сотрудник не добавлен: исправьте поля, отмеченные ниже.", "error")
        return _users_page(form, 422)
    session = get_session()
    login = (form.login.data or "").strip()
    user = service.create_user(
        session, login, form.password.data or "", StaffRole(form.role.data), get_office().now()
    )
    service.update_user(
        session,
        user,
        full_name=form.full_name.data or "",
        phone=to_e164(form.phone.data) if form.phone.data else None,
    )
    _audit(_subject(user), f"created, role {user.role.value}")
    session.commit()
    flash(f"Сотрудник {login} добавлен.", "success")
    return redirect(url_for("staff.users"))


# --- one account -------------------------------------------------------------------------


@bp.get("/users/<id:user_id>")
@role_required(StaffRole.ADMIN)
def user(user_id: int) -> tuple[str, int]:
    account = _user(user_id)
    return _user_page(account, _profile(account))


def _profile(account: StaffUser) -> ProfileForm:
    data = {"full_name": account.full_name, "role": account.role.value, "phone": account.phone}
    return ProfileForm(formdata=None, data=data)


def _user_page(
    account: StaffUser,
    profile_form: ProfileForm,
    password_form: PasswordForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    _audit(_subject(account), "account", action="view")
    get_session().commit()
    page = render_template(
        "staff/user.html",
        account=account,
        profile_form=profile_form,
        password_form=password_form or PasswordForm(formdata=None),
        active_form=ActiveForm(formdata=None),
        role_names=ROLE_NAMES,
        myself=account.id == current_user.id,
        now=get_office().now(),
    )
    return page, status


@bp.post("/users/<id:user_id>")
@role_required(StaffRole.ADMIN)
def user_update(user_id: int) -> Response | tuple[str, int]:
    account = _user(user_id)
    form = ProfileForm()
    if not form.validate():
        flash("Не сохранено: исправьте поля, отмеченные ниже.", "error")
        return _user_page(account, form, status=422)
    role = StaffRole(form.role.data)
    if account.id == current_user.id and role is not account.role:
        flash("Свою роль изменить нельзя: это может сделать другой администратор.", "error")
        return redirect(url_for("staff.user", user_id=account.id))
    before = account.role
    changed = service.update_user(
        get_session(),
        account,
        role=role,
        full_name=form.full_name.data or "",
        phone=to_e164(form.phone.data) if form.phone.data else None,
    )
    if changed:
        details = [
            f"role {before.value} -> {role.value}" if name == "role" else name for name in changed
        ]
        _audit(_subject(account), "changed: " + ", ".join(details))
        get_session().commit()
        flash("Изменения сохранены.", "success")
    else:
        flash("Ничего не изменилось.", "info")
    return redirect(url_for("staff.user", user_id=account.id))


@bp.post("/users/<id:user_id>/active")
@role_required(StaffRole.ADMIN)
def user_active(user_id: int) -> Response:
    account = _user(user_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    active = form.active.data == "1"
    try:
        service.set_active(get_session(), account, active, by=current_user)
    except ValueError:
        get_session().rollback()
        flash("Свою учётную запись отключить нельзя.", "error")
        return redirect(url_for("staff.user", user_id=account.id))
    _audit(_subject(account), "reactivated" if active else "deactivated")
    get_session().commit()
    flash(
        f"Учётная запись {account.login} " + ("снова действует." if active else "отключена."),
        "success",
    )
    return redirect(url_for("staff.user", user_id=account.id))


@bp.post("/users/<id:user_id>/password")
@role_required(StaffRole.ADMIN)
def user_password(user_id: int) -> Response | tuple[str, int]:
    account = _user(user_id)
    form = PasswordForm()
    if not form.validate():
        flash("Пароль не изменён: " + _first_error(form), "error")
        return _user_page(account, _profile(account), form, 422)
    service.set_password(get_session(), account, form.password.data or "")
    _audit(_subject(account), "password reset")
    get_session().commit()
    flash(f"Пароль для {account.login} изменён. Сообщите его сотруднику лично.", "success")
    return redirect(url_for("staff.user", user_id=account.id))


def _first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "проверьте форму."


# --- API tokens --------------------------------------------------------------------------


@bp.post("/users/tokens/<id:token_id>/revoke")
@role_required(StaffRole.ADMIN)
def token_revoke(token_id: int) -> Response:
    session = get_session()
    token = _get(ApiToken, token_id)
    if service.revoke_api_token(session, token, get_office().now()):
        _audit(f"api_token:{token.name}", f"revoked token #{token.id}")
        session.commit()
        flash(f"Ключ API «{token.name}» отозван.", "success")
    else:
        flash(f"Ключ API «{token.name}» уже был отозван.", "info")
    return redirect(url_for("staff.users") + "#tokens")
