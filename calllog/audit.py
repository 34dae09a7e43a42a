"""The audit log: who viewed, exported or changed which personal data, and when (§11)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import orm

from models import AuditEntry


def record(
    session: orm.Session,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    detail: str = "",
) -> AuditEntry:
    """Note that ``actor`` did ``action`` (view, export, change, …) to ``subject``.

    ``subject`` names the record, such as ``call:CA…`` or ``appeal:2025001``; ``detail``
    says what was done, never the personal data itself.
    """
    entry = AuditEntry(
        at=now, actor=actor[:100], action=action[:32], subject=subject[:100], detail=detail[:300]
    )
    session.add(entry)
    return entry
