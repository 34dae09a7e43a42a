"""The Twilio call simulator, driven against a throwaway Flask IVR defined in this file."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import make_server

from simulator import (
    CallStateError,
    FlaskTransport,
    HttpTransport,
    Simulator,
    run_interactive,
)
from simulator.inputs import record_outcome
from simulator.twiml import Record, TwimlError, parse_document

TOKEN = "test-auth-token"
BASE = "https://reception.example"
CALLER = "+79024712233"
LINE = "+73422368229"
STAFF = "+79120000001"


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def say(text: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(text, language="ru-RU", voice="Polly.Tatyana")
    return response


def create_app(auth_token: str = TOKEN) -> Flask:
    """A tiny IVR: one menu and one route per Twilio feature the simulator must honour."""
    app = Flask(__name__)
    validator = RequestValidator(auth_token)
    seen: list[dict] = []
    app.config["SEEN"] = seen

    @app.before_request
    def check_signature() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = validator.validate(request.url, request.form, signature)
        seen.append(
            {
                "path": request.path,
                "url": request.url,
                "form": request.form.to_dict(),
                "token": request.headers.get("I-Twilio-Idempotency-Token"),
                "valid": valid,
            }
        )
        if not valid:
            abort(403)

    @app.post("/twilio/voice")
    def voice() -> Response:
        response = VoiceResponse()
        response.say("Главное меню.", language="ru-RU")
        gather = Gather(action="menu", num_digits=1, timeout=5)  # relative on purpose
        gather.say("Нажмите 1, 2 или 0.", language="ru-RU")
        response.append(gather)
        response.redirect("/twilio/no-input")
        return twiml(response)

    @app.post("/twilio/menu")
    def menu() -> Response:
        digit = request.form.get("Digits")
        response = VoiceResponse()
        if digit == "1":
            gather = Gather(action="/twilio/number", timeout=8)
            gather.say("Введите номер обращения и решётку.")
            response.append(gather)
            response.say("Номер не введён.")
        elif digit == "2":
            response.say("Говорите после сигнала.")
            response.record(
                action="/twilio/recorded",
                max_length=180,
                timeout=10,
                finish_on_key="#",
                recording_status_callback="/twilio/recording-status",
            )
            response.say("Мы не получили запись.")
        elif digit == "0":
            dial = Dial(action="/twilio/dial-done", timeout=20)
            dial.number(STAFF, url="/twilio/screen")
            response.append(dial)
        elif digit == "7":
            response.gather(action="/twilio/empty", action_on_empty_result=True, timeout=3)
            response.say("Не дошло.")
        elif digit == "8":
            return Response('{"oops": true}', mimetype="application/json")
        elif digit == "9":
            gather = Gather(action="/twilio/slash", num_digits=1)
            response.append(gather)
        else:
            response.say("Неверный выбор.")
            response.redirect("/twilio/voice")
        return twiml(response)

    @app.post("/twilio/number")
    def number() -> Response:
        return twiml(say(f"Вы ввели {request.form['Digits']}."))

    @app.post("/twilio/recorded")
    def recorded() -> Response:
        form = request.form
        return twiml(say(f"Спасибо, {form['RecordingDuration']} с, {form.get('Digits', 'нет')}."))

    @app.post("/twilio/screen")
    def screen() -> Response:
        response = VoiceResponse()
        gather = Gather(action="/twilio/screen-choice", num_digits=1, timeout=5)
        gather.say("Звонок на линию приёмной. Нажмите 1, чтобы ответить.")
        response.append(gather)
        response.hangup()
        return twiml(response)

    @app.post("/twilio/screen-choice")
    def screen_choice() -> Response:
        if request.form.get("Digits") == "1":
            return twiml(say("Соединяю."))
        response = VoiceResponse()
        response.hangup()
        return twiml(response)

    @app.post("/twilio/dial-done")
    def dial_done() -> Response:
        return twiml(say(f"Итог: {request.form['DialCallStatus']}."))

    @app.post("/twilio/empty")
    def empty() -> Response:
        return twiml(say(f"Пусто: [{request.form.get('Digits')}]."))

    @app.post("/twilio/slash/")  # reached as /twilio/slash: Flask answers 308
    def slash() -> Response:
        return twiml(say(f"Цифры: {request.form.get('Digits', 'потеряны')}."))

    @app.post("/twilio/no-input")
    def no_input() -> Response:
        response = say("Вы ничего не выбрали. До свидания.")
        response.hangup()
        return twiml(response)

    @app.get("/twilio/get-voice")
    def get_voice() -> Response:
        response = VoiceResponse()
        response.say(f"Звонок с {request.args['From']}.")
        response.redirect("/twilio/voice", method="POST")
        return twiml(response)

    @app.post("/twilio/loop")
    def loop() -> Response:
        response = VoiceResponse()
        response.redirect("/twilio/loop")
        return twiml(response)

    @app.post("/twilio/bad-root")
    def bad_root() -> Response:
        return Response("<Reply><Say>Нет</Say></Reply>", mimetype="text/xml")

    @app.post("/twilio/broken")
    def broken() -> Response:
        abort(500)

    @app.post("/twilio/fallback")
    def fallback() -> Response:
        return twiml(say(f"Извините, ошибка {request.form['ErrorCode']}."))

    @app.post("/twilio/status")
    @app.post("/twilio/recording-status")
    def callbacks() -> tuple[str, int]:
        return "", 204

    return app


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def sim(app: Flask) -> Simulator:
    return Simulator(FlaskTransport(app.test_client()), auth_token=TOKEN, base_url=BASE)


def seen(app: Flask, path: str) -> list[dict]:
    return [entry for entry in app.config["SEEN"] if entry["path"] == path]


def test_requests_are_signed_and_carry_the_standard_parameters(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE, FromCountry="RU").start()
    call.press("5")

    assert all(entry["valid"] for entry in app.config["SEEN"])
    first, second = app.config["SEEN"][:2]
    assert first["url"] == f"{BASE}/twilio/voice"
    assert first["form"]["CallStatus"] == "ringing"
    assert second["form"]["CallStatus"] == "in-progress"
    form = first["form"]
    assert form["CallSid"].startswith("CA")
    assert len(form["CallSid"]) == 34
    assert form["AccountSid"].startswith("AC")
    assert len(form["AccountSid"]) == 34
    assert (form["From"], form["Caller"], form["To"], form["Called"]) == (
        CALLER,
        CALLER,
        LINE,
        LINE,
    )
    assert (form["Direction"], form["ApiVersion"], form["FromCountry"]) == (
        "inbound",
        "2010-04-01",
        "RU",
    )
    assert len({entry["token"] for entry in app.config["SEEN"]}) == len(app.config["SEEN"])
    assert call.errors == []


def test_withheld_caller_id_is_passed_through(app: Flask, sim: Simulator) -> None:
    sim.incoming_call(from_="anonymous", to=LINE).start()
    assert app.config["SEEN"][0]["form"]["From"] == "anonymous"


def test_wrong_token_gives_403_recorded_as_error(app: Flask) -> None:
    sim = Simulator(FlaskTransport(app.test_client()), auth_token="wrong", base_url=BASE)
    call = sim.incoming_call(from_=CALLER, to=LINE).start()

    assert call.ended
    assert [(error.code, error.url) for error in call.errors] == [(11200, f"{BASE}/twilio/voice")]
    assert "403" in call.errors[0].message
    assert call.said == ["We are sorry, an application error has occurred. Goodbye."]


def test_gather_silence_falls_through_to_the_next_verb(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start()
    assert call.said == ["Главное меню.", "Нажмите 1, 2 или 0."]
    assert call.waiting_for == "gather"

    call.silence()

    assert call.last_said == "Вы ничего не выбрали. До свидания."
    assert seen(app, "/twilio/menu") == []  # the action is not called on silence
    assert call.ended
    assert call.end_reason == "hangup-verb"


def test_num_digits_and_relative_action(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start()
    call.press("12")  # numDigits=1: only "1" is collected

    assert seen(app, "/twilio/menu")[0]["form"]["Digits"] == "1"
    assert call.log[1].url == f"{BASE}/twilio/menu"
    assert call.last_said == "Введите номер обращения и решётку."


def test_finish_on_key_is_not_part_of_digits(sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("1")
    call.press("4711#")
    assert call.last_said == "Вы ввели 4711."


def test_only_the_finish_key_counts_as_no_input(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("1")
    call.press("#")
    assert call.last_said == "Номер не введён."
    assert seen(app, "/twilio/number") == []


def test_action_on_empty_result_posts_empty_digits(sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("7")
    call.silence()
    assert call.last_said == "Пусто: []."


def test_invalid_key_and_wrong_state_are_test_mistakes(sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start()
    with pytest.raises(ValueError, match="keypad"):
        call.press("1a")
    with pytest.raises(CallStateError):
        call.record(5)


def test_record_finished_by_key_and_recording_callback(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("2")
    assert call.waiting_for == "record"

    call.record(seconds=20, finish="#")

    assert call.last_said == "Спасибо, 20 с, #."
    action = seen(app, "/twilio/recorded")[0]["form"]
    assert action["RecordingSid"].startswith("RE")
    assert len(action["RecordingSid"]) == 34
    assert action["RecordingUrl"] == (
        f"https://api.twilio.com/2010-04-01/Accounts/{call.account_sid}"
        f"/Recordings/{action['RecordingSid']}"
    )
    [callback] = [cb for cb in call.callbacks if cb.kind == "recording"]
    assert callback.url == f"{BASE}/twilio/recording-status"
    assert seen(app, "/twilio/recording-status") == []  # queued, not yet sent

    call.deliver_callbacks()

    [delivered] = seen(app, "/twilio/recording-status")
    assert delivered["valid"]
    assert delivered["form"] == {
        "AccountSid": call.account_sid,
        "CallSid": call.sid,
        "RecordingSid": action["RecordingSid"],
        "RecordingUrl": action["RecordingUrl"],
        "RecordingStatus": "completed",
        "RecordingDuration": "20",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


def test_record_ended_by_silence_sends_no_digits(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("2")
    call.record(seconds=7, finish="timeout")
    assert "Digits" not in seen(app, "/twilio/recorded")[0]["form"]
    assert call.last_said == "Спасибо, 7 с, нет."


def test_hangup_during_record_posts_digits_hangup(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("2")
    call.record(seconds=12, finish="hangup")

    form = seen(app, "/twilio/recorded")[0]["form"]
    assert (form["Digits"], form["RecordingDuration"], form["CallStatus"]) == (
        "hangup",
        "12",
        "completed",
    )
    assert call.ended
    assert call.end_reason == "caller-hangup"
    assert "Спасибо" not in " ".join(call.said)  # the action's TwiML is not executed


def test_empty_recording_legacy_option_falls_through(app: Flask) -> None:
    transport = FlaskTransport(app.test_client())
    sim = Simulator(transport, TOKEN, base_url=BASE, empty_recording_falls_through=True)
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("2")
    call.record(seconds=0, finish="timeout")
    assert call.last_said == "Мы не получили запись."
    assert seen(app, "/twilio/recorded") == []


def test_empty_recording_default_calls_the_action(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("2")
    call.record(seconds=0, finish="timeout")
    assert seen(app, "/twilio/recorded")[0]["form"]["RecordingDuration"] == "0"


def test_dial_not_answered_posts_no_answer(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("0")
    assert call.waiting_for == "dial"

    call.dial(answer=False)

    form = seen(app, "/twilio/dial-done")[0]["form"]
    assert form["DialCallStatus"] == "no-answer"
    assert form["DialCallSid"].startswith("CA")
    assert seen(app, "/twilio/screen") == []
    assert call.last_said == "Итог: no-answer."


def test_dial_screening_accepted_bridges_the_call(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("0")
    call.dial(answer=True, staff_keys="1", talk_seconds=60)

    child = seen(app, "/twilio/screen")[0]["form"]
    assert (child["Direction"], child["ParentCallSid"], child["To"]) == (
        "outbound-dial",
        call.sid,
        STAFF,
    )
    assert call.staff_said == ["Звонок на линию приёмной. Нажмите 1, чтобы ответить.", "Соединяю."]
    form = seen(app, "/twilio/dial-done")[0]["form"]
    assert (form["DialCallStatus"], form["DialCallDuration"]) == ("completed", "60")
    assert form["DialCallSid"] == child["CallSid"]
    assert call.duration >= 60


def test_dial_screening_declined_is_reported_completed_with_the_screening_time(
    app: Flask, sim: Simulator
) -> None:
    """The leg was answered, so Twilio says ``completed``: the status word alone cannot tell."""
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("0")
    call.dial(answer=True, staff_keys=None)
    form = seen(app, "/twilio/dial-done")[0]["form"]
    assert form["DialCallStatus"] == "completed"
    assert 0 < int(form["DialCallDuration"]) < 20
    assert call.last_said == "Итог: completed."


def test_status_callbacks_carry_duration_and_sequence(app: Flask, sim: Simulator) -> None:
    events = ("initiated", "ringing", "answered", "completed")
    call = sim.incoming_call(from_=CALLER, to=LINE, status_events=events).start()
    call.press("1").press("123#")
    assert call.ended

    call.finish()

    forms = [entry["form"] for entry in seen(app, "/twilio/status")]
    assert [form["CallStatus"] for form in forms] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [form["SequenceNumber"] for form in forms] == ["0", "1", "2", "3"]
    final = forms[-1]
    assert int(final["CallDuration"]) == call.duration > 0
    assert final["Duration"] == "1"
    assert final["CallbackSource"] == "call-progress-events"
    assert parsedate_to_datetime(final["Timestamp"]).utcoffset().total_seconds() == 0
    assert call.callbacks == []


def test_caller_hangup_during_gather_queues_completed(sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start()
    call.hangup()
    assert call.ended
    assert call.end_reason == "caller-hangup"
    [status] = call.callbacks
    assert status.param["CallStatus"] == "completed"
    assert status.param["SequenceNumber"] == "0"


def test_shuffled_and_duplicated_delivery(app: Flask, sim: Simulator) -> None:
    events = ("ringing", "answered", "completed")
    call = sim.incoming_call(from_=CALLER, to=LINE, status_events=events).start()
    call.press("2").record(seconds=5, finish="#")
    queued = list(call.callbacks)
    assert len(queued) == 4  # ringing, in-progress, recording, completed

    call.finish(shuffle=True, duplicate=True, rng=random.Random(7))

    paths = ("/twilio/status", "/twilio/recording-status")
    delivered = [entry for entry in app.config["SEEN"] if entry["path"] in paths]
    assert len(delivered) == 8
    assert all(entry["valid"] for entry in delivered)
    tokens = [entry["token"] for entry in delivered]
    assert sorted(tokens) == sorted([cb.token for cb in queued] * 2)
    assert tokens != [cb.token for cb in queued for _ in range(2)]  # reordered
    assert call.errors == []


def test_redirect_on_an_action_is_flagged(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("9")
    call.press("4")

    [error] = call.errors
    assert error.code == 11200
    assert "308" in error.message
    assert "Digits" in error.message
    assert seen(app, "/twilio/slash/")[0]["form"].get("Digits") is None
    assert call.last_said == "Цифры: потеряны."


def test_non_xml_answer_is_flagged(sim: Simulator) -> None:
    call = sim.incoming_call(from_=CALLER, to=LINE).start().press("8")
    assert [error.code for error in call.errors] == [12300]
    assert call.ended
    assert call.end_reason == "error"


def test_bad_root_and_too_many_redirects_are_flagged(sim: Simulator) -> None:
    bad = sim.incoming_call(from_=CALLER, to=LINE, voice_path="/twilio/bad-root").start()
    assert [error.code for error in bad.errors] == [12102]
    looping = sim.incoming_call(from_=CALLER, to=LINE, voice_path="/twilio/loop").start()
    assert [error.code for error in looping.errors] == [11215]
    assert len(looping.log) == 11


def test_fallback_url_gets_error_code(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(
        from_=CALLER, to=LINE, voice_path="/twilio/broken", fallback_path="/twilio/fallback"
    ).start()
    assert call.said == ["Извините, ошибка 11200."]
    assert seen(app, "/twilio/fallback")[0]["form"]["ErrorUrl"] == f"{BASE}/twilio/broken"


def test_get_requests_carry_parameters_in_the_signed_query(app: Flask, sim: Simulator) -> None:
    call = sim.incoming_call(
        from_=CALLER, to=LINE, voice_path="/twilio/get-voice", voice_method="GET"
    ).start()
    assert call.said[:2] == [f"Звонок с {CALLER}.", "Главное меню."]
    assert all(entry["valid"] for entry in app.config["SEEN"])
    assert app.config["SEEN"][0]["form"] == {}
    assert call.errors == []


def test_recording_stops_at_max_length_without_digits() -> None:
    [_, record, _] = parse_document(
        '<Response><Say>Говорите</Say><Record maxLength="15" action="/a"/><Say>x</Say></Response>'
    )
    assert isinstance(record, Record)
    result = record_outcome(record, seconds=40, finish="#")
    assert (result.duration, result.digits, result.seconds) == (15, None, 15.0)
    silent = record_outcome(record, seconds=3, finish="timeout")
    assert (silent.duration, silent.digits, silent.seconds) == (3, None, 8.0)


def test_parse_document_rejects_wrong_case_verbs() -> None:
    with pytest.raises(TwimlError) as caught:
        parse_document("<Response><say>Привет</say></Response>")
    assert caught.value.code == 12100


@pytest.fixture
def live_server() -> Iterator[str]:
    """The same app behind ProxyFix on a real socket, like gunicorn behind a TLS proxy."""
    app = create_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_http_transport_through_a_proxy(live_server: str) -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "reception.example"}
    sim = Simulator(HttpTransport(base_url=live_server), TOKEN, base_url=BASE, headers=headers)
    call = sim.incoming_call(from_=CALLER, to=LINE).start()
    call.press("1").press("42#")
    call.finish()
    assert call.errors == []
    assert call.said[-1] == "Вы ввели 42."
    assert [exchange.status for exchange in call.log] == [200, 200, 200, 204]


def test_terminal_loop_with_scripted_input(app: Flask, sim: Simulator) -> None:
    script = iter(["x", "2", "15 #"])
    prompts: list[str] = []
    output: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        return next(script)

    call = sim.incoming_call(from_=CALLER, to=LINE)
    run_interactive(call, input_fn=fake_input, output_fn=output.append)

    assert output[0] == "🔊 Главное меню."
    assert any(line.startswith("⚠") for line in output)  # "x" is not a key
    assert "🔊 Спасибо, 15 с, #." in output
    assert prompts[0].startswith("⌨")
    assert prompts[-1].startswith("🎙")
    assert call.ended
    assert call.callbacks == []
    assert len(seen(app, "/twilio/status")) == 1


def test_terminal_hangs_up_on_end_of_input(sim: Simulator) -> None:
    def no_more_input(prompt: str) -> str:
        raise EOFError

    output: list[str] = []
    call = run_interactive(sim.incoming_call(from_=CALLER, to=LINE), no_more_input, output.append)
    assert call.end_reason == "caller-hangup"
    assert output[-1].startswith("↪")
