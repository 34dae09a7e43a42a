"""The floor: what gunicorn and Flask cost with nothing of the service behind them.

A bare Flask app with one POST endpoint that answers every request with the greeting as
the service sends it (the same TwiML, byte for byte the same size), served under the same
gunicorn settings as the service (:func:`bench.server.serving` with ``app=FLOOR_APP``).
It reads the form, as a webhook view must, but checks no signature and touches no
database: a benchmark's figure divided by the floor's is the share of the possible that
the service reaches.
"""

from __future__ import annotations

from flask import Flask, Response, request

#: The service's answer to a new call in office hours (``/twilio/voice``), 1,031 bytes.
GREETING = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Say language="ru-RU" voice="Polly.Tatyana">Здравствуйте! Вы позвонили в общественную '
    "приёмную. Разговор может записываться.</Say>"
    '<Gather action="https://reception.example/twilio/menu?attempt=1" finishOnKey="" '
    'method="POST" numDigits="1" timeout="6">'
    '<Say language="ru-RU" voice="Polly.Tatyana">Чтобы записаться на личный приём, нажмите 1. '
    "Чтобы оставить обращение, нажмите 2. Чтобы узнать, как рассматривается ваше обращение, "
    "нажмите 3. Адрес и часы работы приёмной — нажмите 4. Чтобы поговорить с сотрудником, "
    "нажмите 0. Чтобы прослушать меню ещё раз, нажмите звёздочку.</Say></Gather>"
    '<Redirect method="POST">https://reception.example/twilio/menu?attempt=1&amp;timeout=1'
    "</Redirect></Response>"
)


def create_app() -> Flask:
    """``gunicorn 'bench.floor:create_app()'``: every POST gets the greeting."""
    app = Flask(__name__)

    @app.post("/", defaults={"path": ""})
    @app.post("/<path:path>")
    def greeting(path: str) -> Response:
        request.form.get("CallSid")
        return Response(GREETING, mimetype="text/xml")

    return app
