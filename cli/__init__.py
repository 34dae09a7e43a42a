"""Command-line tools: ``flask --app app <group> <command>``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from calllog import audit, migrate, tokens
from calllog.office import get_office
from calllog.staff import create_user
from cli import periodic
from cli.appeals import appeals_cli, cli_actor
from cli.personal_data import personal_data_cli
from cli.recordings import recordings_cli, retention_cli
from cli.reminders import reminders_cli
from cli.sms_senders import check_sms_sender
from db import get_session
from models import StaffRole
from outbound.twilio_rest import twilio_client
from twilio_turn.replay import replay_spool

db_cli = AppGroup("db", help="The database schema (Alembic migrations).")
staff_cli = AppGroup("staff", help="Staff accounts and API tokens.")
twilio_cli = AppGroup("twilio", help="The lines' settings on the Twilio account.")
spool_cli = AppGroup("spool", help="Messages kept while the database was down.")

ROLE = click.Choice([role.value for role in StaffRole])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    migrate.upgrade(revision)
    click.echo(f"database upgraded to {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    migrate.revision(message)


@staff_cli.command("create-token")
@click.argument("name")
@click.option("--role", type=ROLE, default=StaffRole.OPERATOR.value, show_default=True)
@click.option("--days", type=click.IntRange(1), help="Expire after this many days.")
def create_token(name: str, role: str, days: int | None) -> None:
    """Create an API token called NAME; the token is printed as the last line."""
    session = get_session()
    now = get_office().now()
    expires = now + timedelta(days=days) if days else None
    _, secret = tokens.create_token(session, name, StaffRole(role), now, expires)
    audit.record(
        session, cli_actor(), "cli", f"api_token:{name}", now, f"create-token, role {role}"
    )
    session.commit()
    click.echo(f"API token {name!r} ({role}); keep it secret, it is shown only once:", err=True)
    click.echo(secret)


@staff_cli.command("revoke-token")
@click.argument("name")
def revoke_token(name: str) -> None:
    """Revoke every API token called NAME."""
    session = get_session()
    count = tokens.revoke_token(session, name, get_office().now())
    audit.record(
        session,
        cli_actor(),
        "cli",
        f"api_token:{name}",
        get_office().now(),
        f"revoke-token: {count}",
    )
    session.commit()
    click.echo(f"revoked {count} token(s)")


@staff_cli.command("add-user")
@click.argument("login")
@click.option("--role", type=ROLE, default=StaffRole.OPERATOR.value, show_default=True)
@click.password_option(help="Asked for when not given.")
def add_user(login: str, role: str, password: str) -> None:
    """Create a staff account LOGIN with ROLE; the password is asked for."""
    session = get_session()
    try:
        create_user(session, login, password, StaffRole(role), get_office().now())
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    audit.record(
        session,
        cli_actor(),
        "cli",
        f"staff_user:{login}",
        get_office().now(),
        f"add-user, role {role}",
    )
    session.commit()
    click.echo(f"staff account {login!r} ({role}) created")


@twilio_cli.command("configure")
def twilio_configure() -> None:
    """Point every line's voice, status and fallback URLs at PUBLIC_BASE_URL; check that
    the account lets every line call from its caller ID and send SMS from its sender."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        raise click.ClickException("PUBLIC_BASE_URL is not set: Twilio needs the public address")
    base = base.rstrip("/")
    settings = {
        "voice_url": f"{base}/twilio/voice",
        "voice_method": "POST",
        "status_callback": f"{base}/twilio/status",
        "status_callback_method": "POST",
        "voice_fallback_url": f"{base}/twilio/fallback",
        "voice_fallback_method": "POST",
    }
    client = twilio_client()
    missing = []
    unusable = []
    silent = []
    for line in get_office().lines:
        numbers = [line.number, *(alias for alias in line.aliases if alias.startswith("+"))]
        found = [
            record
            for number in numbers
            for record in client.incoming_phone_numbers.list(phone_number=number)
        ]
        for record in found:
            client.incoming_phone_numbers(record.sid).update(**settings)
            click.echo(f"{line.number}: configured Twilio number {record.phone_number}")
        if not found:
            missing.append(line.number)
            click.echo(f"{line.number}: no such number on this Twilio account", err=True)
        caller_id = line.outbound_caller_id
        if _account_may_call_from(client, caller_id):
            click.echo(f"{line.number}: outbound caller ID {caller_id}")
        else:
            unusable.append(line.number)
            click.echo(
                f"{line.number}: outbound caller ID {caller_id} is neither a number of this "
                "Twilio account nor a verified caller ID",
                err=True,
            )
        sms = check_sms_sender(client, line)
        click.echo(f"{line.number}: {sms.message}", err=not sms.usable)
        if not sms.usable:
            silent.append(line.number)
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} line(s) not configured: {', '.join(missing)}; "
            "add the Twilio number the line forwards to as an alias in RECEPTION_LINES"
        )
    if unusable:
        problems.append(
            f"{len(unusable)} line(s) cannot place calls: {', '.join(unusable)}; set the "
            "line's caller_id in RECEPTION_LINES to a number the account owns or has verified"
        )
    if silent:
        problems.append(
            f"{len(silent)} line(s) cannot send SMS: {', '.join(silent)}; set the line's "
            "sms_from in RECEPTION_LINES to an SMS-capable number of the account or a messaging "
            "service SID (MG…), or remove it to use SMS_FROM"
        )
    if problems:
        raise click.ClickException("; ".join(problems))


def _account_may_call_from(client: Any, number: str) -> bool:
    """Whether Twilio accepts ``number`` as ``From``: the account's own or a verified one."""
    return bool(
        client.incoming_phone_numbers.list(phone_number=number, limit=1)
        or client.outgoing_caller_ids.list(phone_number=number, limit=1)
    )


@spool_cli.command("replay")
def spool_replay() -> None:
    """Write what was spooled while the database was down into it."""
    count = replay_spool()
    if count is None:
        raise click.ClickException("another process is replaying the spool right now")
    click.echo(f"replayed {count} spooled webhook(s)")


@click.command("worker")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@with_appcontext
def worker(workers: int) -> None:
    """Run the task queue: SMS, recording copies, and the periodic jobs on their schedule.

    Run one beside the web server (several, on several hosts, when REDIS_URL is shared).
    """
    huey = current_app.extensions["huey"]
    if huey.immediate:
        raise click.ClickException("TASKS_IMMEDIATE is set: tasks run where they are queued")
    names = ", ".join(sorted(periodic.SCHEDULED))
    click.echo(f"task queue worker: {workers} thread(s); periodic: {names}", err=True)
    huey.create_consumer(workers=workers, worker_type="thread").run()


def init_app(app: Flask) -> None:
    groups = (
        db_cli,
        staff_cli,
        twilio_cli,
        spool_cli,
        reminders_cli,
        recordings_cli,
        retention_cli,
        personal_data_cli,
        appeals_cli,
    )
    for group in groups:
        app.cli.add_command(group)
    app.cli.add_command(worker)
