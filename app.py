"""The application factory: ``flask --app app run`` or ``gunicorn 'app:create_app()'``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

import db
import settings
import tasks.queue
from calllog.office import Office
from ivr import branches
from ivr.prompts import Catalogue, CatalogueError
from ivr.twiml import Speaker

log = logging.getLogger("reception")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the service; environment variables configure it and ``config`` overrides them."""
    app = Flask(__name__, instance_path=str(settings.ROOT / "instance"))
    Path(app.instance_path).mkdir(exist_ok=True)
    app.config.from_mapping(settings.load(config, settings.ROOT / "instance"))
    _configure_logging(app)
    for warning in settings.check(app.config):
        log.warning("!!! %s", warning)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not app.config["DEVELOPMENT"]
    app.config["REMEMBER_COOKIE_SECURE"] = not app.config["DEVELOPMENT"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=10)
    if app.config["TRUSTED_PROXY_HOPS"]:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    office = app.extensions["office"] = Office.from_config(app.config)
    this_year = office.now().year
    office.hours.calendar.load_years(this_year, this_year + 1)
    app.extensions["speaker"] = _speaker(app.config)
    db.init_app(app)
    tasks.queue.init_app(app)

    import cli
    import webhooks
    from simulator.cli import ivr_cli
    from simulator.demo import demo_cli
    from staff import api, web

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # UTF-8 JSON, no \u escapes
    web.init_app(app)
    # Twilio signs its webhooks and the API takes bearer tokens: neither carries a CSRF token.
    web.csrf.exempt(webhooks.bp)
    web.csrf.exempt(api.bp)
    cli.init_app(app)
    app.cli.add_command(ivr_cli)
    app.cli.add_command(demo_cli)
    _replay_spool(app)
    return app


def _speaker(config: Mapping[str, Any]) -> Speaker:
    """The voice of the menu: the prompt catalogue, checked against every branch's prompts."""
    try:
        catalogue = Catalogue.load(config["PROMPTS_FILE"], branches.required_prompts())
    except CatalogueError as error:
        raise settings.ConfigError(str(error)) from error
    return Speaker(
        catalogue,
        config["VOICE"],
        config["SPEECH_INPUT"],
        transcription=config["TRANSCRIPTION"] == "twilio",
    )


def _replay_spool(app: Flask) -> None:
    """Write what callers left while the database was down, now that we start (§5).

    A database still down, or not migrated yet, must not stop the service from starting:
    the entries wait for the next start or ``flask --app app spool replay``.
    """
    if not any(Path(app.config["SPOOL_DIR"]).glob("*.json")):
        return
    from twilio_turn.replay import replay_spool

    with app.app_context():
        try:
            replay_spool()
        except SQLAlchemyError as error:
            log.warning("spool not replayed on start (%s); it will be later", type(error).__name__)


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("reception").setLevel(app.config["LOG_LEVEL"])
    for name in ("webhooks", "calllog", "ivr", "outbound", "cli", "staff", "tasks", "huey"):
        logging.getLogger(name).setLevel(app.config["LOG_LEVEL"])
