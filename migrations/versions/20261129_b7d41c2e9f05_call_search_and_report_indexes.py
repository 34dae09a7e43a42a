"""call.caller_reversed for searches by last digits; ix_call_report for the period report

Revision ID: b7d41c2e9f05
Revises: a30637154d63
Created: 2026-11-29 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "b7d41c2e9f05"
down_revision = "a30637154d63"
branch_labels = None
depends_on = None

#: As models.CALLER_REVERSED at this revision.
CALLER_REVERSED = " || ".join(f"substr(caller, {position}, 1)" for position in range(16, 1, -1))


def upgrade() -> None:
    # Virtual on SQLite, so that the column is added without rebuilding the table; stored
    # on PostgreSQL, which indexes stored generated columns only.
    persisted = True if op.get_bind().dialect.name == "postgresql" else None
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "caller_reversed",
                sa.String(length=16),
                sa.Computed(CALLER_REVERSED, persisted=persisted),
                nullable=True,
            )
        )
        batch_op.create_index("ix_call_caller_reversed", ["caller_reversed"], unique=False)
        batch_op.create_index(
            "ix_call_report",
            ["started_at", "direction", "line", "outcome", "caller"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_report")
        batch_op.drop_index("ix_call_caller_reversed")
        batch_op.drop_column("caller_reversed")
