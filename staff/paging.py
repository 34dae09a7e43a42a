"""Keyset cursors the staff pages and the JSON API share: opaque ``?cursor=`` values."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from flask import abort, request

from calllog import call_queries
from calllog.call_queries import encode_cursor
from db import get_session

__all__ = ["decode_cursor", "encode_cursor", "ranked_page"]

Row = TypeVar("Row")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor holds; 400 for one this API did not give out."""
    try:
        return call_queries.decode_cursor(cursor)
    except call_queries.FilterError as error:
        abort(400, str(error))


#: The marker of a cursor into ranked search results, which are paged by position.
RANKED = "ranked"
MAX_OFFSET = 100_000


def ranked_page(query: sa.Select[tuple[Row]], size: int) -> tuple[Sequence[Row], str | None]:
    """One page of search results (ordered by relevance) after ``?cursor=``, and the
    cursor of the next page, or None on the last. Relevance is no key to seek by, so a
    search cursor holds a position in the results."""
    offset = 0
    if cursor := request.args.get("cursor"):
        offset = _decode_offset(cursor)
    rows = get_session().scalars(query.offset(offset).limit(size + 1)).all()
    more = len(rows) > size and offset + size <= MAX_OFFSET
    next_cursor = _encode_offset(offset + size) if more else None
    return rows[:size], next_cursor


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{RANKED}|{offset}".encode()).decode().rstrip("=")


def _decode_offset(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        marker, offset_text = raw.split("|")
        offset = int(offset_text)
        if marker != RANKED or not 0 <= offset <= MAX_OFFSET + 1000:
            raise ValueError("not a position this service gives out")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort(400, "cursor is not one this service gave out")
    return offset
