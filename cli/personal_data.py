"""``flask --app app personal-data export PHONE`` and ``personal-data erase PHONE --reason``."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
from flask.cli import AppGroup

from calllog import audit, erasure
from calllog.office import get_office
from calllog.personal_data import NotAPhoneNumber, gather, phone_number, to_json
from calllog.recording_copies import app_storage
from db import get_session
from outbound.storage import StorageError
from staff.web.personal_data import export_detail, report_html, twilio_forgetter

personal_data_cli = AppGroup(
    "personal-data", help="A citizen's personal data by phone number (152-FZ, art. 9 and 14)."
)


def _phone(text: str) -> str:
    try:
        return phone_number(text)
    except NotAPhoneNumber as error:
        raise click.BadParameter(str(error), param_hint="PHONE") from None


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@personal_data_cli.command("export")
@click.argument("phone")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the printable Russian report to this file.",
)
def export(phone: str, html_file: Path | None) -> None:
    """Print as JSON everything held about PHONE (any common format); audited."""
    number = _phone(phone)
    session = get_session()
    office = get_office()
    now = office.now()
    data = gather(session, number)
    how = "JSON и печатный отчёт (командная строка)" if html_file else "JSON (командная строка)"
    audit.record(session, _actor(), "export", "personal_data", now, export_detail(data, how))
    session.commit()
    if html_file is not None:
        html_file.write_text(report_html(data, now), encoding="utf-8")
        html_file.chmod(0o600)
    click.echo(json.dumps(to_json(data, office.clock.tz, now), ensure_ascii=False, indent=2))


@personal_data_cli.command("erase")
@click.argument("phone")
@click.option(
    "--reason",
    required=True,
    help="The ground: the request's number and date (no names, no phone numbers).",
)
def erase(phone: str, reason: str) -> None:
    """Erase PHONE on withdrawal of consent, keeping what the law requires; audited.

    Prints what went and what stays; running it again changes nothing.
    """
    number = _phone(phone)
    try:
        reason = erasure.check_reason(reason)
        storage = app_storage()
    except erasure.BadReason as error:
        raise click.BadParameter(str(error), param_hint="--reason") from None
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    session = get_session()
    to_erase = erasure.plan(session, number)
    report = erasure.erase(
        session,
        to_erase,
        get_office().now(),
        storage,
        actor=_actor(),
        reason=reason,
        forget_at_twilio=twilio_forgetter(),
    )
    session.commit()
    click.echo(report.summary())
    for appeal in to_erase.kept_appeals:
        click.echo(f"обращение № {appeal.number} оставлено: 59-ФЗ и сроки архивного хранения")
    if report.errors:
        click.echo(
            f"{len(report.errors)} аудиозапис(ей) не удалось удалить сейчас; повторите команду",
            err=True,
        )
        raise click.exceptions.Exit(1)
