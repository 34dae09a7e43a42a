"""``flask --app app recordings sync`` and ``flask --app app retention purge``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from calllog import recording_sync, retention
from calllog.forgetting import lazy_forgetter
from calllog.office import get_office
from calllog.recording_copies import Copier, app_storage
from db import get_session
from outbound.storage import StorageError

recordings_cli = AppGroup("recordings", help="Recordings copied home from Twilio (152-FZ).")
retention_cli = AppGroup("retention", help="Deleting personal data past its retention age.")


def _copier() -> Copier:
    try:
        return Copier.from_app()
    except (RuntimeError, StorageError) as error:
        raise click.ClickException(str(error)) from None


def sync_recordings(retry_failed: bool = False) -> recording_sync.SyncReport:
    """One run of ``recordings sync`` (also the periodic task's)."""
    return recording_sync.sync(
        get_session(),
        get_office().now(),
        _copier(),
        lookback_days=int(current_app.config["RECORDINGS_SYNC_DAYS"]),
        retry_failed=retry_failed,
    )


@recordings_cli.command("sync")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Try again the recordings flagged as failed (after fixing what made them fail).",
)
def recordings_sync(retry_failed: bool) -> None:
    """Copy home what is left at Twilio, retry failed deletes; safe to run as often as you like.

    The worker runs it every five minutes: it retries failed downloads when their backoff
    is over, and finds recordings whose callback never came by asking Twilio's REST API.
    """
    report = sync_recordings(retry_failed)
    click.echo(
        f"{report.found} recording(s) found without a callback, {report.copied} copied home, "
        f"{report.deleted} deleted at Twilio, {report.failed} newly flagged as failed"
    )
    if report.waiting:
        click.echo(f"{report.waiting} recording(s) wait for their next try", err=True)
    if report.unknown:
        click.echo(
            f"{report.unknown} recording(s) at Twilio belong to calls this service does not "
            "know (replay the spool first if it holds any)",
            err=True,
        )
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise click.exceptions.Exit(1)


@retention_cli.command("purge")
def retention_purge() -> None:
    """Delete recordings and anonymise calls, callbacks, appointments and appeals past
    RETENTION_RECORDINGS_DAYS, _CALLS_DAYS and _APPEALS_DAYS; a second run changes nothing."""
    try:
        storage = app_storage()
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    report = retention.purge(
        get_session(),
        get_office().now(),
        storage,
        retention.RetentionAges.from_config(current_app.config),
        forget_at_twilio=lazy_forgetter(lambda: _copier().forget),
    )
    click.echo(report.summary())
    if report.errors:
        click.echo(f"{report.errors} recording(s) could not be purged yet; see the log", err=True)
        raise click.exceptions.Exit(1)
