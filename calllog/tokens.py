"""API tokens: shown once when created, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from models import ApiToken, StaffRole

PREFIX = "rl_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: orm.Session,
    name: str,
    role: StaffRole,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token row and the secret to hand over (it cannot be shown again)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, token_hash=_digest(secret), role=role, created_at=now, expires_at=expires_at
    )
    session.add(token)
    session.flush()
    return token, secret


def verify_token(session: orm.Session, secret: str, now: datetime) -> ApiToken | None:
    """The live token for ``secret``, or None when unknown, revoked or expired."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


def revoke_token(session: orm.Session, name: str, now: datetime) -> int:
    """Revoke every live token called ``name``; return how many."""
    tokens = session.scalars(
        sa.select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)
