"""The house's rules for the top-level modules, which import-linter cannot take as roots
(its contracts in pyproject.toml cover the packages: bin/test runs ``lint-imports``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {
    path.stem if path.is_file() else path.name
    for path in ROOT.iterdir()
    if (path.suffix == ".py" or (path / "__init__.py").exists())
    and path.name not in {"tests", "bench", "migrations", "gunicorn.conf.py"}
}


def project_imports(module: str) -> set[str]:
    """The project's top-level packages and modules that ``module``.py imports."""
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PROJECT


def test_the_project_is_what_the_layout_names() -> None:
    assert {"app", "models", "webhooks", "ivr", "calllog", "db"} <= PROJECT


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("models", set()),
        ("clock", set()),
        ("settings", set()),
        ("db", {"models", "settings"}),
        ("webhooks", {"calllog", "db", "ivr", "models", "twilio_turn"}),
    ],
)
def test_a_top_level_module_imports_only_what_lies_below_it(module: str, allowed: set[str]) -> None:
    assert project_imports(module) <= allowed
