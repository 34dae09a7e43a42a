"""``/api/openapi.json``: the OpenAPI 3.1 description of the whole API.

A test checks it against the app's URL map, so a route cannot be added or removed
without this document following.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from staff.api import bp

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
TIME: Schema = {"type": "string", "format": "date-time", "example": "2026-12-02T10:00:00+05:00"}
NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date", "example": "2026-12-02"}
PHONE: Schema = {"type": ["string", "null"], "example": "+79024712233"}
COUNTS: Schema = {"type": "object", "additionalProperties": {"type": "integer"}}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(**properties: Schema) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties)}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def query(name: str, schema: Schema, description: str = "", required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def path(name: str, schema: Schema = STRING) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def answer(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def listing(item: str) -> Schema:
    return answer(obj(items={"type": "array", "items": ref(item)}, next=NULLABLE_STRING))


def body(schema: Schema) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    code: answer(ref("Error"), text)
    for code, text in {
        "400": "the request is not valid",
        "401": "no valid bearer token",
        "403": "the token's role is too low",
        "404": "not found",
        "409": "not allowed in the record's current state",
    }.items()
}
PAGE = [
    query("cursor", STRING, "the `next` of the previous page"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
]
PERIOD = [
    query("since", DATE, "first local calendar day"),
    query("until", DATE, "last local calendar day, included"),
]
OUTCOMES = enum(
    "booked",
    "request_left",
    "transferred",
    "callback_requested",
    "status_checked",
    "info",
    "abandoned",
)
APPEAL_STATUSES = enum(
    "registered", "in_review", "forwarded", "practical_help", "explained", "closed"
)
CALLBACK_STATUSES = enum("pending", "done", "gave_up")
ATTEMPT = obj(at=TIME, result=enum("reached", "no_answer", "wrong_number"), note=STRING)
ATTEMPT["properties"]["by"] = NULLABLE_STRING

SCHEMAS: dict[str, Schema] = {
    "Error": obj(error=STRING),
    "Call": obj(
        sid=STRING,
        direction=STRING,
        line=STRING,
        caller=PHONE,
        status=NULLABLE_STRING,
        outcome={"type": ["string", "null"], "enum": [*OUTCOMES["enum"], None]},
        started_at=TIME,
        ended_at=NULLABLE_TIME,
        duration_s={"type": ["integer", "null"]},
    ),
    "CallDetail": {
        "allOf": [
            ref("Call"),
            obj(
                appeals={"type": "array", "items": STRING},
                appointments={"type": "array", "items": STRING},
                callback={"type": ["integer", "null"]},
                events={
                    "type": "array",
                    "items": obj(at=TIME, kind=STRING, detail=STRING),
                },
            ),
        ]
    },
    "Appeal": obj(
        number=STRING,
        topic=STRING,
        status=APPEAL_STATUSES,
        channel=enum("phone", "visit", "written"),
        phone=PHONE,
        name=NULLABLE_STRING,
        address=NULLABLE_STRING,
        transcript=NULLABLE_STRING,
        created_at=TIME,
        register_due=DATE,
        answer_due=DATE,
        recordings={
            "type": "array",
            "items": obj(sid=STRING, kind=STRING, duration_s=INTEGER, state=STRING),
        },
        calls={"type": "array", "items": STRING},
        history={
            "type": "array",
            "items": obj(at=TIME, status=APPEAL_STATUSES, note=STRING, by=NULLABLE_STRING),
        },
    ),
    "Appointment": obj(
        code=STRING,
        starts_at=TIME,
        expert=STRING,
        place=STRING,
        phone=PHONE,
        status=enum("booked", "cancelled", "attended", "no_show"),
        source=enum("phone", "staff"),
        call=NULLABLE_STRING,
    ),
    "Callback": obj(
        id=INTEGER,
        phone=STRING,
        reasons={"type": "array", "items": STRING},
        status=CALLBACK_STATUSES,
        due_at=TIME,
        calls={"type": "array", "items": STRING},
        attempts={"type": "array", "items": ATTEMPT},
    ),
    "Session": obj(
        id=INTEGER,
        expert=STRING,
        title=STRING,
        place=STRING,
        outreach={"type": "boolean"},
        starts_at=TIME,
        ends_at=TIME,
        slot_minutes=INTEGER,
        slot_count=INTEGER,
    ),
    "Summary": obj(
        since=DATE,
        until=DATE,
        calls=INTEGER,
        callers=INTEGER,
        by_line=COUNTS,
        by_outcome=COUNTS,
        appeals=INTEGER,
        by_topic=COUNTS,
        by_appeal_status=COUNTS,
        resolved=INTEGER,
        resolved_share={"type": "number", "example": 0.4},
        calls_per_day={"type": "object", "additionalProperties": COUNTS},
    ),
}

PATHS: dict[str, Schema] = {
    "/calls": {
        "get": {
            "summary": "The call log, newest first",
            "parameters": [
                query("line", STRING, "E.164 number of the line"),
                query("outcome", OUTCOMES),
                query("status", STRING, "Twilio's final call status"),
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
            "summary": "Appeals, newest first",
            "parameters": [
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
                        "result": enum("reached", "no_answer", "wrong_number"),
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
