"""Phone numbers: callers, keypad input, formatting for people and masking for logs.

Everything here is pure and built on ``phonenumbers``. Numbers are stored as E.164
strings. Country code +7 is shared with Kazakhstan, so a number counts as Russian
only when ``phonenumbers`` places it in region ``RU``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

from models import CallerKind

REGION = "RU"
PERM_AREA_CODE = "342"

#: Length of a Russian national significant number: area or operator code plus subscriber.
_NATIONAL_LENGTH = 10

#: Words a carrier or Twilio puts in ``From`` instead of a withheld number.
_WITHHELD_WORDS = ("anonymous", "restricted", "unknown", "private", "unavailable")

#: The number Twilio substitutes for an anonymous caller ("ANONYMOUS" on a keypad).
_TWILIO_ANONYMOUS = "266696687"

#: A SIP address in ``From`` (``sip:+79024712233@trunk.example.ru;transport=udp``,
#: maybe in angle brackets): its user part is the caller's number when it is one.
_SIP_ADDRESS = re.compile(r"<?sips?:(?P<user>[^@;?>]+)@[^>]*>?", re.IGNORECASE)

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True, repr=False)
class Caller:
    """The caller of one call, as far as the caller ID tells.

    ``e164`` is set only for a valid Russian number, the only kind the reception calls
    back; a foreign or unparsable caller ID is kept in ``raw`` for the call log.
    """

    e164: str | None
    raw: str
    kind: CallerKind

    @property
    def known(self) -> bool:
        """Whether there is a number to call back."""
        return self.e164 is not None

    def __repr__(self) -> str:
        # Dataclass reprs end up in logs and tracebacks, so never show the number.
        return f"Caller(kind={self.kind.value}, number={mask(self.e164 or self.raw)})"


@functools.lru_cache(maxsize=4096)
def parse_caller(raw: str | None) -> Caller:
    """Classify Twilio's ``From`` (or ``Caller``) value (remembered: a call's requests all
    carry the same one)."""
    text = (raw or "").strip()
    if is_withheld(text):
        return Caller(e164=None, raw=text, kind=CallerKind.WITHHELD)
    number = _parse(_sip_user(text) or text)
    if number is None or not phonenumbers.is_valid_number(number):
        return Caller(e164=None, raw=text, kind=CallerKind.INVALID)
    if phonenumbers.region_code_for_number(number) != REGION:
        return Caller(e164=None, raw=text, kind=CallerKind.FOREIGN)
    return Caller(e164=_e164(number), raw=text, kind=CallerKind.RUSSIAN)


def is_withheld(raw: str | None) -> bool:
    """Whether a ``From`` value stands for a hidden caller rather than a number.

    Empty values, words such as ``ANONYMOUS`` (also inside a longer string), Twilio's
    ``+266696687`` and ``client:`` identities of browser or app calls count as hidden.
    """
    text = (raw or "").strip().lower()
    if not text or text.startswith("client:"):
        return True
    if text.lstrip("+") == _TWILIO_ANONYMOUS:
        return True
    return any(word in text for word in _WITHHELD_WORDS)


def parse_keypad(digits: str, local_area: str = PERM_AREA_CODE) -> str | None:
    """Return the E.164 form of a Russian number typed on a phone keypad, or ``None``.

    Accepted: 11 digits starting with 8 or 7, 10 digits, or a local number that
    fills up to 10 digits after ``local_area`` (7 digits for Perm).
    """
    digits = phonenumbers.normalize_digits_only(digits or "")
    if len(digits) == _NATIONAL_LENGTH + 1 and digits[0] in "78":
        national_number = digits[1:]
    elif len(digits) == _NATIONAL_LENGTH:
        national_number = digits
    elif local_area and len(digits) == _NATIONAL_LENGTH - len(local_area):
        national_number = local_area + digits
    else:
        return None
    return parse_caller(f"+7{national_number}").e164


def to_e164(value: str | None) -> str | None:
    """Return the E.164 form of any valid number, of any country, or ``None``.

    Numbers without a country code are read as Russian ("8 902 …", "9024712233").
    """
    number = _parse((value or "").strip())
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return _e164(number)


def is_mobile(e164: str) -> bool:
    """Whether the number is a mobile one (and so can take an SMS)."""
    number = _parse(e164)
    return number is not None and phonenumbers.number_type(number) in _MOBILE_TYPES


@functools.lru_cache(maxsize=4096)
def national(e164: str) -> str:
    """Format a number the way people in Russia write it: ``8 (902) 471-22-33``.

    Numbers outside the +7 zone get the international format, since that is how
    they are dialled from Russia. A value that does not parse is returned as it is.
    Cached: a page of the call log shows the same lines and callers many times.
    """
    number = _parse(e164)
    if number is None:
        return e164
    if number.country_code == 7:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def national_digits(e164: str) -> str:
    """Return the digits of :func:`national` (``89024712233``), for reading back."""
    return phonenumbers.normalize_digits_only(national(e164))


@functools.lru_cache(maxsize=4096)
def mask(value: str | None) -> str:
    """Hide a number for logs, keeping the country and area codes and the last two digits.

    ``+79024712233`` becomes ``+7902*****33``. Empty values give ``-`` and hidden
    caller IDs give ``withheld``. Anything else keeps only its last two digits, or
    nothing at all when it has fewer than five.
    """
    text = (value or "").strip()
    if not text:
        return "-"
    if is_withheld(text):
        return "withheld"
    number = _parse(text)
    if number is not None and phonenumbers.is_valid_number(number):
        significant = phonenumbers.national_significant_number(number)
        area = significant[: phonenumbers.length_of_national_destination_code(number)]
        hidden = len(significant) - len(area) - 2
        if hidden < 4:
            area, hidden = "", len(significant) - 2
        return f"+{number.country_code}{area}{'*' * hidden}{significant[-2:]}"
    digits = phonenumbers.normalize_digits_only(text)
    if len(digits) < 5:
        return "***"
    return "*" * min(len(digits) - 2, 12) + digits[-2:]


def search_variants(query: str) -> list[str]:
    """Turn a phone number typed by staff into values to look for in the call log.

    A query that is a full valid number in any common format ("8 902 471-22-33",
    "+7(902)4712233", "9024712233") gives its E.164 form, to compare for equality.
    Anything shorter ("236-79-92", "4712233") gives its digits, to match the end of
    stored numbers, so a partial number still finds calls. A value starting with
    ``+`` is therefore an exact match, any other a suffix. No digits: no variants.
    """
    e164 = to_e164(query)
    if e164 is not None:
        return [e164]
    digits = phonenumbers.normalize_digits_only(query or "")
    return [digits] if digits else []


def _parse(text: str) -> PhoneNumber | None:
    """Parse with Russia as the default region; ``None`` when it is not a number at all."""
    if not text:
        return None
    try:
        return phonenumbers.parse(text, REGION)
    except NumberParseException:
        return None


def _sip_user(text: str) -> str | None:
    """The user part of a SIP address whose user part is a phone number, else ``None``.

    ``7…`` with 11 digits is the Russian number written without ``+``, as trunks send it.
    """
    address = _SIP_ADDRESS.fullmatch(text)
    if address is None:
        return None
    user = address["user"]
    digits = user.lstrip("+")
    if not digits.isdigit():
        return None
    if not user.startswith("+") and len(digits) == _NATIONAL_LENGTH + 1 and digits[0] == "7":
        return "+" + digits
    return user


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
