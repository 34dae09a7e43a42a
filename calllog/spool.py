"""A durable local spool for what callers said while the database was down.

Each entry is one JSON file, written to a temporary name, flushed to disk and then
renamed, so a crash leaves either a whole entry or none. Replaying writes the entries
into the database and removes each file only after its transaction has committed.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)


def write(spool_dir: str | Path, kind: str, params: Mapping[str, str], now: datetime) -> Path:
    folder = Path(spool_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex}.json"
    entry = {"kind": kind, "received_at": now.isoformat(), "params": dict(params)}
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


def pending(spool_dir: str | Path) -> list[Entry]:
    """The spooled entries, oldest first."""
    folder = Path(spool_dir)
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        entries.append(
            Entry(
                path=path,
                kind=data["kind"],
                received_at=datetime.fromisoformat(data["received_at"]),
                params={str(k): str(v) for k, v in data["params"].items()},
            )
        )
    return entries


def replay(spool_dir: str | Path, apply: Callable[[Entry], None]) -> int:
    """Apply every entry in order; ``apply`` commits. Return how many were replayed.

    An entry whose application fails stays in the spool for the next replay, and the
    replay stops there so that the order of a call's webhooks is kept.
    """
    done = 0
    for entry in pending(spool_dir):
        apply(entry)
        entry.path.unlink()
        done += 1
    return done
