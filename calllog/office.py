"""The reception as the running application sees it: lines, hours, topics and clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from calllog.calendar import ProductionCalendar
from calllog.hours import OfficeHours
from calllog.lines import Line, line_for, parse_lines
from calllog.phones import parse_caller
from calllog.schedule import LocalRules
from clock import Clock
from settings import ConfigError

Topic = tuple[str, str]

#: A ``<Dial>`` rings at most ten ``<Number>`` nouns at once.
MAX_STAFF_PHONES = 10


DEFAULT_TOPICS: tuple[Topic, ...] = (
    ("housing", "Жилищно-коммунальное хозяйство"),
    ("social", "Социальная защита"),
    ("health", "Здравоохранение"),
    ("education", "Образование и детские сады"),
    ("transport", "Дороги и транспорт"),
    ("other", "Другое"),
)


@dataclass
class Office:
    lines: tuple[Line, ...]
    hours: OfficeHours
    clock: Clock
    staff_phones: tuple[str, ...]
    topics: tuple[Topic, ...] = DEFAULT_TOPICS
    booking_min_ahead: timedelta = timedelta(hours=2)
    booking_max_ahead: timedelta = timedelta(days=30)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Office:
        try:
            tz = ZoneInfo(config["TZ_NAME"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"TZ_NAME {config['TZ_NAME']!r} is not a known time zone") from None
        try:
            lines = parse_lines(config["RECEPTION_LINES"])
            hours = OfficeHours.from_config(
                config["OFFICE_HOURS"], config["TZ_NAME"], ProductionCalendar.from_file()
            )
        except ValueError as error:
            raise ConfigError(str(error)) from error
        return cls(
            lines=lines,
            hours=hours,
            clock=Clock(tz),
            staff_phones=_staff_phones(config["STAFF_PHONES"]),
            topics=_topics(config["APPEAL_TOPICS"]),
            booking_min_ahead=timedelta(hours=config["BOOKING_MIN_HOURS_AHEAD"]),
            booking_max_ahead=timedelta(days=config["BOOKING_MAX_DAYS_AHEAD"]),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def line(self, number: str) -> Line | None:
        return line_for(self.lines, number)

    def schedule_rules(self) -> LocalRules:
        """The local hours and calendar every reception session keeps to (§12)."""
        return LocalRules(self.clock.tz, self.hours.calendar)

    def topic_name(self, code: str) -> str:
        return dict(self.topics).get(code, code)


def _topics(spec: str | None) -> tuple[Topic, ...]:
    """``APPEAL_TOPICS``: a JSON list of ``{"code": ..., "name": ...}``, keys 1 to 9 in order."""
    if not spec:
        return DEFAULT_TOPICS
    try:
        entries = json.loads(spec)
        topics = tuple((str(entry["code"]), str(entry["name"])) for entry in entries)
    except (ValueError, TypeError, KeyError):
        raise ConfigError(
            'APPEAL_TOPICS must be a JSON list of {"code": ..., "name": ...}'
        ) from None
    if not 1 <= len(topics) <= 9 or len({code for code, _ in topics}) != len(topics):
        raise ConfigError("APPEAL_TOPICS needs one to nine topics with distinct codes")
    return topics


def _staff_phones(spec: str | None) -> tuple[str, ...]:
    phones = []
    for item in (spec or "").split(","):
        if item.strip():
            caller = parse_caller(item.strip())
            if caller.e164 is None:
                raise ConfigError(f"STAFF_PHONES: {item.strip()!r} is not a Russian phone number")
            phones.append(caller.e164)
    if len(phones) > MAX_STAFF_PHONES:
        raise ConfigError(
            f"STAFF_PHONES lists {len(phones)} phones: a transfer rings at most ten "
            "(Twilio's <Dial> takes at most ten numbers)"
        )
    return tuple(phones)


def get_office() -> Office:
    return current_app.extensions["office"]
