"""The building blocks of ``/api/openapi.json``: schema helpers and the records' shapes.

The paths that use them, and the document, are :mod:`staff.api.openapi`.
"""

from __future__ import annotations

from typing import Any

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
ATTEMPT = obj(
    at=TIME, result=enum("reached", "no_answer", "wrong_number", "voicemail"), note=STRING
)
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
        transcript={
            "type": ["string", "null"],
            "description": "Staff's summary when they wrote one, else what the line's "
            "live transcription heard; null when there is neither",
        },
        transcript_source={
            "type": ["string", "null"],
            "enum": ["twilio", "staff", None],
            "description": "Where transcript comes from: staff, or Twilio's transcription",
        },
        created_at=TIME,
        register_due=DATE,
        registered_at=NULLABLE_TIME,
        registered_by=NULLABLE_STRING,
        anonymous={"type": "boolean"},
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
        phone=PHONE,
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
