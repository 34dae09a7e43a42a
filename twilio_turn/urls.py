"""URLs Twilio must request, built from the views that answer them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request, url_for

#: The Flask endpoint of each view the branches declare, filled as the routes are added.
ENDPOINTS: dict[Callable[..., Any], str] = {}


def endpoint_of(view: Callable[..., Any]) -> str:
    """``webhooks.<module>_<function>``: unique, readable, and never written by hand."""
    module = view.__module__.rsplit(".", 1)[-1]
    return f"webhooks.{module}_{view.__name__}"


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL Twilio must request: on ``PUBLIC_BASE_URL`` when it is set."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        # PUBLIC_BASE_URL is the app's public root, wherever the app is mounted.
        path = url_for(endpoint, **values).removeprefix(request.script_root)
        return base.rstrip("/") + path
    return url_for(endpoint, _external=True, **values)


def view_url(view: Callable[..., Any], **values: Any) -> str:
    """The absolute URL of a route a branch of the voice menu declared."""
    return public_url(ENDPOINTS[view], **values)


def click_to_call_urls(callback_id: int) -> dict[str, str]:
    """The TwiML URL and status callback of a staff callback placed from the application:
    the bridge that connects the operator with the citizen."""
    from ivr.branches.callback_bridge import bridge

    return {
        "url": view_url(bridge, callback=callback_id),
        "status_callback": public_url("webhooks.call_status"),
    }
