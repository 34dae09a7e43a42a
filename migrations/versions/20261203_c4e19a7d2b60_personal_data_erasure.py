"""anonymised_at on appeals, appointments and callbacks; a callback may lose its number

Revision ID: c4e19a7d2b60
Revises: b7d41c2e9f05
Created: 2026-12-03 10:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models

revision = "c4e19a7d2b60"
down_revision = "b7d41c2e9f05"
branch_labels = None
depends_on = None

STAMP = models.UtcDateTime(timezone=True)


def upgrade() -> None:
    for table in ("appeal", "appointment"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("anonymised_at", STAMP, nullable=True))
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", STAMP, nullable=True))
        batch_op.alter_column("phone", existing_type=sa.String(length=16), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column("anonymised_at")
    for table in ("appointment", "appeal"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("anonymised_at")
