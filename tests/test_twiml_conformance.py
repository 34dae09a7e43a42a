"""The TwiML conformance table catches what Twilio would refuse (and lets through what it takes)."""

from __future__ import annotations

import pytest

from tests.twiml_conformance import violations

OK = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Say language="ru-RU" voice="Polly.Tatyana">Здравствуйте</Say>'
    '<Gather action="https://x.example/menu" finishOnKey="" method="POST" numDigits="1" '
    'timeout="6"><Say language="ru-RU" voice="Polly.Tatyana">Нажмите 1</Say></Gather>'
    '<Redirect method="POST">https://x.example/menu?timeout=1</Redirect></Response>'
)


def test_a_menu_as_we_build_it_conforms():
    assert violations(OK) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<Reply/>", "is not <Response>"),
        ("<Response><Say>a</Say>", "not XML"),
        ("<Response><Gather><Record action='https://x/r'/></Gather></Response>", "may not stand"),
        ("<Response><Gather numDigits='0' action='https://x/a'/></Response>", "numDigits"),
        ("<Response><Gather/></Response>", "without an explicit action"),
        ("<Response><Record action='/relative'/></Response>", "action"),
        ("<Response><Dial timeout='700'><Number>+79120000001</Number></Dial></Response>", "700"),
        ("<Response><Dial answerOnBridge='yes'>+7912</Dial></Response>", "answerOnBridge"),
        (
            "<Response><Dial><Number machineDetection='on'>+79120000001</Number></Dial></Response>",
            "machineDetection",
        ),
        (
            "<Response><Say language='ru-RU' voice='Polly.Tatyana'>"
            + "а" * 1001
            + "</Say></Response>",
            "1,000",
        ),
        ("<Response><Say>" + "а" * 4097 + "</Say></Response>", "13521"),
        ("<Response><Say colour='red'>a</Say></Response>", "no attribute 'colour'"),
        ("<Response><Reject reason='later'/></Response>", "reason"),
        ("<Response><Redirect/></Response>", "without text"),
        ("<Response><Hangup>now</Hangup></Response>", "takes no text"),
        ("<Response><Sms>hi</Sms></Response>", "may not stand"),
    ],
)
def test_what_twilio_refuses_is_caught(body: str, problem: str):
    found = violations(body)

    assert any(problem in text for text in found), found


def test_a_document_over_64_kb_is_caught():
    says = "".join(f"<Say>{'а' * 900}</Say>" for _ in range(40))
    assert any("64 kB" in text for text in violations(f"<Response>{says}</Response>"))


def test_every_twiml_answer_of_an_app_is_checked():
    from flask import Flask, Response

    from tests.conftest import check_twiml

    app = Flask(__name__)
    problems = check_twiml(app)

    @app.post("/broken")
    def broken() -> Response:
        return Response("<Response><Gather/></Response>", mimetype="text/xml")

    @app.post("/fine")
    def fine() -> Response:
        return Response(OK, mimetype="text/xml")

    app.test_client().post("/fine")
    app.test_client().post("/broken")

    assert problems == [
        "/broken: Response/Gather: <Gather> without an explicit action (it would loop)"
    ]
