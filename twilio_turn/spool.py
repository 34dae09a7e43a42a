"""A durable local spool for what callers said while the database was down.

Each entry is one JSON file, written to a temporary name, flushed to disk and then
renamed, so a crash leaves either a whole entry or none. Replaying writes the entries
into the database and removes each file only after its transaction has committed.
An entry that can never be written (unreadable, or refused by the database for what it
holds) is moved into ``failed/`` for a person to look at, so that it does not keep every
later entry out of the database; nothing is ever deleted unwritten.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

#: The subfolder for entries that cannot be replayed; they wait there for a person.
FAILED_DIR = "failed"


def write(
    spool_dir: str | Path,
    kind: str,
    params: Mapping[str, str],
    now: datetime,
    args: Mapping[str, str] | None = None,
) -> Path:
    """Keep one webhook: its form ``params`` and the URL values ``args`` it was sent with."""
    folder = Path(spool_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # Named by the wall clock in nanoseconds, so that entries replay in arrival order
    # even when the application's clock stands still (as in tests).
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex}.json"
    entry = {"kind": kind, "received_at": now.isoformat(), "params": dict(params)}
    if args:
        entry["args"] = dict(args)
    temporary = folder / f".{name}.tmp"
    with temporary.open("w", encoding="utf-8") as file:
        json.dump(entry, file, ensure_ascii=False)
        file.flush()
        os.fsync(file.fileno())
    target = folder / name
    temporary.replace(target)
    _fsync_dir(folder)
    log.warning("spooled a %s webhook while the database was unavailable", kind)
    return target


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str
    received_at: datetime
    params: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)


def pending(spool_dir: str | Path) -> list[Entry]:
    """The spooled entries, oldest first."""
    folder = Path(spool_dir)
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            received_at = datetime.fromisoformat(data["received_at"])
            if received_at.tzinfo is None:
                raise ValueError("received_at has no offset")
            entry = Entry(
                path=path,
                kind=str(data["kind"]),
                received_at=received_at,
                params={str(k): str(v) for k, v in data["params"].items()},
                args={str(k): str(v) for k, v in data.get("args", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
            set_aside(path, f"unreadable ({type(error).__name__})")
            continue
        entries.append(entry)
    return entries


def set_aside(path: Path, reason: str) -> Path:
    """Move the entry at ``path`` into ``failed/``, where it is kept for a person."""
    folder = path.parent / FAILED_DIR
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    path.replace(target)
    _fsync_dir(folder)
    _fsync_dir(path.parent)
    log.error("spool entry %s set aside in %s: %s", path.name, folder, reason)
    return target


def replay(
    spool_dir: str | Path,
    apply: Callable[[Entry], None],
    can_never_succeed: Callable[[Exception], bool] = lambda error: False,
) -> int:
    """Apply every entry in order; ``apply`` commits. Return how many were replayed.

    An entry whose application fails stays in the spool for the next replay, and the
    replay stops there so that the order of a call's webhooks is kept (the database is
    probably down again). When ``can_never_succeed(error)`` says that retrying is useless,
    the entry is set aside in ``failed/`` instead and the replay goes on.
    """
    done = 0
    for entry in pending(spool_dir):
        try:
            apply(entry)
        except Exception as error:
            if not can_never_succeed(error):
                raise
            set_aside(entry.path, type(error).__name__)
            continue
        entry.path.unlink()
        done += 1
    return done
