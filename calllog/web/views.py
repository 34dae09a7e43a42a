"""Importing the page modules registers their URL rules on the staff blueprint."""

from calllog.web import (  # noqa: F401
    auth,
    dashboard,
    reports,  # noqa: F401
)
