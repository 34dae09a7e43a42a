"""``flask --app app appeals status NUMBER STATUS --note …``: an appeal's status from the
command line, by the same rules as the pages and the API (:mod:`calllog.appeals`)."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from calllog import appeals
from calllog.audit import record
from calllog.office import get_office
from db import get_session
from models import AppealStatus

appeals_cli = AppGroup("appeals", help="Appeals (обращения).")


def cli_actor() -> str:
    """Who acts on the command line, for history rows and the audit log: the OS user."""
    return f"cli:{getpass.getuser()}"


@appeals_cli.command("status")
@click.argument("number")
@click.argument("status", type=click.Choice([status.value for status in AppealStatus]))
@click.option("--note", default="", help="What was done (an answer and closing need one).")
def appeal_status(number: str, status: str, note: str) -> None:
    """Move appeal NUMBER to STATUS along its path (registered → in_review → answer → closed)."""
    session = get_session()
    appeal = appeals.find_appeal(session, number)
    if appeal is None:
        raise click.ClickException(f"no appeal {number}")
    actor = cli_actor()
    before = appeal.status
    now = get_office().now()
    try:
        appeals.change_status(session, appeal, AppealStatus(status), note, now, actor)
    except appeals.TransitionError as refusal:
        session.rollback()
        raise click.ClickException(str(refusal)) from None
    record(session, actor, "change", f"appeal:{number}", now, f"status: {before} -> {status}")
    session.commit()
    click.echo(f"appeal {number}: {before} -> {status}")
