"""Staff accounts: logins with werkzeug password hashes and a role."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from werkzeug.security import check_password_hash, generate_password_hash

from models import StaffRole, StaffUser

MIN_PASSWORD_LENGTH = 8


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
