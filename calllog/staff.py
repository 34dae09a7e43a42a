"""Staff accounts: logins with werkzeug password hashes and a role."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import orm
from werkzeug.security import check_password_hash, generate_password_hash

from models import ApiToken, StaffRole, StaffUser

MIN_PASSWORD_LENGTH = 8
FAILURES_BEFORE_LOCK = 5
LOCK_FOR = timedelta(minutes=15)
# Checked against when the login is unknown, so that a wrong login costs the same time.
_DUMMY_HASH = generate_password_hash("not a password")


def find_user(session: orm.Session, login: str) -> StaffUser | None:
    return session.scalar(sa.select(StaffUser).where(StaffUser.login == login))


def create_user(
    session: orm.Session, login: str, password: str, role: StaffRole, now: datetime
) -> StaffUser:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, login) is not None:
        raise ValueError(f"a staff account {login!r} exists already")
    user = StaffUser(
        login=login, password_hash=generate_password_hash(password), role=role, created_at=now
    )
    session.add(user)
    session.flush()
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def sign_in(session: orm.Session, login: str, password: str, now: datetime) -> StaffUser | None:
    """The account if ``password`` is right and the account may sign in now.

    Five wrong passwords in a row lock the account for fifteen minutes; every attempt
    costs one password-hash check, whether the login exists or not.
    """
    user = find_user(session, login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not password_matches(user, password):
        user.failed_logins += 1
        if user.failed_logins >= FAILURES_BEFORE_LOCK:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    return user if user.active else None


def check_password_rules(password: str) -> None:
    """Raise ``ValueError`` unless ``password`` may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def update_user(
    session: orm.Session,
    user: StaffUser,
    *,
    role: StaffRole | None = None,
    full_name: str | None = None,
    phone: str | None | Literal[False] = False,
) -> list[str]:
    """Change what is given (``phone=None`` clears the phone); return the fields changed."""
    changes: dict[str, object] = {}
    if role is not None:
        changes["role"] = role
    if full_name is not None:
        changes["full_name"] = full_name.strip()
    if phone is not False:
        changes["phone"] = phone or None
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    session.flush()
    return changed


def set_password(session: orm.Session, user: StaffUser, password: str) -> None:
    """Give ``user`` a new password (an admin's reset); this also lifts a sign-in lock."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def set_active(session: orm.Session, user: StaffUser, active: bool, *, by: StaffUser) -> None:
    """Deactivate or reactivate ``user``; nobody deactivates their own account.

    A deactivated account cannot sign in and is signed out of any open session.
    """
    if not active and user.id == by.id:
        raise ValueError("an administrator cannot deactivate their own account")
    user.active = active
    session.flush()


def revoke_api_token(session: orm.Session, token: ApiToken, now: datetime) -> bool:
    """Revoke one API token; False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.flush()
    return True
