"""The reception's phone lines and matching a call to the line it came in on.

Calls reach Twilio directly, by carrier forwarding or over a SIP trunk, so the number
Twilio reports in ``To`` is not always the published one. Each line lists the other
addresses its calls arrive on, and :func:`match_line` finds the line from Twilio's
request parameters.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from calllog.facts import CallFacts
from calllog.phones import national, to_e164


@dataclass(frozen=True)
class Line:
    """One published number of the reception.

    ``name`` is spoken right after «Вы позвонили в», so it is stored in the accusative
    case («общественную приёмную»); staff pages show it as it is. ``aliases`` are the
    other addresses the line's calls arrive on: numbers (E.164), SIP addresses
    (``sip:user@host``) or bare SIP user names (``reception``). ``caller_id`` is the number
    outbound calls and the staff leg of a transfer show: one the Twilio account owns or has
    verified (a published number that only forwards to Twilio is refused, error 21210);
    without it, the line's own number. ``sms_from`` is the sender of the SMS about what
    came of this line's calls (a number of the account, a messaging service SID ``MG…`` or
    a registered alphanumeric sender); without it, the global ``SMS_FROM`` or
    ``MESSAGING_SERVICE_SID``. ``label`` is what staff see, in the nominative case
    («Линия записи на личный приём»); see :attr:`staff_label`.
    """

    number: str
    name: str
    aliases: tuple[str, ...] = ()
    caller_id: str | None = None
    sms_from: str | None = None
    label: str | None = None

    @property
    def outbound_caller_id(self) -> str:
        """The number calls placed for this line come from."""
        return self.caller_id or self.number

    @property
    def staff_label(self) -> str:
        """The line's name on staff pages: its ``label``, else the default label of its
        number (one of the three Perm lines), else «Линия» and the number."""
        return self.label or _DEFAULT_LABELS.get(self.number) or f"Линия {national(self.number)}"


DEFAULT_LINES: tuple[Line, ...] = (
    Line("+73422368229", "общественную приёмную", label="Общественная приёмная"),
    Line(
        "+73422368458",
        "общественную приёмную, линию записи на личный приём",
        label="Линия записи на личный приём",
    ),
    Line("+73422367992", "общественную приёмную, справочную линию", label="Справочная линия"),
)
_DEFAULT_LABELS = {line.number: line.label for line in DEFAULT_LINES}

_FIELDS = frozenset({"number", "name", "aliases", "caller_id", "sms_from", "label"})
#: A messaging service SID (and what looks like a truncated one); a registered alphanumeric
#: sender (Twilio: up to 11 Latin letters, digits and spaces, at least one letter).
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
_MESSAGING_SERVICE_LIKE = re.compile(r"MG[0-9a-fA-F]*")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")

#: ``sip:user@host[:port][;params][?headers]``, optionally in angle brackets.
_SIP_ADDRESS = re.compile(
    r"<?sips?:(?P<user>[^@;?>]+)@(?P<host>[^:;?>]+)(?::\d+)?(?:[;?][^>]*)?>?", re.IGNORECASE
)
_SIP_USER = re.compile(r"[\w.~+-]+")


def parse_lines(spec: str | None) -> tuple[Line, ...]:
    """Read the lines from the ``RECEPTION_LINES`` setting; unset or empty gives the defaults.

    The setting is a JSON list such as ``[{"number": "+73422368229", "name":
    "общественную приёмную", "aliases": ["+14155550100", "sip:reception@example.com"]}]``.
    Numbers are normalised to E.164.

    :raise ValueError: naming the entry that is malformed, or a number used twice.
    """
    if spec is None or not spec.strip():
        return DEFAULT_LINES
    try:
        entries = json.loads(spec)
    except json.JSONDecodeError as error:
        raise ValueError(f"RECEPTION_LINES is not valid JSON: {error}") from None
    if not isinstance(entries, list) or not entries:
        raise ValueError("RECEPTION_LINES must be a non-empty JSON list of lines")
    lines = tuple(_parse_entry(index, entry) for index, entry in enumerate(entries, 1))
    _check_unique(lines)
    return lines


def match_line(lines: tuple[Line, ...], facts: CallFacts) -> str:
    """Return the number a call is logged under, given what Twilio says of it.

    ``To``, ``Called`` and ``ForwardedFrom`` are tried in that order, then the user
    part of a SIP ``To`` or ``Called``; each is compared with the lines' numbers and
    aliases, and the first hit gives that line's number. A call to anything else is
    logged under its normalised ``To`` (or ``Called``), or ``""`` when both are missing.
    """
    index = _index(lines)
    to = facts.to or facts.called or ""
    candidates = [facts.to, facts.called, facts.forwarded_from]
    candidates += [_sip_user(facts.to), _sip_user(facts.called)]
    for candidate in candidates:
        # Twilio sends numbers in E.164 already: most candidates are found as they are.
        line = index.get(candidate or "") or index.get(_address_key(candidate) or "")
        if line is not None:
            return line.number
    user = _sip_user(to)
    return _address_key(user if _is_phone(user) else to) or ""


def line_for(lines: Iterable[Line], number: str) -> Line | None:
    """Return the line logged under ``number`` (as :func:`match_line` gives it), if any."""
    key = _address_key(number)
    return next((line for line in lines if line.number == key), None)


def line_calling_from(lines: Iterable[Line], number: str) -> Line | None:
    """Return the line whose number or outbound caller ID ``number`` is, if any."""
    key = _address_key(number)
    return next((line for line in lines if key in (line.number, line.caller_id)), None)


def _parse_entry(index: int, entry: Any) -> Line:
    where = f"RECEPTION_LINES entry {index}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object with 'number' and 'name'")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {', '.join(unknown)}")
    raw_number = entry.get("number")
    number = to_e164(raw_number) if isinstance(raw_number, str) else None
    if number is None:
        raise ValueError(f"{where}: 'number' {raw_number!r} is not a valid phone number")
    where = f"{where} ({number})"
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list):
        raise ValueError(f"{where}: 'aliases' must be a list of strings")
    raw_caller_id = entry.get("caller_id")
    caller_id = to_e164(raw_caller_id) if isinstance(raw_caller_id, str) else None
    if raw_caller_id is not None and caller_id is None:
        raise ValueError(f"{where}: 'caller_id' {raw_caller_id!r} is not a valid phone number")
    aliases_parsed = tuple(_parse_alias(where, alias) for alias in aliases)
    label = entry.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ValueError(f"{where}: 'label' must be a non-empty string when given")
    sms_from = _parse_sms_sender(where, entry["sms_from"]) if "sms_from" in entry else None
    return Line(number, name.strip(), aliases_parsed, caller_id, sms_from, label and label.strip())


def _parse_sms_sender(where: str, sender: Any) -> str:
    """A line's ``sms_from``: a messaging service SID, an alphanumeric sender or a number."""
    text = sender.strip() if isinstance(sender, str) else ""
    if is_messaging_service(text):
        return text
    if _ALPHANUMERIC_SENDER.fullmatch(text) and not _MESSAGING_SERVICE_LIKE.fullmatch(text):
        return text
    e164 = to_e164(text)
    if e164 is None:
        raise ValueError(
            f"{where}: 'sms_from' {sender!r} is neither a phone number, a messaging service "
            "SID (MG…) nor an alphanumeric sender (up to 11 Latin letters and digits)"
        )
    return e164


