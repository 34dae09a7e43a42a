"""Staff see each line under a nominative label; callers still hear the spoken phrase.

«Вы позвонили в общественную приёмную, линию записи на личный приём» is said to a caller;
the call log, the Today page, the reports and the callbacks show «Линия записи на личный
приём» (issue 13, product §12).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from calllog import callbacks
from calllog.lines import DEFAULT_LINES, Line, parse_lines
from models import Call, CallOutcome, StaffRole
from tests.conftest import MOBILE, OPEN_TIME

MAIN, BOOKING, INFO = (line.number for line in DEFAULT_LINES)
SPOKEN = "общественную приёмную, линию записи на личный приём"
SPOKEN_INFO = "общественную приёмную, справочную линию"
LABELS = ("Общественная приёмная", "Линия записи на личный приём", "Справочная линия")


@pytest.fixture
def calls_on_every_line(log_calls) -> dict[str, str]:
    """One call today on each default line; their CallSids by line number."""
    return {
        number: log_calls(line=number, start=OPEN_TIME - timedelta(minutes=10 * index))[0]
        for index, number in enumerate((MAIN, BOOKING, INFO))
    }


def page(client, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200, path
    return reply.get_data(as_text=True)


def test_the_default_lines_have_nominative_labels() -> None:
    assert tuple(line.staff_label for line in DEFAULT_LINES) == LABELS
    assert DEFAULT_LINES[1].name == SPOKEN  # the spoken phrase stays


@pytest.mark.parametrize("path", ["/calls", "/", "/reports"])
def test_staff_pages_show_the_nominative_label_not_the_spoken_phrase(
    client, sign_in, calls_on_every_line, path
):
    sign_in(StaffRole.SUPERVISOR)

    html = page(client, path)

    for label in LABELS:
        assert label in html
    assert SPOKEN not in html
    assert SPOKEN_INFO not in html


def test_a_call_page_shows_its_lines_label(client, sign_in, calls_on_every_line):
    sign_in(StaffRole.OPERATOR)

    html = page(client, f"/calls/{calls_on_every_line[BOOKING]}")

    assert "Линия записи на личный приём" in html
    assert SPOKEN not in html


def test_the_callback_pages_show_the_label(client, sign_in, log_calls, records):
    [sid] = log_calls(line=INFO, outcome=CallOutcome.ABANDONED, duration_s=3)
    with records() as session:
        call = session.scalar(sa.select(Call).where(Call.sid == sid))
        at = OPEN_TIME - timedelta(hours=1)
        callback = callbacks.request(session, MOBILE, "abandoned", call, at, OPEN_TIME)
        session.commit()
        callback_id = callback.id
    sign_in(StaffRole.OPERATOR)

    for path in ("/callbacks", f"/callbacks/{callback_id}"):
        html = page(client, path)
        assert "Справочная линия" in html
        assert SPOKEN_INFO not in html


def test_the_caller_still_hears_the_spoken_phrase(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=BOOKING).start()

    assert f"Вы позвонили в {SPOKEN}" in " ".join(call.said)
    assert "Линия записи на личный приём" not in " ".join(call.said)


def test_a_configured_label_is_shown_and_the_name_is_spoken(config, request):
    config["RECEPTION_LINES"] = json.dumps(
        [{"number": MAIN, "name": "приёмную губернатора", "label": "Приёмная губернатора"}],
        ensure_ascii=False,
    )
    twilio = request.getfixturevalue("twilio")
    call = twilio.incoming_call(from_=MOBILE, to=MAIN).start()
    assert "Вы позвонили в приёмную губернатора" in " ".join(call.said)
    request.getfixturevalue("sign_in")(StaffRole.OPERATOR)

    html = page(request.getfixturevalue("client"), "/calls")

    assert "Приёмная губернатора" in html
    assert "приёмную губернатора" not in html


def test_a_line_without_a_label_gets_its_numbers_default_or_the_number() -> None:
    lines = parse_lines(
        json.dumps(
            [
                {"number": BOOKING, "name": "линию записи", "aliases": ["+14155550100"]},
                {"number": "+73422000101", "name": "горячую линию"},
            ],
            ensure_ascii=False,
        )
    )
    assert [line.staff_label for line in lines] == [
        "Линия записи на личный приём",
        "Линия 8 (342) 200-01-01",
    ]
    assert Line(MAIN, "приёмную").staff_label == "Общественная приёмная"


@pytest.mark.parametrize("label", ["", "   ", 7, ["Линия"]])
def test_a_label_must_be_a_non_empty_string(label) -> None:
    spec = json.dumps([{"number": MAIN, "name": "приёмную", "label": label}])
    with pytest.raises(ValueError, match="label"):
        parse_lines(spec)
