"""Form helpers shared by the staff pages: the Russian-speaking base form, select options,
the filter that strips typed text and the check that refuses control characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import Length, Optional, ValidationError

from calllog.call_queries import REVERSED_RUSSIAN

#: The longest appeal text staff may type (a letter of some ten pages).
APPEAL_TEXT_MAX = 10_000
APPEAL_TEXT_LENGTH = Length(max=APPEAL_TEXT_MAX, message="Не длиннее 10 000 символов.")


class StaffForm(FlaskForm):
    """A form whose built-in messages ("Обязательное поле.") are in Russian.

    Flask-WTF translates only through Flask-Babel, which this service does without;
    WTForms ships the Russian catalogue itself.
    """

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return get_translations(["ru"])


class PeriodFilterForm(StaffForm):
    """A list's filter form with a period of days: an end before the start is refused."""

    since = DateField("С", validators=[Optional()])
    until = DateField("По", validators=[Optional()])

    def validate_until(self, field: DateField) -> None:
        if (
            field.data
            and self.since.data
            and not self.since.errors
            and field.data < self.since.data
        ):
            raise ValidationError(REVERSED_RUSSIAN)


def options(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """Select options from ``(value, label)`` pairs, after an empty "any" one if ``blank``."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, label) for value, label in pairs]


def printable(_form: FlaskForm, field: Field) -> None:
    """Refuse control characters (NUL above all, which PostgreSQL does not store)."""
    text = field.data or ""
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        raise ValidationError("Текст содержит недопустимые символы.")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def optional_text(max_length: int) -> list[Any]:
    """The validators of a text staff may leave empty: at most ``max_length`` printable
    characters."""
    return [
        Optional(),
        Length(max=max_length, message=f"Не длиннее {max_length} символов."),
        printable,
    ]
