"""When the benchmark's calls happen, who makes them, and where visits can be booked.

Pure helpers for :mod:`bench.dataset_rows`: hourly weights over two years of the office's
calendar (office hours busy, lunch and evenings quieter, weekends and holidays nearly
silent), a pool of Russian callers of whom a few call again and again, and the reception
sessions that give the slots.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from calllog.hours import OfficeHours

PERM = ZoneInfo("Asia/Yekaterinburg")
YEARS = 2
#: How busy each local hour of a working day is, relative to the busiest.
WORKDAY_HOURS = {7: 0.1, 8: 0.25, 9: 0.6, 10: 1.0, 11: 1.0, 12: 0.9, 13: 0.45, 14: 1.0}
WORKDAY_HOURS |= {15: 0.95, 16: 0.85, 17: 0.7, 18: 0.4, 19: 0.2, 20: 0.12, 21: 0.06}
NIGHT_WEIGHT = 0.015
DAY_OFF_WEIGHT = 0.06
REPEAT_SKEW = 1.4
MOBILE_CODES = ("902", "912", "919", "922", "950", "951", "952", "963", "982", "992", "908")
EXPERTS = (
    ("Иванова Мария Петровна", "депутат Законодательного собрания"),
    ("Соколов Андрей Викторович", "юрист приёмной"),
    ("Кузнецова Ольга Сергеевна", "специалист по социальным вопросам"),
    ("Попов Дмитрий Александрович", "депутат Законодательного собрания"),
    ("Смирнова Елена Игоревна", "специалист по жилищным вопросам"),
    ("Морозов Павел Николаевич", "помощник депутата"),
)
OFFICE = "г. Пермь, ул. Екатерининская, 210, кабинет 3"
OUTREACH = "г. Краснокамск, ул. Карла Маркса, 4, администрация"
SLOT_MINUTES = 15
SESSION_HOURS = (time(10), time(17))


def period(now: datetime) -> tuple[datetime, datetime]:
    """The two years of the dataset: from local midnight two years ago up to ``now``."""
    local_now = now.astimezone(PERM)
    first = local_now.date().replace(year=local_now.year - YEARS)
    return datetime.combine(first, time(), PERM), local_now


def working_days(first: date, last: date, hours: OfficeHours) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if hours.intervals(day)]


def start_times(rng: random.Random, count: int, now: datetime, hours: OfficeHours) -> list[float]:
    """``count`` call start times (UTC POSIX seconds), ascending, shaped by the calendar."""
    start, end = period(now)
    open_days = set(working_days(start.date(), end.date(), hours))
    bucket_starts: list[float] = []
    cumulative: list[float] = []
    total = 0.0
    moment = start
    while moment < end:
        local = moment.astimezone(PERM)
        if local.date() in open_days:
            weight = WORKDAY_HOURS.get(local.hour, NIGHT_WEIGHT)
        else:
            weight = DAY_OFF_WEIGHT if 9 <= local.hour < 21 else NIGHT_WEIGHT / 2
        total += weight
        bucket_starts.append(moment.timestamp())
        cumulative.append(total)
        moment += timedelta(hours=1)
    last_second = end.timestamp() - 1
    chosen = rng.choices(bucket_starts, cum_weights=cumulative, k=count)
    return sorted(min(first + rng.random() * 3600, last_second) for first in chosen)


@dataclass
class Callers:
    """A pool of Russian numbers: mobiles mostly, Perm landlines; low indexes call most."""

    numbers: list[str]

    @classmethod
    def make(cls, rng: random.Random, size: int) -> Callers:
        numbers: set[str] = set()
        while len(numbers) < size:
            if rng.random() < 0.8:
                number = f"+79{rng.choice(MOBILE_CODES)[1:]}{rng.randrange(10**7):07d}"
            else:
                number = f"+73422{rng.randrange(10**6):06d}"
            numbers.add(number)
        ordered = sorted(numbers)
        rng.shuffle(ordered)
        return cls(ordered)

    def pick(self, rng: random.Random) -> str:
        # The most frequent caller rings about 150 times in two years of a million calls.
        return self.numbers[int(len(self.numbers) * rng.random() ** REPEAT_SKEW)]


@dataclass
class Slots:
    """Every slot of the period's reception sessions, by start; taken ones remembered."""

    sessions: list[dict]
    slots: list[dict]
    starts: list[float]
    taken: set[int]

    @classmethod
    def make(cls, days: list[date], experts_per_day: int) -> Slots:
        sessions: list[dict] = []
        slots: list[dict] = []
        for day in days:
            for index in range(experts_per_day):
                expert, title = EXPERTS[index % len(EXPERTS)]
                outreach = index == 0 and day.weekday() == 3
                begins = datetime.combine(day, SESSION_HOURS[0], PERM).astimezone(UTC)
                ends = datetime.combine(day, SESSION_HOURS[1], PERM).astimezone(UTC)
                session_id = len(sessions) + 1
                sessions.append(
                    {
                        "id": session_id,
                        "expert": expert,
                        "title": title,
                        "place": OUTREACH if outreach else OFFICE,
                        "outreach": outreach,
                        "starts_at": begins,
                        "ends_at": ends,
                        "slot_minutes": SLOT_MINUTES,
                    }
                )
                step = timedelta(minutes=SLOT_MINUTES)
                moment = begins
                while moment + step <= ends:
                    slot = {"id": 0, "session_id": session_id, "starts_at": moment}
                    slot["ends_at"] = moment + step
                    slots.append(slot)
                    moment += step
        slots.sort(key=lambda slot: (slot["starts_at"], slot["session_id"]))
        for number, slot in enumerate(slots, start=1):
            slot["id"] = number
        return cls(sessions, slots, [slot["starts_at"].timestamp() for slot in slots], set())

    @staticmethod
    def experts_needed(bookings: int, days: int) -> int:
        per_session = (SESSION_HOURS[1].hour - SESSION_HOURS[0].hour) * 60 // SLOT_MINUTES
        return max(1, math.ceil(bookings * 1.3 / (per_session * max(days, 1))))

    def book(self, rng: random.Random, booked_at: float, *, active: bool) -> dict:
        """A slot 2 hours to 30 days after ``booked_at``, nearer ones likelier; a free one
        when the booking stays ``active`` (one active appointment per slot)."""
        low = bisect.bisect_left(self.starts, booked_at + 2 * 3600)
        high = bisect.bisect_left(self.starts, booked_at + 30 * 86400)
        low = min(low, len(self.slots) - 1)
        index = low + int((max(high - low, 1)) * rng.random() ** 2)
        index = min(index, len(self.slots) - 1)
        if not active:
            return self.slots[index]
        for candidate in chain(range(index, len(self.slots)), range(index - 1, -1, -1)):
            if candidate not in self.taken:
                self.taken.add(candidate)
                return self.slots[candidate]
        raise RuntimeError("no free slot left: more sessions are needed")
