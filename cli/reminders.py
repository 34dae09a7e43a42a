"""``flask --app app reminders send``: SMS reminders for tomorrow's appointments."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from calllog.office import get_office
from calllog.reminders import send_reminders
from calllog.sms import send_sms, sms_enabled
from db import get_session

reminders_cli = AppGroup("reminders", help="SMS reminders of personal visits.")


@reminders_cli.command("send")
def reminders_send() -> None:
    """Remind tomorrow's appointments by SMS; each is sent once, so run it as often as you like."""
    if not sms_enabled(get_office().lines):
        raise click.ClickException(
            "SMS is not configured: set SMS_FROM or MESSAGING_SERVICE_SID (or a line's "
            "sms_from in RECEPTION_LINES) and the Twilio credentials; no reminder was sent"
        )
    count = send_reminders(get_session(), get_office().now(), send_sms, get_office().lines)
    click.echo(f"sent {count} reminder(s)")
