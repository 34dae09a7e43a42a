"""The boundary of ``ivr``: no Flask or database at runtime, and only the Turn protocol."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from ivr import branches, turn
from tests.ivr import fakes

ROOT = Path(__file__).resolve().parents[2]
DECIDING = [ROOT / "ivr" / "menu.py", ROOT / "ivr" / "contact.py"] + sorted(
    (ROOT / "ivr" / "branches").glob("*.py")
)
DESKS: dict[str, tuple[type, type]] = {
    "log": (turn.CallLog, fakes.FakeLog),
    "booking": (turn.BookingDesk, fakes.FakeBookingDesk),
    "appeals": (turn.AppealDesk, fakes.FakeAppealDesk),
    "callbacks": (turn.CallbackDesk, fakes.FakeCallbackDesk),
    "schedule": (turn.ScheduleDesk, fakes.FakeSchedule),
    "transcripts": (turn.TranscriptDesk, fakes.FakeTranscripts),
}


def members(protocol: type) -> set[str]:
    """What a protocol declares: its methods and properties, inherited ones too."""
    return {
        name
        for cls in protocol.__mro__
        if cls is not object
        for name in (*vars(cls), *getattr(cls, "__annotations__", {}))
        if not name.startswith("_")
    }


def test_the_menu_imports_no_flask_and_no_database() -> None:
    code = (
        "import sys, ivr.menu, ivr.branches; ivr.branches.all_branches(); "
        "loaded = {'flask', 'werkzeug', 'db', 'webhooks', 'twilio_turn', 'calllog.office'}"
        " & set(sys.modules); assert not loaded, sorted(loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr


def test_every_main_menu_key_leads_to_one_branch() -> None:
    keys = [branch.key for branch in branches.all_branches() if branch.key is not None]

    assert sorted(keys) == ["0", "1", "2", "3", "4"]
    assert all(branches.by_key()[key] is not None for key in keys)


@pytest.mark.parametrize("module", DECIDING, ids=lambda path: path.stem)
def test_a_branch_asks_of_its_turn_only_what_the_protocol_declares(module: Path) -> None:
    missing = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("turn", "leg"):
            protocol = turn.Turn if owner.id == "turn" else turn.Leg
            if node.attr not in members(protocol):
                missing.append(f"{owner.id}.{node.attr} (line {node.lineno})")
        elif (
            isinstance(owner, ast.Attribute)
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "turn"
            and owner.attr in DESKS
            and node.attr not in members(DESKS[owner.attr][0])
        ):
            missing.append(f"turn.{owner.attr}.{node.attr} (line {node.lineno})")

    assert missing == []


@pytest.mark.parametrize("desk", sorted(DESKS))
def test_the_fake_desks_keep_to_the_protocol_signatures(desk: str) -> None:
    protocol, fake = DESKS[desk]
    for name in members(protocol):
        expected = list(inspect.signature(getattr(protocol, name)).parameters)
        assert list(inspect.signature(getattr(fake, name)).parameters) == expected, name
