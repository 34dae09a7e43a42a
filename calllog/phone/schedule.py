"""The reception schedule as the information branch (key 4) tells it."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from calllog.phone import CallContext
from models import ReceptionSession

#: Built once, so that its cache key is too (see ``calllog.calls.CALL_BY_SID``).
OUTREACH_BETWEEN = (
    sa.select(ReceptionSession.starts_at, ReceptionSession.place)
    .where(
        ReceptionSession.outreach,
        ReceptionSession.starts_at >= sa.bindparam("start"),
        ReceptionSession.starts_at < sa.bindparam("end"),
    )
    .order_by(ReceptionSession.starts_at)
    .limit(sa.bindparam("limit"))
    # Staff write the schedule, never a call: the call's own writes need no flush
    # first, and go out together at the commit.
    .execution_options(autoflush=False)
)


class PhoneSchedule:
    def __init__(self, context: CallContext) -> None:
        self.context = context

    def upcoming_outreach(self, days: int, limit: int) -> list[tuple[datetime, str]]:
        """The next outreach receptions within ``days``: when, and where."""
        now = self.context.now
        window = {"start": now, "end": now + timedelta(days=days), "limit": limit}
        return [tuple(row) for row in self.context.session.execute(OUTREACH_BETWEEN, window)]
