"""The periodic tasks: the command-line jobs on Huey's own schedule, run by the worker.

No cron: ``flask --app app worker`` replays the spool every minute, syncs the recordings
every five, sends reminders hourly in the daytime and purges what is past its retention
age nightly, office time. Each leaves a record in the audit log when it did something or
failed (:func:`tasks.queue.background`), and each is idempotent, so a run lost with a
killed worker is simply done by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask import current_app

from calllog.office import get_office
from calllog.reminders import send_reminders
from calllog.sms import send_sms, sms_enabled
from cli.recordings import retention_purge, sync_recordings
from db import get_session
from tasks.queue import background, bound_app
from twilio_turn.replay import replay_spool


def office_time(hours: range, minute: int) -> Callable[[datetime], bool]:
    """A schedule: at ``minute`` past each of ``hours`` on the office's clock.

    Huey asks with the minute in UTC (naive); the office's time zone may be any.
    """

    def due(moment: datetime) -> bool:
        tz = bound_app().extensions["office"].clock.tz
        local = moment.replace(tzinfo=UTC).astimezone(tz)
        return local.minute == minute and local.hour in hours

    return due


def every_minutes(minutes: int) -> Callable[[datetime], bool]:
    return lambda moment: moment.minute % minutes == 0


def run_command(command: click.Command, *args: str) -> None:
    """Run a command of the command line as its user would; raise when it fails."""
    code = command.main(list(args), prog_name=command.name, standalone_mode=False)
    if code:
        raise RuntimeError(f"{command.name} exited with {code}")


@background(
    "повтор записанного без базы",
    subject=lambda: "task:spool-replay",
    timeout=300,
    retries=0,  # the next minute's run is the retry
    schedule=every_minutes(1),
)
def spool_replay() -> str | None:
    """What callers left while the database was down, written into it."""
    count = replay_spool()
    return f"записано в базу: {count}" if count else None


@background(
    "синхронизация записей",
    subject=lambda: "task:recordings-sync",
    timeout=600,
    retries=0,  # the next run, five minutes on, is the retry
    schedule=every_minutes(5),
)
def recordings_sync() -> str | None:
    """``recordings sync``: copies left behind, callbacks that never came, failed deletes.

    Without Twilio's credentials (a demo) there is nothing to sync.
    """
    config = current_app.config
    if not (config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"]):
        return None
    report = sync_recordings()
    if report.errors:
        raise RuntimeError(f"recordings sync: {len(report.errors)} error(s)")
    if not (report.found or report.copied or report.deleted or report.failed):
        return None
    return (
        f"найдено без уведомления: {report.found}, скопировано: {report.copied}, "
        f"удалено в Twilio: {report.deleted}, отмечено как неудачные: {report.failed}"
    )


@background(
    "напоминания о приёме",
    subject=lambda: "task:reminders",
    timeout=600,
    retries=2,
    schedule=office_time(range(10, 20), minute=0),
)
def reminders() -> str | None:
    """``reminders send``: tomorrow's appointments reminded by SMS, each once."""
    if not sms_enabled(get_office().lines):
        return None
    count = send_reminders(get_session(), get_office().now(), send_sms, get_office().lines)
    return f"отправлено напоминаний: {count}" if count else None


@background(
    "удаление по сроку хранения",
    subject=lambda: "task:retention-purge",
    timeout=3600,
    retries=3,
    retry_delay=600,
    schedule=office_time(range(3, 4), minute=30),
)
def retention() -> str | None:
    """``retention purge``, exactly as on the command line."""
    run_command(retention_purge)
    return "выполнено"


#: The periodic tasks, by name.
SCHEDULED = {
    task.task_class.__name__: task for task in (spool_replay, recordings_sync, reminders, retention)
}
