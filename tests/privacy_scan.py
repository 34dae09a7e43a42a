"""What counts as personal data in a log line or an audit entry: one scanner for both checks.

A full phone number in any common format (E.164, 8 or 7 with ten digits, ``8 (902) 471-22-33``,
``+7 902 471-22-33``), a recording URL at Twilio, or a citizen's name used by the tests. The
reception's own published numbers are not personal data; a masked number (``+7902*****33``)
is not a full one.
"""

from __future__ import annotations

import re

#: The reception's own published numbers: not personal data, logged in full on purpose.
PUBLIC_NUMBERS = {"+73422368229", "+73422368458", "+73422367992"}
FULL_NUMBER = re.compile(r"(?<![\w*])\+?[78]\d{10}(?!\d)|(?<![\w*])\+\d{11,15}(?!\d)")
#: A Russian number written for people: ``8 (902) 471-22-33``, ``+7 902 471 22 33``.
WRITTEN_NUMBER = re.compile(
    r"(?<![\w*])(?:\+7|8)[\s-]*\(?\d{3}\)?[\s-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)"
)
RECORDING_URL = re.compile(
    r"https?://\S*/Recordings/RE[0-9a-fA-F]{32}|api\.twilio\.com/\S*Recordings"
)
#: A task's id in the task queue's log (a UUID), whose hex groups may hold digit runs.
TASK_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
#: Citizens' names typed by staff or said by callers in the tests (the experts' are public).
CITIZEN_NAMES = ("Иванов Иван", "Петров Пётр", "Сидорова", "Кузнецова Анна")


def _digits(number: str) -> str:
    return "+7" + re.sub(r"\D", "", number)[1:]


def personal_data_in(line: str) -> list[str]:
    line = TASK_ID.sub("<task>", line)
    found = [
        number
        for number in FULL_NUMBER.findall(line)
        if number not in PUBLIC_NUMBERS and "+" + number.lstrip("+") not in PUBLIC_NUMBERS
    ]
    found += [
        number
        for number in WRITTEN_NUMBER.findall(line)
        if number not in found and _digits(number) not in PUBLIC_NUMBERS
    ]
    found += RECORDING_URL.findall(line)
    found += [name for name in CITIZEN_NAMES if name in line]
    return found
