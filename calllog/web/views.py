"""Importing the page modules registers their URL rules on the staff blueprint."""

from calllog.web import auth, dashboard  # noqa: F401
