"""The application's clock: every timestamp comes from here, never from the database."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


class Clock:
    """Wall-clock time in the office time zone."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class FixedClock(Clock):
    """A clock that stands still until moved; tests and simulations set the time with it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        super().__init__(at.tzinfo)
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(self.tz)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)
