"""``flask --app app ivr call``: a whole call typed in the terminal."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from models import Appeal, Appointment
from tests.conftest import PERM


def test_a_person_books_a_visit_in_the_terminal(app, schedule, records):
    schedule(datetime(2026, 12, 3, 10, 0, tzinfo=PERM))
    keys = "\n".join(["1", "1", "1", "4 #", ""]) + "\n"

    result = app.test_cli_runner().invoke(args=["ivr", "call", "--line", "2"], input=keys)

    assert result.exit_code == 0, result.output
    assert "Нажмите 1: в четверг, третьего декабря, в десять часов." in result.output
    assert "Ваш код записи" in result.output
    assert "До свидания." in result.output
    (appointment,) = records().scalars(sa.select(Appointment)).all()
    assert appointment.calls[0].line == "+73422368458"


def test_a_person_leaves_a_request_from_a_withheld_number(app, records):
    keys = "\n".join(["2", "1", "3", "30 #", "89024712233#", ""]) + "\n"

    result = app.test_cli_runner().invoke(args=["ivr", "call", "--from", "anonymous"], input=keys)

    assert result.exit_code == 0, result.output
    (appeal,) = records().scalars(sa.select(Appeal)).all()
    assert (appeal.topic, appeal.phone) == ("health", "+79024712233")
    assert "Ваше обращение зарегистрировано под номером" in result.output
