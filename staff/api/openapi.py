"""``/api/openapi.json``: the OpenAPI 3.1 description of the whole API.

A test checks it against the app's URL map, so a route cannot be added or removed
without this document following.
"""

from __future__ import annotations

import re

from flask import Response, abort, jsonify, request

from staff.api import bp
from staff.api.openapi_schemas import (
    APPEAL_STATUSES,
    CALLBACK_STATUSES,
    DATE,
    ERRORS,
    INTEGER,
    OUTCOMES,
    PAGE,
    PERIOD,
    SCHEMAS,
    STRING,
    TIME,
    Schema,
    answer,
    body,
    enum,
    listing,
    path,
    query,
    ref,
)

PATHS: dict[str, Schema] = {
    "/calls": {
        "get": {
            "summary": "The call log, newest first",
            "parameters": [
                query("line", STRING, "E.164 number of the line"),
                query("outcome", OUTCOMES),
                query(
                    "status",
                    STRING,
                    "Twilio's final call status; missed: busy, failed, no-answer or canceled",
                ),
                query("caller", STRING, "E.164, or the end of a number"),
                *PERIOD,
                *PAGE,
            ],
            "responses": {"200": listing("Call"), **ERRORS},
        }
    },
    "/calls/{sid}": {
        "get": {
            "summary": "One call, its menu path and what it produced",
            "parameters": [path("sid")],
            "responses": {"200": answer(ref("CallDetail")), **ERRORS},
        }
    },
    "/appeals": {
        "get": {
            "summary": "Appeals, newest first; with q, the best matches first",
            "parameters": [
                query(
                    "q",
                    {"type": "string", "maxLength": 200},
                    "Words to find in the transcript and staff's summary, in any form "
                    "(Russian stemming: «отопление» finds «нет отопления»), best match first "
                    "among the newest 1,000 appeals that have them; the cursor then pages "
                    "through the ranked results",
                ),
                query("status", APPEAL_STATUSES),
                query("topic", STRING),
                query("overdue", enum("0", "1", "true", "false")),
                *PERIOD,
                *PAGE,
            ],
            "responses": {"200": listing("Appeal"), **ERRORS},
        }
    },
    "/appeals/{number}": {
        "get": {
            "summary": "One appeal",
            "parameters": [path("number")],
            "responses": {"200": answer(ref("Appeal")), **ERRORS},
        },
        "patch": {
            "summary": "Change the status (with a note) or extend the answer period once",
            "parameters": [path("number")],
            "requestBody": body(
                {
                    "type": "object",
                    "properties": {
                        "status": APPEAL_STATUSES,
                        "note": STRING,
                        "extend": {"type": "boolean"},
                    },
                }
            ),
            "responses": {"200": answer(ref("Appeal")), **ERRORS},
        },
    },
    "/sessions": {
        "post": {
            "summary": "Create a reception session and its slots (supervisor)",
            "requestBody": body(
                {
                    "type": "object",
                    "properties": {
                        "expert": STRING,
                        "title": STRING,
                        "place": STRING,
                        "starts_at": TIME,
                        "ends_at": TIME,
                        "slot_minutes": INTEGER,
                        "outreach": {"type": "boolean"},
                        "non_working_day": {"type": "boolean"},
                    },
                    "required": [
                        "expert",
                        "title",
                        "place",
                        "starts_at",
                        "ends_at",
                        "slot_minutes",
                    ],
                }
            ),
            "responses": {"201": answer(ref("Session"), "created"), **ERRORS},
        }
    },
    "/appointments": {
        "get": {
            "summary": "The appointments of a local day, in time order",
            "parameters": [
                query("date", DATE, required=True),
                query("status", enum("booked", "cancelled", "attended", "no_show")),
                *PAGE,
            ],
            "responses": {"200": listing("Appointment"), **ERRORS},
        }
    },
    "/callbacks": {
        "get": {
            "summary": "The callback queue, due first",
            "parameters": [query("status", CALLBACK_STATUSES, "default: pending"), *PAGE],
            "responses": {"200": listing("Callback"), **ERRORS},
        }
    },
    "/callbacks/{callback_id}/attempts": {
        "post": {
            "summary": "Record an attempt to call the citizen back",
            "parameters": [path("callback_id", INTEGER)],
            "requestBody": body(
                {
                    "type": "object",
                    "properties": {
                        "result": enum("reached", "no_answer", "wrong_number", "voicemail"),
                        "note": STRING,
                    },
                    "required": ["result"],
                }
            ),
            "responses": {"200": answer(ref("Callback")), **ERRORS},
        }
    },
    "/reports/summary": {
        "get": {
            "summary": "The period report's figures (supervisor)",
            "parameters": [
                query("since", DATE, required=True),
                query("until", DATE, "included", required=True),
            ],
            "responses": {"200": answer(ref("Summary")), **ERRORS},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": answer({"type": "object"}), **ERRORS},
        }
    },
}

DOCUMENT: Schema = {
    "openapi": "3.1.0",
    "info": {
        "title": "Reception Line API",
        "version": "1",
        "description": (
            "The call log, appeals, appointments and callbacks of the public reception in "
            "Perm. Times are ISO 8601 in the office's offset; `since`, `until` and `date` "
            "are local calendar days. Lists answer `{items, next}`."
        ),
    },
    "servers": [{"url": "/api"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
    "paths": PATHS,
}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)


def query_names(rule: str, method: str) -> list[str]:
    """The query arguments this document declares for a Flask ``rule`` (``/api/calls/<sid>``)."""
    template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix("/api"))
    operation = PATHS.get(template, {}).get(method.lower(), {})
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


@bp.before_request
def refuse_unknown_arguments() -> None:
    """A query argument the document does not declare is a 400 naming the allowed ones.

    A misspelt filter (``?stauts=``) silently ignored would answer with every record.
    """
    if request.url_rule is None:
        return
    method = "GET" if request.method == "HEAD" else request.method
    allowed = query_names(request.url_rule.rule, method)
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        names = ", ".join(allowed) if allowed else "none"
        abort(400, f"unknown query parameter {unknown[0]!r}; allowed: {names}")
