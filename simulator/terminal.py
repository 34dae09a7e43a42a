"""An interactive call in the terminal: hear the prompts, type the keys.

``run_interactive`` takes ``input_fn``/``output_fn`` so tests can script it. Lines typed:

* while a ``<Gather>`` waits: keys (``1``, ``123#``); empty line = silence; words = speech
  (if the Gather accepts speech);
* while a ``<Record>`` waits: ``12 #`` (speak 12 s, press #), ``12`` (then silence),
  ``12 h`` (hang up while speaking); words after that are what the caller says, which a
  live transcription hears (``12 # У нас нет отопления.``);
* while a ``<Dial>`` waits: ``n`` no answer (also empty), ``b`` busy, ``f`` failed,
  ``y`` answered, ``y 1`` answered and the staff member pressed 1 on the screening prompt;
* ``h`` at any point hangs up.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.call import Call
from simulator.inputs import HANGUP, TIMEOUT
from simulator.twiml import ANY_KEY, Dial, Gather, Record

SPOKEN = "🔊 "
STAFF = "👤 "
WARNING = "⚠ "
HANG_UP = "h"
DIAL_FAILURES = {"": "no-answer", "n": "no-answer", "b": "busy", "f": "failed"}


def run_interactive(
    call: Call,
    input_fn: Callable[[str], str] = input,
    output_fn: Callable[[str], None] = print,
    deliver_callbacks: bool = True,
) -> Call:
    """Drive ``call`` from the keyboard until it ends; then deliver its callbacks."""
    if not call.started:
        call.start()
    shown = _Shown()
    while True:
        shown.flush(call, output_fn)
        if call.ended:
            output_fn(f"📴 Звонок завершён ({call.end_reason}), длительность {call.duration} с")
            if deliver_callbacks:
                replies = call.finish()
                shown.flush(call, output_fn)
                output_fn(f"↪ Доставлено обратных вызовов: {len(replies)}")
            return call
        try:
            line = input_fn(expectation(call)).strip()
        except EOFError:
            line = HANG_UP
        try:
            apply_line(call, line)
        except ValueError as error:
            output_fn(f"{WARNING}{error}")


class _Shown:
    """Remembers how much of the call has already been printed."""

    def __init__(self) -> None:
        self.said = self.staff = self.errors = 0

    def flush(self, call: Call, output_fn: Callable[[str], None]) -> None:
        for text in call.staff_said[self.staff :]:
            output_fn(f"{STAFF}(сотруднику) {text}")
        for text in call.said[self.said :]:
            output_fn(f"{SPOKEN}{text}")
        for error in call.errors[self.errors :]:
            output_fn(f"{WARNING}Twilio: {error}")
        self.said, self.staff, self.errors = len(call.said), len(call.staff_said), len(call.errors)


def expectation(call: Call) -> str:
    """The prompt that tells the user what the call waits for."""
    waiting = call.waiting
    if isinstance(waiting, Gather):
        rules = []
        if waiting.num_digits:
            rules.append(f"цифр: не больше {waiting.num_digits}")
        if waiting.finish_on_key:
            rules.append(f"{waiting.finish_on_key} — конец ввода")
        rules.append(f"тишина {waiting.timeout} с")
        if "speech" in waiting.input.split():
            rules.append("можно сказать словами")
        return f"⌨  Клавиши ({', '.join(rules)}; Enter — молчать, h — положить трубку): "
    if isinstance(waiting, Record):
        return (
            f"🎙  Запись (до {waiting.max_length} с, стоп: {waiting.finish_on_key or 'нет'}): "
            "«секунды клавиша», например «12 #»; «12» — замолчать; «12 h» — положить трубку; "
            "дальше можно написать, что звонящий говорит («12 # Нет отопления.»): "
        )
    if isinstance(waiting, Dial):
        numbers = ", ".join(number.number for number in waiting.numbers) or "?"
        return (
            f"📞 Вызов {numbers}: n — не ответили, b — занято, f — ошибка, "
            "y — ответили, «y 1» — ответили и нажали 1; h — положить трубку: "
        )
    return "> "


def apply_line(call: Call, line: str) -> None:
    """Turn one typed line into the matching driver call; raises ValueError if it makes no sense."""
    if line.lower() == HANG_UP:
        call.hangup()
        return
    waiting = call.waiting
    if isinstance(waiting, Gather):
        if all(key in ANY_KEY for key in line):
            call.press(line)
        elif "speech" in waiting.input.split():
            call.speak(line)
        else:
            raise ValueError(f"нужны клавиши {ANY_KEY}, а не {line!r}")
    elif isinstance(waiting, Record):
        seconds, finish, words = _recording(line)
        call.record(seconds, finish, words=words)
    elif isinstance(waiting, Dial):
        _dial(call, line)


def _recording(line: str) -> tuple[int, str, str]:
    """Seconds spoken, how the recording ends, and the words said (may be empty)."""
    parts = line.split(maxsplit=1)
    if not parts:
        return 0, TIMEOUT, ""
    try:
        seconds = int(parts[0])
    except ValueError:
        raise ValueError(f"сначала число секунд, например «12 #», а не {line!r}") from None
    rest = parts[1] if len(parts) > 1 else ""
    finish, _, words = rest.partition(" ")
    if finish.lower() == HANG_UP:
        return seconds, HANGUP, words.strip()
    if finish and all(key in ANY_KEY for key in finish):
        return seconds, finish, words.strip()
    return seconds, TIMEOUT, rest.strip()


def _dial(call: Call, line: str) -> None:
    word, _, keys = line.partition(" ")
    word = word.lower()
    if word in DIAL_FAILURES:
        call.dial(answer=False, status=DIAL_FAILURES[word])
    elif word == "y":
        call.dial(answer=True, staff_keys=keys.strip() or None)
    else:
        raise ValueError(f"непонятный ответ {line!r}: n, b, f, y или «y 1»")
