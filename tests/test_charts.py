"""The report's charts (inline SVG): labels that fit, a y-axis with ticks, empty charts that
say why, shares written as Russians write them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from staff.web.charts import CHAR_WIDTH, bars, calls_per_day

DAY = date(2026, 12, 1)
LINES = [("+73422368229", "8 (342) 236-82-29 общественная приёмная")]


def label_texts(svg: str) -> list[tuple[float, str]]:
    """The right-aligned labels: their right edge and their text (tooltips left out)."""
    found = re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>(.*?)</text>', svg)
    return [(float(x), re.sub(r"<title>.*?</title>", "", text)) for x, text in found]


def test_a_long_label_gets_room_and_is_not_cut_at_the_edge():
    svg = bars([("Жилищно-коммунальное хозяйство", 4), ("Другое", 1)], title="Темы")

    for right_edge, text in label_texts(svg):
        assert right_edge - len(text) * CHAR_WIDTH >= 0, text
    assert ">Жилищно-коммунальное хозяйство<" in svg


def test_a_label_longer_than_the_room_is_shortened_and_kept_whole_in_its_tooltip():
    name = "Очень длинное название темы обращения, которое не помещается в отведённое место"
    svg = bars([(name, 3)], title="Темы", width=400)

    ((right_edge, text),) = label_texts(svg)
    assert text.endswith("…")
    assert right_edge - len(text) * CHAR_WIDTH >= 0
    assert f"<title>{name}</title>" in svg


def test_shares_are_written_the_russian_way():
    svg = bars([("прервал звонок", 1), ("справка", 2)], title="Итоги")
    assert "1 (33\u00a0%)" in svg
    assert "2 (67\u00a0%)" in svg


def test_the_days_chart_has_round_ticks_on_its_y_axis():
    per_day = {DAY: {LINES[0][0]: 32}, DAY + timedelta(days=1): {LINES[0][0]: 7}}
    svg = calls_per_day(per_day, LINES, DAY, DAY + timedelta(days=1), title="Звонки")

    ticks = [int(value) for value in re.findall(r'text-anchor="end"[^>]*>(\d+)</text>', svg)]
    assert ticks == [0, 10, 20, 30, 40]


def test_empty_charts_say_why():
    empty_days = calls_per_day({}, LINES, DAY, DAY, title="Звонки", empty="Звонков не было.")
    empty_bars = bars([], title="Темы", empty="Обращений не было.")

    assert "Звонков не было." in empty_days
    assert "Обращений не было." in empty_bars
