"""Alembic driven from the app: migrations are found next to the code, from any directory."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import current_app

import db
from db import get_session
from settings import ROOT


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(revision: str = "head") -> None:
    upgrade_engine(current_app.extensions["sessionmaker"].kw["bind"], revision)
    get_session().close()


def upgrade_engine(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database of ``engine`` to ``revision``, outside any app."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade_url(url: str) -> None:
    """Migrate the database at ``url`` to the newest revision (tests, benchmarks)."""
    engine = db.create_engine(url)
    upgrade_engine(engine)
    engine.dispose()


def revision(message: str) -> None:
    engine = current_app.extensions["sessionmaker"].kw["bind"]
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
