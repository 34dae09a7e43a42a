"""A count on a staff page takes its noun from the one plural helper (``| plural``/``| noun``,
:func:`calllog.russian.plural`), never a form written after it in the template."""

from __future__ import annotations

import re
from pathlib import Path

import staff.web

TEMPLATES = Path(staff.web.__file__).parent / "templates"
#: ``{{ … | length }} записей``, ``{{ figures.calls }} звонков``: a count, then a word.
COUNT_THEN_WORD = re.compile(r"\{\{([^}]*)\}\}\s*([а-яё]+)")
COUNTS = re.compile(r"\|\s*length|\bcount\b|\btotal\b|figures\.|\.booked\b")
#: Words that do not change with the number before them.
INVARIANT = {"из", "дн", "по", "в", "с", "до", "и"}


def test_no_template_writes_a_plural_form_after_a_count() -> None:
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            for match in COUNT_THEN_WORD.finditer(line):
                expression, word = match.groups()
                if "plural" in expression or "noun" in expression or word in INVARIANT:
                    continue
                if COUNTS.search(expression):
                    found.append(f"{template.name}:{number}: {match.group(0)}")
    assert found == []


def test_the_erase_page_counts_through_the_helper() -> None:
    page = (TEMPLATES / "staff" / "personal_data_erase.html").read_text()
    assert page.count("| plural(") == 6
