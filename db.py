"""The database engine and one SQLAlchemy session per request (the flaskr ``get_db`` shape)."""

from __future__ import annotations

import functools
import select
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event, orm
from sqlalchemy.dialects import postgresql, sqlite

#: Row ids are 32-bit integers on every database: a larger id names no row (and must not
#: reach PostgreSQL, which refuses it with an error rather than finding nothing).
MAX_ROW_ID = 2**31 - 1


def create_engine(url: str, **options: Any) -> sa.Engine:
    """An engine for ``url``; SQLite is set up for concurrent readers and real savepoints."""
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, **options)
    engine = sa.create_engine(url, **options)
    event.listen(engine, "checkout", _refuse_closed_by_server)
    return engine


def _refuse_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection the server has closed is replaced before use.

    An idle connection has nothing to read until the server ends it (a restart, an
    administrator, ``idle_session_timeout``): then its socket is readable. Looking costs
    one ``poll`` instead of ``pool_pre_ping``'s round trip on every request, which was
    a sixth of a new call's time under load. The pool replaces a refused connection
    (SQLAlchemy's "pessimistic disconnect handling" with a custom check).
    """
    if dbapi_connection.closed or _readable(dbapi_connection.fileno()):
        raise sa.exc.DisconnectionError("the database server closed the connection")


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _create_sqlite_engine(url: str, **options: Any) -> sa.Engine:
    engine = sa.create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, begin transactions, so that
        # SAVEPOINT works (the recipe from SQLAlchemy's SQLite dialect docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if ":memory:" not in url and url not in ("sqlite://", "sqlite+pysqlite://"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


Row = TypeVar("Row")


def take_write_lock(session: orm.Session, table: sa.Table) -> None:
    """On SQLite, hold the database's write lock from now until the transaction ends.

    A request that will write does this first: two webhooks of one call (a Record action
    and its recording callback) then queue on ``busy_timeout`` instead of one failing when
    it turns its read into a write. Reading requests, and streamed answers, take no lock.
    PostgreSQL locks rows where needed, so there it does nothing.
    """
    if session.get_bind().dialect.name == "sqlite":
        key = table.primary_key.columns[0]
        session.execute(sa.update(table).where(sa.false()).values({key: key}))


def insert_unless_exists(
    session: orm.Session, model: type[Row], values: dict[str, Any]
) -> Row | None:
    """Insert a ``model`` row of ``values`` and answer it; None when a unique key refuses it.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on either database: no savepoint,
    no read before the write, and a twin inserted by another transaction meanwhile is
    simply not inserted (the caller then reads it). The statement is Core and returns the
    id alone; the row joins the session as if it had been loaded (columns without a value
    or a default are None; a computed column is read when first used).
    """
    statement = _insert_or_nothing(session.get_bind().dialect.name, model)
    row_id = session.execute(statement, values).scalar()
    if row_id is None:
        return None
    row = model(id=row_id, **dict.fromkeys(_unset_columns(model, frozenset(values))), **values)
    orm.make_transient_to_detached(row)
    session.add(row)
    return row


@functools.cache
def _insert_or_nothing(dialect: str, model: type[Any]) -> sa.Insert:
    """The statement of :func:`insert_unless_exists`, built once per model."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


@functools.cache
def _unset_columns(model: type[Any], given: frozenset[str]) -> tuple[str, ...]:
    """The columns an insert of ``given`` leaves NULL: neither given nor defaulted."""
    return tuple(
        column.key
        for column in model.__table__.columns
        if column.key not in given
        and column.key != "id"
        and column.default is None
        and column.server_default is None
        and column.computed is None
    )


def add_unless_exists(session: orm.Session, row: Row, find: Callable[[], Row | None]) -> Row:
    """Insert ``row``, or return the twin another transaction inserted meanwhile.

    The insert runs in a savepoint: when a unique constraint refuses it, only the
    savepoint is rolled back and ``find()`` returns the row that won (the request stays
    usable). Twilio's retries and parallel callbacks make such races ordinary.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing
    return row


def init_app(app: Flask) -> None:
    engine = create_engine(app.config["DATABASE_URL"])
    app.extensions["sessionmaker"] = orm.sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def get_session() -> orm.Session:
    """The session of the current request or CLI command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sessionmaker"]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
