"""The task queue: one Huey per process, bound to the application by :func:`init_app`.

Huey keeps its queue in SQLite under ``instance/`` (``TASKS_DB``) unless ``REDIS_URL``
names a Redis, which several web hosts and workers share. ``flask --app app worker`` runs
the consumer. With ``TASKS_IMMEDIATE`` (the tests) a task runs at once where it is
enqueued, in memory.

Huey takes a task off the queue when a worker starts it, so a worker killed mid-task loses
that task: every task here is idempotent and keeps its state in the database, where the
periodic sweeps (:mod:`cli.periodic`) find whatever a lost task left undone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from huey import Huey
from huey.api import Task, TaskWrapper
from huey.storage import RedisStorage, SqliteStorage

from calllog.audit import record
from calllog.office import get_office
from db import get_session

log = logging.getLogger(__name__)

#: Who the audit log names as having done a task's work.
ACTOR = "очередь задач"
#: The audit log's action of a task's record (``staff.web.audit_log.ACTIONS``).
ACTION = "task"

#: Until :func:`init_app` binds it, a task runs at once, in memory.
huey = Huey("reception", immediate=True)
_bound: dict[str, Flask] = {}


def init_app(app: Flask) -> None:
    """Bind the queue to ``app``: its storage, and the application its tasks run in."""
    config = app.config
    if config["REDIS_URL"]:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": config["REDIS_URL"]}
    else:
        # fsync: a task the webhook was told is queued survives a power cut.
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": config["TASKS_DB"], "fsync": True}
    huey.immediate = bool(config["TASKS_IMMEDIATE"])
    huey.storage = huey.create_storage()
    _bound["app"] = app
    app.extensions["huey"] = huey


def bound_app() -> Flask:
    if "app" not in _bound:
        raise RuntimeError("the task queue is not bound to an application (tasks.init_app)")
    return _bound["app"]


def background(
    label: str,
    *,
    subject: Callable[..., str],
    timeout: int,
    retries: int = 5,
    retry_delay: int = 30,
    schedule: Callable[[datetime], bool] | None = None,
) -> Callable[[Callable[..., str | None]], TaskWrapper]:
    """Make ``function`` a task: run in the application, recorded for staff as ``label``.

    The task is retried ``retries`` times when it raises, after ``retry_delay`` seconds,
    then twice as long each time; a try taking over ``timeout`` seconds fails. What the
    function answers (a Russian sentence, or None for nothing worth recording) and every
    failure go into the audit log under ``subject(*args)``, which names a record, never
    personal data. ``schedule`` (is a UTC minute due?) makes it a periodic task.
    """

    def decorate(function: Callable[..., str | None]) -> TaskWrapper:
        @functools.wraps(function)
        def run(*args: Any, task: Task) -> None:
            app = bound_app()
            with app.app_context():
                try:
                    done = function(*args)
                except Exception as error:
                    get_session().rollback()
                    then = "будет повторена" if task.retries else "попытки исчерпаны"
                    _record(subject(*args), f"{label}: ошибка {type(error).__name__}, {then}")
                    log.warning("task %s failed: %s", function.__name__, type(error).__name__)
                    raise
                if done:
                    _record(subject(*args), f"{label}: {done}")

        options = {
            "retries": retries,
            "retry_delay": retry_delay,
            "retry_backoff": 2,
            "timeout": timeout,
            "context": True,
        }
        if schedule is not None:
            return huey.periodic_task(schedule, **options)(run)
        return huey.task(**options)(run)

    return decorate


def _record(subject: str, detail: str) -> None:
    """One audit entry, in a transaction of its own (the task's may have been rolled back)."""
    session = get_session()
    record(session, ACTOR, ACTION, subject, get_office().now(), detail)
    session.commit()
