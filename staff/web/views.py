"""Importing the page modules registers their URL rules on the staff blueprint."""

from staff.web import (  # noqa: F401
    appeal,
    appeal_new,
    appeals,
    appointment,
    appointments,
    audit_log,
    auth,
    call,
    callback,
    callbacks,
    calls,
    dashboard,
    export,
    personal_data,
    recordings,
    reports,  # noqa: F401
    schedule,
    users,
)
