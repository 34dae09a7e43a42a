"""Every ``/twilio/*`` request must carry Twilio's valid ``X-Twilio-Signature``."""

from __future__ import annotations

from flask import current_app, request
from twilio.request_validator import RequestValidator


def signed_url() -> str:
    """The URL Twilio called and signed, as far as this service can know it."""
    query = request.query_string.decode("latin-1")
    path = request.path + (f"?{query}" if query else "")
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/") + path  # the app's public root, wherever it is mounted
    # Behind a trusted proxy, ProxyFix has already put its scheme and host here.
    return request.host_url.rstrip("/") + request.script_root + path


def signed_by_twilio() -> bool:
    """Whether this request is Twilio's; without an auth token only a development
    server lets requests through."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not token and current_app.config["DEVELOPMENT"]:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(signature) and RequestValidator(token).validate(
        signed_url(), request.form, signature
    )
