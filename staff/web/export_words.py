"""The Russian variant of the call log's CSV: headers and values as staff read them.

The rows of the codes variant (:data:`staff.web.export.CSV_COLUMNS`) are put into words
with dictionary lookups and string slicing only, so the Russian export streams as fast as
the codes. Numbers stay in E.164 and durations in seconds: a spreadsheet sorts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from calllog.office import Office
from models import CallerKind
from staff.web.calls import CALL_STATUSES
from staff.web.labels import OUTCOMES

RUSSIAN_COLUMNS = (
    "Звонок (идентификатор Twilio)",
    "Начало",
    "Линия",
    "Номер звонившего",
    "Состояние звонка",
    "Итог",
    "Длительность, с",
    "Обращения",
    "Записи на приём",
)
#: A caller without a number: what the codes variant writes is the raw caller ID.
WITHHELD = "скрыт"


@dataclass(frozen=True)
class ExportWords:
    """The lookups of one export: the office's lines, statuses and outcomes by code."""

    lines: dict[str, str]

    @classmethod
    def of(cls, office: Office) -> ExportWords:
        return cls(lines={line.number: line.staff_label for line in office.lines})

    def rows(
        self,
        batch: Iterable[tuple[Any, ...]],
        appeals: dict[int, str],
        bookings: dict[int, str],
        local: Callable[[str], str] | None,
        raw_cell: Callable[[str | None], str],
    ) -> Iterator[tuple[Any, ...]]:
        """A batch of the export's query rows (the caller's kind last) in words.

        ``local``, when given, puts a start right when the batch's offset was not the office's
        (:func:`staff.web.export.csv_chunks`); ``raw_cell`` writes a raw caller ID. A start
        ``2026-12-02T10:30:00+05:00`` becomes ``02.12.2026 10:30:00``, which a Russian
        spreadsheet reads as a date and time.
        """
        line_of = self.lines.get
        status_of = {**CALL_STATUSES, None: ""}.get
        outcome_of = {**OUTCOMES, None: ""}.get
        appeals_of, bookings_of = appeals.get, bookings.get
        withheld = CallerKind.WITHHELD
        for call_id, sid, started, line, caller, raw, status, outcome, seconds, kind in batch:
            if local is not None:
                started = local(started)
            yield (
                sid,
                f"{started[8:10]}.{started[5:7]}.{started[:4]} {started[11:19]}",
                line_of(line, line),
                caller or (WITHHELD if kind == withheld or not raw else raw_cell(raw)),
                status_of(status, status),
                outcome_of(outcome, outcome),
                seconds,
                appeals_of(call_id, ""),
                bookings_of(call_id, ""),
            )
