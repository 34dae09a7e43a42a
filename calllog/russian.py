"""Russian words the staff pages and the voice menu share; pure, no Flask, no database."""

from __future__ import annotations

from num2words import CONVERTER_CLASSES

_RUSSIAN = CONVERTER_CLASSES["ru"]


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form for ``n``: 1 звонок, 2 звонка, 5 звонков, 21 звонок."""
    return _RUSSIAN.pluralize(n, (one, few, many))
