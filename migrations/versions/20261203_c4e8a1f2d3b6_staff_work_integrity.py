"""Staff work that cannot corrupt records: appointments' visitor name and note, appeals'
registration and anonymous flag, one expert's sessions never overlapping (PostgreSQL)

Revision ID: c4e8a1f2d3b6
Revises: c4e8a1f07d15
Created: 2026-12-03 10:30:00.000000
"""

import logging

import sqlalchemy as sa
from alembic import op

import models

revision = "c4e8a1f2d3b6"
down_revision = "c4e8a1f07d15"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

OVERLAPS = sa.text(
    """
    SELECT a.id, b.id, a.starts_at, a.ends_at, b.starts_at, b.ends_at
    FROM reception_session a JOIN reception_session b
      ON a.expert = b.expert AND a.id < b.id
     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
    ORDER BY a.id, b.id
    """
)

#: Staff registered a phone appeal when they first filled its card; other appeals were
#: registered by whoever typed them in, when they did.
REGISTERED_AT = sa.text(
    """
    UPDATE appeal SET
      registered_at = CASE WHEN channel <> 'phone' THEN created_at ELSE (
        SELECT min(h.at) FROM appeal_status_change h
        WHERE h.appeal_id = appeal.id AND h.note LIKE 'карточка заполнена%') END,
      registered_by = (
        SELECT h.actor FROM appeal_status_change h
        WHERE h.appeal_id = appeal.id
          AND (appeal.channel <> 'phone' OR h.note LIKE 'карточка заполнена%')
        ORDER BY h.id LIMIT 1)
    """
)


#: Staff bookings kept their note in their audit entry (action ``book``) until now: the note
#: moves to the appointment and out of the audit log (no personal data in audit details).
NOTES_FROM_AUDIT = (
    sa.text(
        """
        UPDATE appointment SET note = (
          SELECT e.detail FROM audit_entry e
          WHERE e.action = 'book' AND e.subject = 'appointment:' || appointment.code
            AND e.detail <> ''
          ORDER BY e.id LIMIT 1)
        WHERE source = 'staff'
        """
    ),
    sa.text("UPDATE audit_entry SET detail = '' WHERE action = 'book'"),
)


def report_overlaps() -> list[str]:
    """Every pair of one expert's overlapping sessions, by id and times (no names)."""
    rows = op.get_bind().execute(OVERLAPS).all()
    return [
        f"sessions {first} ({start1}–{end1}) and {second} ({start2}–{end2}) overlap"
        for first, second, start1, end1, start2, end2 in rows
    ]


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("registered_at", models.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("registered_by", sa.String(length=100), nullable=True))
    op.execute(REGISTERED_AT)
    for statement in NOTES_FROM_AUDIT:
        op.execute(statement)

    overlaps = report_overlaps()
    for overlap in overlaps:
        log.warning("reception schedule: %s", overlap)
    if op.get_bind().dialect.name != "postgresql":
        return
    if overlaps:
        raise RuntimeError(
            f"{len(overlaps)} pairs of one expert's reception sessions overlap (listed above);"
            " move or delete one of each pair, then run the upgrade again"
        )
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE reception_session ADD CONSTRAINT ex_reception_session_expert_overlap"
        " EXCLUDE USING gist (expert WITH =, tstzrange(starts_at, ends_at) WITH &&)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE reception_session DROP CONSTRAINT ex_reception_session_expert_overlap"
        )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_column("registered_by")
        batch_op.drop_column("registered_at")
        batch_op.drop_column("anonymous")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("visitor_name")
