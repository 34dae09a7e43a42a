"""The prompt catalogue: one TOML file of Russian texts that staff can edit without code."""

from __future__ import annotations

import hashlib
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("prompts.toml")

# The prompts spoken outside any one branch: the apology of the fallback and the contact
# number step that several branches share. Each branch declares its own (``Branch.prompts``).
COMMON: dict[str, frozenset[str]] = {
    key: frozenset()
    for key in (
        "fallback_apology",
        "fallback_saved",
        "fallback_nothing",
        "contact_ask",
        "contact_retry",
        "contact_failed",
        "contact_readback_keys",
    )
} | {"contact_readback": frozenset({"phone"})}


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
    def load(cls, path: str | Path | None, required: Mapping[str, frozenset[str]]) -> Catalogue:
        """Read the catalogue at ``path`` (the default one for None) and check that it has
        every prompt in ``required`` with exactly its placeholders."""
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
        catalogue.validate(required)
        return catalogue

    def validate(self, required: Mapping[str, frozenset[str]]) -> None:
        missing = sorted(set(required) - set(self.texts))
        if missing:
            raise CatalogueError(f"prompts missing from the catalogue: {', '.join(missing)}")
        for key, expected in required.items():
            found = _placeholders(self.texts[key])
            if found != expected:
                raise CatalogueError(
                    f"prompt {key!r} must use the placeholders {sorted(expected)}, "
                    f"not {sorted(found)}"
                )
        for key in self.audio:
            if key not in required:
                raise CatalogueError(f"audio given for unknown prompt {key!r}")
            if required[key]:
                raise CatalogueError(f"prompt {key!r} has placeholders and cannot be a recording")

    def text(self, key: str, /, **values: str) -> str:
        return self.texts[key].format(**values)

    def prompt_version(self, key: str) -> str:
        """Names the exact wording of one prompt, e.g. the consent a caller agreed to."""
        digest = hashlib.sha256(self.texts[key].encode("utf-8")).hexdigest()[:12]
        return f"{key}@{digest}"
