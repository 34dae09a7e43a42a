"""The prompt catalogue: one TOML file of Russian texts that staff can edit without code."""

from __future__ import annotations

import hashlib
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("prompts.toml")

# Each prompt the code speaks, with the placeholders it fills in.
REQUIRED: dict[str, frozenset[str]] = {
    "greeting": frozenset({"line"}),
    "closed": frozenset({"when"}),
    "main_menu": frozenset(),
    "no_input": frozenset(),
    "wrong_key": frozenset(),
    "callback_promise": frozenset(),
    "goodbye": frozenset(),
    "not_ready": frozenset(),
    "fallback_apology": frozenset(),
    "fallback_saved": frozenset(),
    "fallback_nothing": frozenset(),
}


class CatalogueError(ValueError):
    """The prompt file cannot be used; raised at start, never on a live call."""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Catalogue:
    texts: dict[str, str]
    audio: dict[str, str] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalogue:
        path = Path(path) if path else DEFAULT_FILE
        try:
            raw = path.read_bytes()
            data = tomllib.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise CatalogueError(f"prompt file {path}: {error}") from error
        catalogue = cls(
            texts={key: " ".join(str(text).split()) for key, text in data.get("text", {}).items()},
            audio={key: str(url) for key, url in data.get("audio", {}).items()},
            version=f"{path.name}@{hashlib.sha256(raw).hexdigest()[:12]}",
        )
        catalogue.validate()
        return catalogue

    def validate(self) -> None:
        missing = sorted(set(REQUIRED) - set(self.texts))
        if missing:
            raise CatalogueError(f"prompts missing from the catalogue: {', '.join(missing)}")
        for key, expected in REQUIRED.items():
            found = _placeholders(self.texts[key])
            if found != expected:
                raise CatalogueError(
                    f"prompt {key!r} must use the placeholders {sorted(expected)}, "
                    f"not {sorted(found)}"
                )
        for key in self.audio:
            if key not in REQUIRED:
                raise CatalogueError(f"audio given for unknown prompt {key!r}")
            if REQUIRED[key]:
                raise CatalogueError(f"prompt {key!r} has placeholders and cannot be a recording")

    def text(self, key: str, **values: str) -> str:
        return self.texts[key].format(**values)
