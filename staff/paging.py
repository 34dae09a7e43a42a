"""Keyset cursors the staff pages and the JSON API share: opaque ``?cursor=`` values."""

from __future__ import annotations

from datetime import datetime

from flask import abort

from calllog import call_queries
from calllog.call_queries import encode_cursor

__all__ = ["decode_cursor", "encode_cursor"]


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor holds; 400 for one this API did not give out."""
    try:
        return call_queries.decode_cursor(cursor)
    except call_queries.FilterError as error:
        abort(400, str(error))
