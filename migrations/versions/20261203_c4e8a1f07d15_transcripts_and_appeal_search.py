"""transcript (live transcription of requests and names); appeal_search and its index

Revision ID: c4e8a1f07d15
Revises: c4e19a7d2b60
Created: 2026-12-03 10:30:00.000000

The search index depends on the database: on PostgreSQL a stored generated column
``fts_russian`` = ``to_tsvector('russian', document)`` with a GIN index; on SQLite an FTS5
table ``appeal_fts`` whose ``stems`` the application fills with Snowball stems (``rowid``
is the appeal's id). Neither is in the models (``tests/test_migrations.py`` knows them).
Also an index of call_appeal by appeal: an appeal's calls are read for every appeal listed.
"""

import sqlalchemy as sa
from alembic import op

import models
from calllog.appeal_search import stems

revision = "c4e8a1f07d15"
down_revision = "c4e19a7d2b60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("name", "message", name="recordingkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("sid", sa.String(length=34), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "started",
                "stopped",
                "failed",
                name="transcriptstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_transcript_appeal_id_appeal")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_transcript_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_transcript_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript")),
        sa.UniqueConstraint("call_id", "name", name=op.f("uq_transcript_call_id")),
    )
    op.create_index(op.f("ix_transcript_appeal_id"), "transcript", ["appeal_id"], unique=False)
    op.create_index(
        op.f("ix_transcript_appointment_id"), "transcript", ["appointment_id"], unique=False
    )
    op.create_table(
        "appeal_search",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_search_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_appeal_search")),
    )
    op.create_index(op.f("ix_call_appeal_appeal_id"), "call_appeal", ["appeal_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE appeal_search ADD COLUMN fts_russian tsvector "
            "GENERATED ALWAYS AS (to_tsvector('russian', document)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_appeal_search_fts_russian ON appeal_search USING gin (fts_russian)"
        )
    else:
        op.execute("CREATE VIRTUAL TABLE appeal_fts USING fts5(stems, tokenize='unicode61')")
    index_written_appeals()


def index_written_appeals() -> None:
    """The appeals whose summary staff wrote before this revision can be found too."""
    bind = op.get_bind()
    written = bind.execute(
        sa.text("SELECT id, transcript FROM appeal WHERE transcript IS NOT NULL")
    ).all()
    if not written:
        return
    bind.execute(
        sa.text("INSERT INTO appeal_search (appeal_id, document) VALUES (:id, :document)"),
        [{"id": row.id, "document": row.transcript} for row in written],
    )
    if bind.dialect.name != "postgresql":
        bind.execute(
            sa.text("INSERT INTO appeal_fts (rowid, stems) VALUES (:id, :stems)"),
            [{"id": row.id, "stems": " ".join(stems(row.transcript))} for row in written],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE appeal_fts")
    op.drop_index(op.f("ix_call_appeal_appeal_id"), table_name="call_appeal")
    op.drop_table("appeal_search")
    op.drop_index(op.f("ix_transcript_appointment_id"), table_name="transcript")
    op.drop_index(op.f("ix_transcript_appeal_id"), table_name="transcript")
    op.drop_table("transcript")