def is_messaging_service(sender: str) -> bool:
    """Whether a line's ``sms_from`` names a Twilio messaging service (``MG`` and 32 hex)."""
    return _MESSAGING_SERVICE.fullmatch(sender) is not None


def _parse_alias(where: str, alias: Any) -> str:
    """Normalise one alias: a number to E.164, a SIP address to ``sip:user@host``."""
    text = alias.strip() if isinstance(alias, str) else ""
    e164 = to_e164(text)
    if e164 is not None:
        return e164
    if _SIP_ADDRESS.fullmatch(text):
        return _address_key(text) or text
    if _SIP_USER.fullmatch(text) and not text.startswith("+"):
        return text
    raise ValueError(f"{where}: alias {alias!r} is not a valid number or SIP address")


def _check_unique(lines: tuple[Line, ...]) -> None:
    seen: set[str] = set()
    for line in lines:
        for address in (line.number, *line.aliases):
            if address in seen:
                raise ValueError(f"RECEPTION_LINES: {address} is used by more than one line")
            seen.add(address)


@functools.cache
def _index(lines: tuple[Line, ...]) -> dict[str, Line]:
    """Map every normalised number and alias to its line; the first line wins (built once
    per set of lines: the office's are fixed at start)."""
    index: dict[str, Line] = {}
    for line in lines:
        for address in (line.number, *line.aliases):
            key = _address_key(address)
            if key is not None:
                index.setdefault(key, line)
    return index


@functools.lru_cache(maxsize=4096)
def _address_key(value: str | None) -> str | None:
    """Normalise a number or a SIP address so equal addresses compare equal (cached: pages
    look the same few lines up for every row)."""
    text = (value or "").strip()
    if not text:
        return None
    sip = _SIP_ADDRESS.fullmatch(text)
    if sip is not None:
        return f"sip:{sip['user']}@{sip['host'].lower()}"
    return to_e164(text) or text


def _sip_user(value: str | None) -> str | None:
    """Return the user part of a SIP address (``reception`` of ``sip:reception@host``)."""
    sip = _SIP_ADDRESS.fullmatch((value or "").strip())
    return sip["user"] if sip is not None else None


def _is_phone(value: str | None) -> bool:
    return to_e164(value) is not None
