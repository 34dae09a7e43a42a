"""SMS go from the sender of the line the call came in on (issue 12, product §12).

Each line of ``RECEPTION_LINES`` may name its ``sms_from``: a number the Twilio account owns
(SMS-capable), a messaging service SID or a registered alphanumeric sender. Without one, the
global ``SMS_FROM`` / ``MESSAGING_SERVICE_SID`` is used, as before. ``twilio configure``
checks every line's sender against the account.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from calllog.lines import parse_lines
from cli.reminders import reminders_cli
from models import Appointment, StaffRole
from tests.conftest import LINE, MOBILE, PERM
from tests.test_cli import invoke, output_of

BOOKING_LINE = "+73422368458"
INFO_LINE = "+73422367992"
LINE_NUMBER = "+14155550100"  # the Twilio number the main line forwards to
BOOKING_SERVICE = "MG" + "b" * 32
GLOBAL_SENDER = "PriemnayaPR"
OTHER_MOBILE = "+79125550011"
THIRD_MOBILE = "+79125550012"
THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=PERM)


def lines_json(main_sender: str = LINE_NUMBER, booking_sender: str = BOOKING_SERVICE) -> str:
    return json.dumps(
        [
            {
                "number": LINE,
                "name": "общественную приёмную",
                "aliases": [LINE_NUMBER],
                "caller_id": LINE_NUMBER,
                "sms_from": main_sender,
            },
            {
                "number": BOOKING_LINE,
                "name": "линию записи",
                "aliases": ["+14155550101"],
                "caller_id": LINE_NUMBER,
                "sms_from": booking_sender,
            },
            {"number": INFO_LINE, "name": "справочную линию", "aliases": ["+14155550102"]},
        ],
        ensure_ascii=False,
    )


@pytest.fixture
def three_lines(config) -> None:
    """Request it before ``app``: the lines are read when the app is made."""
    config["RECEPTION_LINES"] = lines_json()
    config["SMS_FROM"] = GLOBAL_SENDER


@pytest.fixture
def line_senders_only(config) -> None:
    config["RECEPTION_LINES"] = lines_json()


def sender_of(message) -> tuple[str | None, str | None]:
    return message.data.get("From"), message.data.get("MessagingServiceSid")


def book_by_phone(twilio, caller: str, line: str) -> None:
    call = twilio.incoming_call(from_=caller, to=line).start()
    call.press("1").press("1").press("1").record(seconds=4, finish="#")
    assert "Ваш код записи" in call.last_said
    call.silence()
    call.finish()


def messages_to(fake_twilio, phone: str) -> list:
    return [m for m in fake_twilio.sent("POST", "/Messages.json") if m.data["To"] == phone]


# --- The setting ---------------------------------------------------------------------------


def test_a_lines_sender_is_a_number_a_messaging_service_or_an_alphanumeric_name() -> None:
    lines = parse_lines(
        json.dumps(
            [
                {"number": LINE, "name": "приёмную", "sms_from": "8 (342) 200-01-01"},
                {"number": BOOKING_LINE, "name": "запись", "sms_from": BOOKING_SERVICE},
                {"number": INFO_LINE, "name": "справки", "sms_from": "PermPriem"},
            ]
        )
    )
    assert [line.sms_from for line in lines] == ["+73422000101", BOOKING_SERVICE, "PermPriem"]
    assert parse_lines(None)[0].sms_from is None  # the defaults: the global sender


@pytest.mark.parametrize("sender", ["", "MG123", "Приёмная", "a name far too long", "+7 12"])
def test_a_malformed_sender_is_refused_naming_the_setting(sender: str) -> None:
    spec = json.dumps([{"number": LINE, "name": "приёмную", "sms_from": sender}])
    with pytest.raises(ValueError, match="sms_from"):
        parse_lines(spec)


# --- SMS of a call: booking confirmations ---------------------------------------------------


def test_a_booking_confirmation_goes_from_the_sender_of_the_line_called(
    three_lines, twilio, schedule, fake_twilio
):
    schedule(THURSDAY, minutes=120)

    book_by_phone(twilio, MOBILE, LINE)
    book_by_phone(twilio, OTHER_MOBILE, BOOKING_LINE)
    book_by_phone(twilio, THIRD_MOBILE, INFO_LINE)

    [main] = messages_to(fake_twilio, MOBILE)
    [booking] = messages_to(fake_twilio, OTHER_MOBILE)
    [info] = messages_to(fake_twilio, THIRD_MOBILE)
    assert sender_of(main) == (LINE_NUMBER, None)
    assert sender_of(booking) == (None, BOOKING_SERVICE)
    assert sender_of(info) == (GLOBAL_SENDER, None)  # no sender of its own: the global one


def test_a_line_sender_works_without_a_global_one(line_senders_only, twilio, schedule, fake_twilio):
    schedule(THURSDAY, minutes=120)

    book_by_phone(twilio, MOBILE, BOOKING_LINE)
    book_by_phone(twilio, OTHER_MOBILE, INFO_LINE)

    [booking] = fake_twilio.sent("POST", "/Messages.json")  # the info line has no sender
    assert (booking.data["To"], sender_of(booking)) == (MOBILE, (None, BOOKING_SERVICE))


# --- Reminders and staff notices: the line the appointment was booked on --------------------


def run_reminders(app):
    if "reminders" not in app.cli.commands:
        app.cli.add_command(reminders_cli)
    return app.test_cli_runner().invoke(args=["reminders", "send"])


def test_reminders_go_from_the_sender_of_the_line_each_visit_was_booked_on(
    three_lines, app, twilio, schedule, fake_twilio, records
):
    schedule(THURSDAY, minutes=120)
    book_by_phone(twilio, MOBILE, LINE)
    book_by_phone(twilio, OTHER_MOBILE, BOOKING_LINE)
    book_by_phone(twilio, THIRD_MOBILE, INFO_LINE)
    confirmations = len(fake_twilio.sent("POST", "/Messages.json"))

    result = run_reminders(app)

    assert result.exit_code == 0, result.output
    reminders = fake_twilio.sent("POST", "/Messages.json")[confirmations:]
    assert {m.data["To"]: sender_of(m) for m in reminders} == {
        MOBILE: (LINE_NUMBER, None),
        OTHER_MOBILE: (None, BOOKING_SERVICE),
        THIRD_MOBILE: (GLOBAL_SENDER, None),
    }
    assert all("Напоминаем" in m.data["Body"] for m in reminders)


def test_reminders_run_on_line_senders_alone(line_senders_only, app, twilio, schedule, fake_twilio):
    schedule(THURSDAY, minutes=120)
    book_by_phone(twilio, OTHER_MOBILE, BOOKING_LINE)

    result = run_reminders(app)

    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "sent 1 reminder(s)"
    assert [sender_of(m) for m in fake_twilio.sent("POST", "/Messages.json")] == [
        (None, BOOKING_SERVICE),
        (None, BOOKING_SERVICE),
    ]


def test_a_cancellation_by_staff_goes_from_the_sender_of_the_line_booked_on(
    three_lines, twilio, schedule, fake_twilio, records, sign_in, form_post
):
    schedule(THURSDAY, minutes=120)
    book_by_phone(twilio, OTHER_MOBILE, BOOKING_LINE)
    appointment = records().scalar(sa.select(Appointment))
    sign_in(StaffRole.OPERATOR)

    form_post(
        f"/appointments/{appointment.id}/status", {"status": "cancelled", "note": "эксперт заболел"}
    )

    *_, cancellation = fake_twilio.sent("POST", "/Messages.json")
    assert "отменена" in cancellation.data["Body"]
    assert (cancellation.data["To"], sender_of(cancellation)) == (
        OTHER_MOBILE,
        (None, BOOKING_SERVICE),
    )


# --- twilio configure checks every line's sender --------------------------------------------


@pytest.fixture
def account(fake_twilio) -> None:
    """The account owns the three numbers the lines forward to; the main one sends SMS."""
    fake_twilio.numbers = {
        LINE_NUMBER: "PN" + "1" * 32,
        "+14155550101": "PN" + "2" * 32,
        "+14155550102": "PN" + "3" * 32,
    }
    fake_twilio.verified_caller_ids = [INFO_LINE]
    fake_twilio.messaging_services = [BOOKING_SERVICE]


def configure(request, config, lines: str, *, checked: bool = True):
    """Run ``twilio configure`` on an app made with ``lines``."""
    config["RECEPTION_LINES"] = lines
    runner = request.getfixturevalue("app").test_cli_runner()
    if checked:
        return invoke(runner, "twilio", "configure")
    return runner.invoke(args=["twilio", "configure"])


def test_configure_accepts_an_sms_capable_number_and_an_existing_service(
    request, config, account, fake_twilio
):
    result = configure(request, config, lines_json())

    assert result.exit_code == 0, output_of(result)
    assert f"{LINE}: SMS from {LINE_NUMBER}" in result.stdout
    assert f"{BOOKING_LINE}: SMS from messaging service {BOOKING_SERVICE}" in result.stdout
    assert f"{INFO_LINE}: SMS from the global SMS_FROM or MESSAGING_SERVICE_SID" in result.stdout
    assert fake_twilio.sent("GET", f"/Services/{BOOKING_SERVICE}")


@pytest.mark.parametrize(
    ("main_sender", "booking_sender", "wrong"),
    [
        ("+14155550109", BOOKING_SERVICE, LINE),  # not a number of the account
        ("+14155550101", BOOKING_SERVICE, LINE),  # the account's, but voice only
        (LINE_NUMBER, "MG" + "c" * 32, BOOKING_LINE),  # no such messaging service
    ],
)
def test_configure_refuses_a_sender_the_account_cannot_send_from(
    request, config, account, fake_twilio, main_sender, booking_sender, wrong
):
    fake_twilio.without_sms = {"+14155550101"}

    result = configure(request, config, lines_json(main_sender, booking_sender), checked=False)

    assert result.exit_code != 0
    output = output_of(result)
    assert "Traceback" not in output
    assert "1 line(s) cannot send SMS" in output
    assert f"cannot send SMS: {wrong};" in output
    assert "sms_from" in output


def test_configure_cannot_check_an_alphanumeric_sender_and_says_so(
    request, config, account, fake_twilio
):
    result = configure(request, config, lines_json(main_sender="PermPriem"))

    assert result.exit_code == 0, output_of(result)
    assert f"{LINE}: SMS from the alphanumeric sender PermPriem" in result.stdout
    assert "registered" in result.stdout
