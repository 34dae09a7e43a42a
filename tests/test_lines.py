import json

import pytest

from calllog.lines import DEFAULT_LINES, Line, line_for, match_line, parse_lines
from twilio_turn.form import call_facts

LINES = (
    Line("+73422368229", "общественную приёмную", ("+14155550100",)),
    Line(
        "+73422368458",
        "общественную приёмную, линию записи на личный приём",
        ("sip:reception@example.sip.twilio.com", "booking"),
    ),
    Line("+73422367992", "общественную приёмную, справочную линию"),
)


def test_default_lines() -> None:
    assert [line.number for line in DEFAULT_LINES] == [
        "+73422368229",
        "+73422368458",
        "+73422367992",
    ]
    assert all(line.name and line.aliases == () for line in DEFAULT_LINES)
    assert len({line.name for line in DEFAULT_LINES}) == 3


@pytest.mark.parametrize("spec", [None, "", "  \n"])
def test_parse_lines_unset_gives_defaults(spec: str | None) -> None:
    assert parse_lines(spec) == DEFAULT_LINES


def test_parse_lines_normalises_numbers() -> None:
    spec = json.dumps(
        [
            {
                "number": "8 (342) 236-82-29",
                "name": " общественную приёмную ",
                "aliases": [
                    "+1 415 555 0100",
                    "SIP:reception@Example.SIP.twilio.com:5060;transport=tls",
                    "booking",
                ],
            },
            {"number": "3422367992", "name": "справочную линию"},
        ],
        ensure_ascii=False,
    )
    assert parse_lines(spec) == (
        Line(
            "+73422368229",
            "общественную приёмную",
            ("+14155550100", "sip:reception@example.sip.twilio.com", "booking"),
        ),
        Line("+73422367992", "справочную линию"),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("[{", "not valid JSON"),
        ("{}", "non-empty JSON list"),
        ("[]", "non-empty JSON list"),
        ('["+73422368229"]', "entry 1 must be an object"),
        ('[{"name": "x"}]', "entry 1: 'number' None is not a valid phone number"),
        ('[{"number": "2367992", "name": "x"}]', "entry 1: 'number' '2367992'"),
        ('[{"number": 73422368229, "name": "x"}]', "entry 1: 'number' 73422368229"),
        ('[{"number": "+73422368229"}]', "entry 1 (+73422368229): 'name'"),
        ('[{"number": "+73422368229", "name": "  "}]', "entry 1 (+73422368229): 'name'"),
        (
            '[{"number": "+73422368229", "name": "x"}, {"number": "+7342", "name": "y"}]',
            "entry 2: 'number' '+7342'",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "alias": []}]',
            "entry 1 has unknown field(s) alias",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": "sip:a@b"}]',
            "'aliases' must be a list",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": ["+1415"]}]',
            "alias '+1415' is not a valid number or SIP address",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": ["two words"]}]',
            "alias 'two words'",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": [""]}]',
            "alias ''",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": [42]}]',
            "alias 42",
        ),
        (
            '[{"number": "+73422368229", "name": "x"}, {"number": "83422368229", "name": "y"}]',
            "+73422368229 is used by more than one line",
        ),
        (
            '[{"number": "+73422368229", "name": "x", "aliases": ["+73422367992"]},'
            ' {"number": "+73422367992", "name": "y"}]',
            "+73422367992 is used by more than one line",
        ),
    ],
)
def test_parse_lines_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match="RECEPTION_LINES") as error:
        parse_lines(spec)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"To": "+73422368229"}, "+73422368229"),
        ({"To": "+73422367992", "Called": "+73422367992"}, "+73422367992"),
        ({"To": "83422368458"}, "+73422368458"),
        # Forwarded to the Twilio number: matched by the alias.
        ({"To": "+14155550100", "Called": "+14155550100"}, "+73422368229"),
        ({"To": "", "Called": "+14155550100"}, "+73422368229"),
        ({"Called": "+73422367992"}, "+73422367992"),
        # To is not a line, but the carrier says which line forwarded the call.
        ({"To": "+14155550199", "ForwardedFrom": "+73422367992"}, "+73422367992"),
        ({"To": "+14155550199", "ForwardedFrom": "3422368458"}, "+73422368458"),
        # To wins over ForwardedFrom.
        ({"To": "+73422368229", "ForwardedFrom": "+73422367992"}, "+73422368229"),
        # SIP trunk: the user part is the dialled number.
        ({"To": "sip:+73422368229@trunk.example.com"}, "+73422368229"),
        ({"To": "sip:83422367992@trunk.example.com;transport=udp"}, "+73422367992"),
        ({"Called": "sip:73422368458@trunk.example.com:5060"}, "+73422368458"),
        # SIP address alias, and a bare SIP user alias.
        ({"To": "sip:reception@example.sip.twilio.com"}, "+73422368458"),
        ({"To": "sip:reception@EXAMPLE.sip.twilio.com:5060"}, "+73422368458"),
        ({"To": "sip:booking@pbx.example.com"}, "+73422368458"),
    ],
)
def test_match_line(params: dict[str, str], number: str) -> None:
    assert match_line(LINES, call_facts(params)) == number


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"To": "+79024712233"}, "+79024712233"),
        ({"To": "89024712233"}, "+79024712233"),
        ({"To": "+14155550199", "ForwardedFrom": "+79024712233"}, "+14155550199"),
        ({"Called": "+79024712233"}, "+79024712233"),
        ({"To": "sip:+79024712233@trunk.example.com"}, "+79024712233"),
        ({"To": "sip:reception@OTHER.example.com;x=1"}, "sip:reception@other.example.com"),
        ({"To": "client:operator"}, "client:operator"),
        ({"To": "  2367992 "}, "2367992"),
        ({"To": "", "Called": ""}, ""),
        ({"ForwardedFrom": "+79024712233"}, ""),
        ({}, ""),
    ],
)
def test_match_line_unknown_falls_back_to_to(params: dict[str, str], number: str) -> None:
    assert match_line(LINES, call_facts(params)) == number


def test_match_line_defaults() -> None:
    assert match_line(DEFAULT_LINES, call_facts({"To": "+7 342 236-84-58"})) == "+73422368458"


@pytest.mark.parametrize(
    ("number", "index"),
    [("+73422368229", 0), ("83422368458", 1), ("+73422367992", 2)],
)
def test_line_for(number: str, index: int) -> None:
    assert line_for(LINES, number) is LINES[index]


@pytest.mark.parametrize("number", ["+79024712233", "+14155550100", "booking", ""])
def test_line_for_unknown(number: str) -> None:
    assert line_for(LINES, number) is None
