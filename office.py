"""The reception as the running application sees it: lines, hours, voice and clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from calllog.lines import Line, line_for, parse_lines
from calllog.phones import parse_caller
from clock import Clock
from ivr.calendar import ProductionCalendar
from ivr.hours import OfficeHours
from ivr.prompts import Catalogue
from ivr.twiml import Speaker
from settings import ConfigError


@dataclass
class Office:
    lines: tuple[Line, ...]
    hours: OfficeHours
    speaker: Speaker
    clock: Clock
    staff_phones: tuple[str, ...]

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
            catalogue = Catalogue.load(config["PROMPTS_FILE"])
        except ValueError as error:
            raise ConfigError(str(error)) from error
        return cls(
            lines=lines,
            hours=hours,
            speaker=Speaker(catalogue, config["VOICE"], config["SPEECH_INPUT"]),
            clock=Clock(tz),
            staff_phones=_staff_phones(config["STAFF_PHONES"]),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def line(self, number: str) -> Line | None:
        return line_for(self.lines, number)


def _staff_phones(spec: str | None) -> tuple[str, ...]:
    phones = []
    for item in (spec or "").split(","):
        if item.strip():
            caller = parse_caller(item.strip())
            if caller.e164 is None:
                raise ConfigError(f"STAFF_PHONES: {item.strip()!r} is not a Russian phone number")
            phones.append(caller.e164)
    return tuple(phones)


def get_office() -> Office:
    return current_app.extensions["office"]
