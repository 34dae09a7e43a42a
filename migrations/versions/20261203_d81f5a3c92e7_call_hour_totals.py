"""call_hour_total: ended inbound calls counted by UTC hour, line and outcome, kept by
triggers on call and filled from the calls already logged; ix_call_open for the others

Revision ID: d81f5a3c92e7
Revises: c4e8a1f2d3b6
Created: 2026-12-03 13:20:00.000000

The period report adds up these totals instead of counting a half-year of calls one by
one. The triggers keep them exact whatever changes a call (a webhook, a status callback
that comes late or twice, the ORM or a Core statement): a call is counted once it has
ended (``ended_at``), under the line and outcome it has; a later change of either moves
it. Hours rather than local days: the office's time zone is a setting, and a whole
local day is whole UTC hours in every Russian zone.

SQLite drops a table's triggers with the table: a later migration that rebuilds "call"
(``batch_alter_table`` with a change SQLite cannot ALTER) must create them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "d81f5a3c92e7"
down_revision = "c4e8a1f2d3b6"
branch_labels = None
depends_on = None

CALL = '"call"'
KEY_COLUMNS = "direction, line, started_at, ended_at, outcome"


def hour(dialect: str, started_at: str) -> str:
    """The start of the UTC hour of ``started_at``, as the column ``hour`` stores it."""
    if dialect == "postgresql":
        return f"date_trunc('hour', {started_at} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    # SQLAlchemy keeps SQLite's datetimes as text in UTC, with microseconds.
    return f"strftime('%Y-%m-%d %H:00:00.000000', {started_at})"


def counted(row: str) -> str:
    return f"{row}.direction = 'inbound' AND {row}.ended_at IS NOT NULL"


def key_changed(dialect: str) -> str:
    """Whether an update moves the call from one total to another (or into one)."""
    columns = ("direction", "line", "started_at", "outcome")
    if dialect == "postgresql":
        old = ", ".join(f"OLD.{c}" for c in columns)
        new = ", ".join(f"NEW.{c}" for c in columns)
        return (
            f"(OLD.ended_at IS NULL) <> (NEW.ended_at IS NULL) OR ({old}) IS DISTINCT FROM ({new})"
        )
    same = " AND ".join(f"OLD.{c} IS NEW.{c}" for c in columns)
    return f"(OLD.ended_at IS NULL) <> (NEW.ended_at IS NULL) OR NOT ({same})"


def subtract(dialect: str) -> str:
    return (
        "UPDATE call_hour_total SET calls = calls - 1 "
        f"WHERE hour = {hour(dialect, 'OLD.started_at')} "
        "AND line = OLD.line AND outcome = coalesce(OLD.outcome, '')"
    )


def add(dialect: str, guard: str = "") -> str:
    values = f"{hour(dialect, 'NEW.started_at')}, NEW.line, coalesce(NEW.outcome, ''), 1"
    return (
        "INSERT INTO call_hour_total (hour, line, outcome, calls) "
        + (f"SELECT {values} WHERE {guard} " if guard else f"VALUES ({values}) ")
        + "ON CONFLICT (hour, line, outcome) DO UPDATE SET calls = call_hour_total.calls + 1"
    )


def postgresql_triggers() -> list[str]:
    return [
        f"""
        CREATE FUNCTION call_hour_total_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' AND {counted("OLD")} THEN
            {subtract("postgresql")};
          END IF;
          IF TG_OP <> 'DELETE' AND {counted("NEW")} THEN
            {add("postgresql")};
          END IF;
          RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER call_hour_total_insert AFTER INSERT ON "call" FOR EACH ROW
        WHEN (NEW.ended_at IS NOT NULL) EXECUTE FUNCTION call_hour_total_keep()
        """,
        f"""
        CREATE TRIGGER call_hour_total_update AFTER UPDATE OF {KEY_COLUMNS} ON "call"
        FOR EACH ROW WHEN ({key_changed("postgresql")}) EXECUTE FUNCTION call_hour_total_keep()
        """,
        """
        CREATE TRIGGER call_hour_total_delete AFTER DELETE ON "call" FOR EACH ROW
        WHEN (OLD.ended_at IS NOT NULL) EXECUTE FUNCTION call_hour_total_keep()
        """,
    ]


def sqlite_triggers() -> list[str]:
    return [
        f"""
        CREATE TRIGGER call_hour_total_insert AFTER INSERT ON "call"
        WHEN {counted("NEW")}
        BEGIN {add("sqlite", "true")}; END
        """,
        f"""
        CREATE TRIGGER call_hour_total_update AFTER UPDATE OF {KEY_COLUMNS} ON "call"
        WHEN {key_changed("sqlite")}
        BEGIN
          {subtract("sqlite")} AND {counted("OLD")};
          {add("sqlite", counted("NEW"))};
        END
        """,
        f"""
        CREATE TRIGGER call_hour_total_delete AFTER DELETE ON "call"
        WHEN {counted("OLD")}
        BEGIN {subtract("sqlite")}; END
        """,
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "call_hour_total",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "line", "outcome", name=op.f("pk_call_hour_total")),
    )
    op.create_index(
        "ix_call_open",
        "call",
        ["started_at"],
        unique=False,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    # The triggers first: on PostgreSQL creating them locks out writes to the calls until
    # this migration commits, so that none is missed between the count and the triggers.
    for statement in postgresql_triggers() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    op.execute(
        "INSERT INTO call_hour_total (hour, line, outcome, calls) "
        f"SELECT {hour(dialect, 'started_at')}, line, coalesce(outcome, ''), count(*) "
        f"FROM {CALL} WHERE {counted(CALL)} GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for trigger in ("insert", "update", "delete"):
        on = ' ON "call"' if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER call_hour_total_{trigger}{on}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION call_hour_total_keep()")
    op.drop_index("ix_call_open", table_name="call")
    op.drop_table("call_hour_total")
