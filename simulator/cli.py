"""``flask --app app ivr call``: a simulated call to the running app, in the terminal."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from calllog.office import get_office
from simulator.call import Call
from simulator.simulator import Simulator
from simulator.terminal import run_interactive
from simulator.transport import FlaskTransport

ivr_cli = AppGroup("ivr", help="The voice menu, tried from the terminal.")

UNSIGNED_TOKEN = "development-without-a-token"


@ivr_cli.command("call")
@click.option("--line", "line", default="1", show_default=True, help="Line 1, 2 or 3, or a number.")
@click.option("--from", "caller", default="+79024712233", show_default=True, help="Caller ID.")
def ivr_call(line: str, caller: str) -> None:
    """Call a line: prompts are printed as text, keys are typed, as Twilio would do it.

    Every request is signed and follows the TwiML exactly as Twilio does (Gather
    fall-through, Record, Dial, callbacks), against this app and its database.
    """
    run_interactive(simulated_call(line, caller))


def simulated_call(line: str, caller: str) -> Call:
    lines = get_office().lines
    if line.isdigit() and 1 <= int(line) <= len(lines):
        to = lines[int(line) - 1].number
    else:
        to = line
    config = current_app.config
    simulator = Simulator(
        FlaskTransport(current_app.test_client()),
        config["TWILIO_AUTH_TOKEN"] or UNSIGNED_TOKEN,
        config["TWILIO_ACCOUNT_SID"],
        base_url=config["PUBLIC_BASE_URL"] or "http://localhost",
    )
    return simulator.incoming_call(from_=caller, to=to)
