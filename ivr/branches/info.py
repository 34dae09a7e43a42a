"""Address, hours and the coming outreach receptions (key 4); then the main menu."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from twilio.twiml.voice_response import VoiceResponse

from ivr.branch import Branch
from ivr.menu import main_menu
from ivr.speech import clock_genitive, datetime_words, spoken_place
from ivr.turn import Turn
from ivr.twiml import Prompt
from models import CallOutcome

if TYPE_CHECKING:
    from calllog.hours import OfficeHours

OUTREACH_DAYS = 30
OUTREACH_SHOWN = 3
# «с понедельника по пятницу»: genitive after «с», accusative after «по».
FROM_DAY = ("понедельника", "вторника", "среды", "четверга", "пятницы", "субботы", "воскресенья")
TO_DAY = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")
ON_DAY = tuple(f"во {day}" if day == "вторник" else f"в {day}" for day in TO_DAY)

branch = Branch(
    "info",
    key="4",
    prompts={
        "info_address": (),
        "info_hours": {"hours"},
        "info_outreach": {"receptions"},
        "info_no_outreach": (),
    },
)


@branch.entry
def start(turn: Turn) -> VoiceResponse:
    """Key 4: the address, the hours, the next outreach receptions."""
    turn.log.outcome(CallOutcome.INFO)
    turn.log.event("info")
    prompts: list[Prompt] = [
        "info_address",
        ("info_hours", {"hours": hours_words(turn.office.hours)}),
    ]
    receptions = upcoming_outreach(turn)
    if receptions:
        prompts.append(("info_outreach", {"receptions": "; ".join(receptions)}))
    else:
        prompts.append("info_no_outreach")
    return main_menu(turn, *prompts)


def upcoming_outreach(turn: Turn) -> list[str]:
    tz = turn.office.clock.tz
    return [
        f"{datetime_words(starts_at.astimezone(tz))}, {spoken_place(place)}"
        for starts_at, place in turn.schedule.upcoming_outreach(OUTREACH_DAYS, OUTREACH_SHOWN)
    ]


def hours_words(hours: OfficeHours) -> str:
    """The weekly timetable in words: «с понедельника по пятницу с десяти до …»."""
    groups: list[tuple[list[int], tuple[tuple[time, time], ...]]] = []
    for day in range(7):
        intervals = tuple(hours.week.get(day, ()))
        if not intervals:
            continue
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))
    return "; ".join(f"{_days(days)} {_intervals(intervals)}" for days, intervals in groups)


def _days(days: list[int]) -> str:
    if len(days) == 1:
        return ON_DAY[days[0]]
    return f"с {FROM_DAY[days[0]]} по {TO_DAY[days[-1]]}"


def _intervals(intervals: tuple[tuple[time, time], ...]) -> str:
    first, last = intervals[0][0], intervals[-1][1]
    text = f"с {clock_genitive(first)} до {clock_genitive(last)}"
    breaks = [
        f"с {clock_genitive(end)} до {clock_genitive(start)}"
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False)
    ]
    return text + (f", перерыв {' и '.join(breaks)}" if breaks else "")
