"""The prompt catalogue: one TOML file of Russian texts that staff can edit without code."""

from __future__ import annotations

import hashlib
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("prompts.toml")
APPEAL_STATUSES = ("registered", "in_review", "forwarded", "practical_help", "explained", "closed")

# Each prompt the code speaks, with the placeholders it fills in.
NO: frozenset[str] = frozenset()
REQUIRED: dict[str, frozenset[str]] = {
    "greeting": frozenset({"line"}),
    "closed": frozenset({"when"}),
    "main_menu": NO,
    "no_input": NO,
    "wrong_key": NO,
    "callback_promise": NO,
    "goodbye": NO,
    "fallback_apology": NO,
    "fallback_saved": NO,
    "fallback_nothing": NO,
    "try_again": NO,
    "to_main_menu": NO,
    "readback_repeat": NO,
    "consent_version": NO,
    "booking_existing": frozenset({"when", "expert", "place"}),
    "booking_existing_keys": NO,
    "booking_cancel_confirm": NO,
    "booking_cancelled": NO,
    "booking_kept": NO,
    "booking_offer": frozenset({"key", "when", "expert", "place"}),
    "booking_more": NO,
    "booking_no_more": NO,
    "booking_none": NO,
    "booking_confirm": frozenset({"when", "expert", "place"}),
    "slot_taken": NO,
    "booking_name": NO,
    "booking_readback": frozenset({"when", "expert", "place", "code"}),
    "contact_ask": NO,
    "contact_retry": NO,
    "contact_failed": NO,
    "appeal_consent": NO,
    "appeal_topics": NO,
    "appeal_topic_option": frozenset({"topic", "key"}),
    "appeal_record": NO,
    "appeal_empty": NO,
    "appeal_readback": frozenset({"number"}),
    "answer_period": NO,
    "status_ask": NO,
    "status_found": frozenset({"number", "status", "date"}),
    "status_elsewhere": NO,
    "status_offer_callback": NO,
    "status_callback_queued": NO,
    "appeal_not_found": NO,
    **{f"status_{status}": NO for status in APPEAL_STATUSES},
    "info_address": NO,
    "info_hours": frozenset({"hours"}),
    "info_outreach": frozenset({"receptions"}),
    "info_no_outreach": NO,
    "person_connecting": NO,
    "person_busy": NO,
    "person_closed": NO,
    "person_callback": frozenset({"phone"}),
    "person_ask_number": NO,
    "person_screen": NO,
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

    def text(self, key: str, /, **values: str) -> str:
        return self.texts[key].format(**values)

    def prompt_version(self, key: str) -> str:
        """Names the exact wording of one prompt, e.g. the consent a caller agreed to."""
        digest = hashlib.sha256(self.texts[key].encode("utf-8")).hexdigest()[:12]
        return f"{key}@{digest}"
