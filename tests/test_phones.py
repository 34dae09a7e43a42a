import dataclasses

import pytest

from calllog.phones import (
    Caller,
    is_mobile,
    is_withheld,
    mask,
    national,
    national_digits,
    parse_caller,
    parse_keypad,
    search_variants,
    to_e164,
)
from models import CallerKind


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+7 (342) 236-82-29", "+73422368229"),
        ("+73422368229", "+73422368229"),
        ("83422367992", "+73422367992"),
        ("89024712233", "+79024712233"),
        ("79024712233", "+79024712233"),
        ("9024712233", "+79024712233"),
        ("8-902-471-22-33", "+79024712233"),
        ("+7(902)4712233", "+79024712233"),
        ("  +79024712233\n", "+79024712233"),
        ("+7 800 200-34-11", "+78002003411"),
        ("８９０２４７１２２３３", "+79024712233"),  # full-width digits
    ],
)
def test_parse_caller_russian(raw: str, e164: str) -> None:
    caller = parse_caller(raw)
    assert caller == Caller(e164=e164, raw=raw.strip(), kind=CallerKind.RUSSIAN)
    assert caller.known


@pytest.mark.parametrize(
    "raw",
    [
        "+7 700 123 45 67",  # Kazakhstan shares +7
        "+77011234567",
        "87011234567",
        "+14155552671",
        "+380442793000",
    ],
)
def test_parse_caller_foreign(raw: str) -> None:
    caller = parse_caller(raw)
    assert caller.kind is CallerKind.FOREIGN
    assert caller.e164 is None
    assert caller.raw == raw
    assert not caller.known


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "anonymous",
        "ANONYMOUS",
        "+anonymous",
        "Restricted",
        "unknown",
        "Private",
        "UNAVAILABLE",
        "+266696687",
        "266696687",
        "client:operator",
        "Client:alice",
    ],
)
def test_parse_caller_withheld(raw: str | None) -> None:
    caller = parse_caller(raw)
    assert caller.kind is CallerKind.WITHHELD
    assert caller.e164 is None
    assert caller.raw == (raw or "").strip()
    assert is_withheld(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "+",
        "+7",
        "+7342",
        "2367992",  # a Perm local number is not a caller ID
        "1" * 30,
        "7" * 300,
        "☎️ позвоните мне",
        "sip:caller@example.com",
        "sip:2367992@trunk.example.ru",
        "+7 999 000 00 00 00 00",
    ],
)
def test_parse_caller_invalid(raw: str) -> None:
    caller = parse_caller(raw)
    assert caller.kind is CallerKind.INVALID
    assert caller.e164 is None
    assert caller.raw == raw
    assert not is_withheld(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "sip:+79024712233@trunk.example.ru",
        "sip:79024712233@trunk.example.ru",
        "sip:89024712233@trunk.example.ru;transport=udp",
        "<sips:+79024712233@trunk.example.ru:5061>",
    ],
)
def test_a_sip_caller_whose_user_part_is_a_number_is_that_number(raw: str) -> None:
    caller = parse_caller(raw)
    assert caller.kind is CallerKind.RUSSIAN
    assert caller.e164 == "+79024712233"
    assert caller.raw == raw


def test_a_sip_caller_from_abroad_is_foreign() -> None:
    assert parse_caller("sip:+14155550100@trunk.example.com").kind is CallerKind.FOREIGN


def test_caller_is_frozen_and_repr_hides_the_number() -> None:
    caller = parse_caller("+79024712233")
    with pytest.raises(dataclasses.FrozenInstanceError):
        caller.e164 = None  # type: ignore[misc]
    assert "4712233" not in repr(caller)
    assert repr(caller) == "Caller(kind=russian, number=+7902*****33)"


def test_caller_kind_is_a_string() -> None:
    assert CallerKind.WITHHELD == "withheld"
    assert str(CallerKind.FOREIGN) == "foreign"


@pytest.mark.parametrize(
    ("digits", "e164"),
    [
        ("89024712233", "+79024712233"),
        ("79024712233", "+79024712233"),
        ("9024712233", "+79024712233"),
        ("83422367992", "+73422367992"),
        ("3422368229", "+73422368229"),
        ("2367992", "+73422367992"),  # Perm local: area code 342 prepended
        ("88002003411", "+78002003411"),
        ("8*902*471*22*33", "+79024712233"),  # stray non-digits are dropped
    ],
)
def test_parse_keypad(digits: str, e164: str) -> None:
    assert parse_keypad(digits) == e164


def test_parse_keypad_other_local_area() -> None:
    assert parse_keypad("2367992", local_area="343") == "+73432367992"


@pytest.mark.parametrize(
    "digits",
    [
        "",
        "123",
        "236799",  # six digits
        "23679921",  # eight digits
        "99024712233",  # 11 digits not starting with 8 or 7
        "890247122331",  # twelve digits
        "87001234567",  # Kazakhstan
        "7001234567",
        "0000000000",
        "80000000000",
        "8902471223",  # ten digits, but 890… is not a Russian range
    ],
)
def test_parse_keypad_rejects(digits: str) -> None:
    assert parse_keypad(digits) is None


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("8 902 471-22-33", "+79024712233"),
        ("+7 700 123 45 67", "+77001234567"),
        ("+1 415 555 2671", "+14155552671"),
        ("2367992", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_to_e164(value: str | None, e164: str | None) -> None:
    assert to_e164(value) == e164


@pytest.mark.parametrize(
    ("e164", "mobile"),
    [
        ("+79024712233", True),
        ("+73422368229", False),
        ("+78002003411", False),  # toll free
        ("", False),
        ("junk", False),
    ],
)
def test_is_mobile(e164: str, mobile: bool) -> None:
    assert is_mobile(e164) is mobile


@pytest.mark.parametrize(
    ("e164", "text", "digits"),
    [
        ("+79024712233", "8 (902) 471-22-33", "89024712233"),
        ("+73422368229", "8 (342) 236-82-29", "83422368229"),
        ("+78002003411", "8 (800) 200-34-11", "88002003411"),
        ("+14155552671", "+1 415-555-2671", "14155552671"),
        ("junk", "junk", ""),
    ],
)
def test_national(e164: str, text: str, digits: str) -> None:
    assert national(e164) == text
    assert national_digits(e164) == digits


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+79024712233", "+7902*****33"),
        ("+73422368229", "+7342*****29"),
        ("89024712233", "+7902*****33"),
        ("+14155552671", "+1415*****71"),
        ("+77001234567", "+7700*****67"),
        (None, "-"),
        ("", "-"),
        ("  ", "-"),
        ("anonymous", "withheld"),
        ("+266696687", "withheld"),
        ("client:ivan.petrov", "withheld"),
        ("2367992", "*****92"),
        ("7" * 300, "************77"),
        ("+7342", "***"),
        ("abc", "***"),
        ("sip:ivan.petrov@example.com", "***"),
    ],
)
def test_mask(value: str | None, masked: str) -> None:
    assert mask(value) == masked


@pytest.mark.parametrize(
    ("query", "variants"),
    [
        ("8 902 471-22-33", ["+79024712233"]),
        ("+7(902)4712233", ["+79024712233"]),
        ("9024712233", ["+79024712233"]),
        ("+7 342 236-82-29", ["+73422368229"]),
        ("236-79-92", ["2367992"]),
        ("2367992", ["2367992"]),
        ("4712233", ["4712233"]),
        ("22-33", ["2233"]),
        ("", []),
        ("Иванов", []),
    ],
)
def test_search_variants(query: str, variants: list[str]) -> None:
    assert search_variants(query) == variants
