"""The SQL a staff page runs, and the database's plan for each statement.

:func:`captured` records every statement the app's engine sends while a page is fetched;
:func:`explain` asks the database how it runs one (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN`` on PostgreSQL) with the parameters it was sent, and says whether the plan
reads a table whole instead of through an index.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

#: Statements that are not the page's own work: the signed-in user, the audit entry.
NOT_THE_PAGE = re.compile(
    r"FROM staff_user|^INSERT INTO audit_entry|^(BEGIN|COMMIT|SAVEPOINT|RELEASE)"
)
SQLITE_FULL_SCAN = re.compile(r"\bSCAN (\w+)\b(?! USING)")
POSTGRES_FULL_SCAN = re.compile(r"Seq Scan on (\w+)")


@dataclass
class Plan:
    statement: str
    lines: list[str]
    full_scans: list[str] = field(default_factory=list)

    @property
    def uses_index(self) -> bool:
        return any("INDEX" in line.upper() for line in self.lines)


@contextlib.contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """The (statement, parameters) pairs the engine executes inside the block."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not NOT_THE_PAGE.search(statement.strip()):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: sa.Engine, statement: str, parameters: Any) -> Plan:
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        cursor.close()
    finally:
        connection.close()
    if postgres:
        lines = [row[0] for row in rows]
        scans = [m[1] for line in lines if (m := POSTGRES_FULL_SCAN.search(line))]
    else:
        lines = [row[-1] for row in rows]
        scans = [m[1] for line in lines if (m := SQLITE_FULL_SCAN.search(line))]
    return Plan(" ".join(statement.split()), lines, scans)


def show(page: str, plan: Plan) -> None:
    """Print a plan under its page, with the verdict on index use."""
    scans = ", ".join(plan.full_scans) or "none"
    verdict = "uses an index" if plan.uses_index else "NO index"
    print(f"plan {page}: {verdict}; full scans: {scans}")
    print(f"  sql: {plan.statement[:300]}")
    for line in plan.lines:
        print(f"    {line}")
