"""The reception schedule as the information branch (key 4) tells it."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from calllog.phone import CallContext
from models import ReceptionSession


class PhoneSchedule:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def upcoming_outreach(self, days: int, limit: int) -> list[tuple[datetime, str]]:
        """The next outreach receptions within ``days``: when, and where."""
        now = self.context.now
        query = (
            sa.select(ReceptionSession.starts_at, ReceptionSession.place)
            .where(
                ReceptionSession.outreach,
                ReceptionSession.starts_at >= now,
                ReceptionSession.starts_at < now + timedelta(days=days),
            )
            .order_by(ReceptionSession.starts_at)
            .limit(limit)
            # Staff write the schedule, never a call: the call's own writes need no flush
            # first, and go out together at the commit.
            .execution_options(autoflush=False)
        )
        return [(starts_at, place) for starts_at, place in self.context.session.execute(query)]
