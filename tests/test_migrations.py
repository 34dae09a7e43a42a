"""The Alembic migrations build exactly the schema the models describe (§8 ``db upgrade``).

The ``engine`` fixture's database (SQLite, or PostgreSQL with ``TEST_DATABASE_URL``) was
built by running the migrations; autogenerate must find nothing left to write.
"""

from __future__ import annotations

import pprint
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import db
import models
from calllog.migrate import alembic_config

#: The appeals' search index, made by the migration on its own database only: the FTS5
#: table (and the tables FTS5 keeps beside it) on SQLite; on PostgreSQL a generated
#: tsvector column and its GIN index.
SEARCH_INDEX = ("appeal_fts", "fts_russian", "ix_appeal_search_fts_russian")


def outside_the_models(name: str | None) -> bool:
    return name is not None and name.startswith(SEARCH_INDEX)


def differences(connection: sa.Connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": lambda name, type_, parents: not outside_the_models(name),
        },
    )
    return compare_metadata(context, models.Base.metadata)


def test_the_migrated_test_database_has_exactly_the_models_schema(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        diff = differences(connection)
    assert diff == [], pprint.pformat(diff)


def test_the_test_database_is_at_the_single_head(engine: sa.Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert tuple(current) == tuple(heads)


def test_every_migration_can_be_undone() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    assert revisions
    for revision in revisions:
        assert revision.module.downgrade is not None
        assert revision.doc, f"migration {revision.revision} has no description"


def test_a_fresh_database_goes_down_and_up_again(tmp_path: Path) -> None:
    """On a new SQLite file: upgrade, downgrade to nothing, upgrade again; same schema."""
    engine = db.create_engine(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    try:
        for target, upgrade in (("head", True), ("base", False), ("head", True)):
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                if upgrade:
                    command.upgrade(config, target)
                else:
                    command.downgrade(config, target)
            tables = {
                name
                for name in sa.inspect(engine).get_table_names()
                if not outside_the_models(name)
            }
            if upgrade:
                assert tables == set(models.Base.metadata.tables) | {"alembic_version"}
            else:
                assert tables <= {"alembic_version"}
        with engine.connect() as connection:
            diff = differences(connection)
        assert diff == [], pprint.pformat(diff)
    finally:
        engine.dispose()


def test_the_schedule_migration_reports_overlapping_sessions(tmp_path: Path, caplog) -> None:
    """Sessions of one expert that overlap before the upgrade are named (by id and time)."""
    engine = db.create_engine(f"sqlite:///{tmp_path / 'overlaps.sqlite3'}")
    insert = sa.text(
        "INSERT INTO reception_session (expert, title, place, outreach, starts_at, ends_at,"
        " slot_minutes) VALUES ('Иванова', 'юрист', 'кабинет 3', 0, :start, :end, 20)"
    )
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "b7d41c2e9f05")
            for start, end in (("05:00", "08:00"), ("06:00", "07:00"), ("08:00", "09:00")):
                times = {"start": f"2026-12-08 {start}:00", "end": f"2026-12-08 {end}:00"}
                connection.execute(insert, times)
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert "sessions 1 (2026-12-08 05:00:00–2026-12-08 08:00:00) and 2" in caplog.text
    assert "and 3" not in caplog.text
