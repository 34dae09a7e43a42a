"""The main menu over signed webhooks: greeting, keys, silence and wrong keys."""

from __future__ import annotations

from tests.conftest import LINE, MOBILE


def test_greeting_names_the_line_and_the_recording_notice(twilio):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()

    assert call.waiting_for == "gather"
    spoken = " ".join(call.said)
    assert "Вы позвонили в общественную приёмную" in spoken
    assert "Разговор может записываться" in spoken
    assert "закрыта" not in spoken
    assert not call.errors
