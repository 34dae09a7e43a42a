"""What Twilio makes of the caller's keys and speech during ``<Gather>`` and ``<Record>``."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.twiml import ANY_KEY, Gather, Record

#: Simulated time for one key press.
KEY_SECONDS = 1.0
#: Recording endings that are not a key.
TIMEOUT = "timeout"
HANGUP = "hangup"


def check_keys(keys: str) -> None:
    """Reject anything a phone keypad cannot send (a mistake in the test, not in the app)."""
    bad = sorted({key for key in keys if key not in ANY_KEY})
    if bad:
        raise ValueError(f"not keypad keys: {''.join(bad)!r} (allowed: {ANY_KEY})")


@dataclass(frozen=True)
class GatherResult:
    """``digits`` as posted in ``Digits`` ('' = no input) and the seconds the input took."""

    digits: str
    seconds: float


def collect_digits(gather: Gather, keys: str) -> GatherResult:
    """Apply ``numDigits``, ``finishOnKey`` and ``timeout`` to the keys the caller presses.

    Collection stops at ``finishOnKey`` (not included) or at ``numDigits`` digits; keys after
    that are ignored.  Otherwise the collection ends with the timeout and Twilio submits what
    was typed.  A Gather without ``dtmf`` in ``input`` ignores keys altogether.
    """
    check_keys(keys)
    if "dtmf" not in gather.input.split():
        return GatherResult("", float(gather.timeout))
    digits = ""
    seconds = 0.0
    for key in keys:
        seconds += KEY_SECONDS
        if gather.finish_on_key and key in gather.finish_on_key:
            return GatherResult(digits, seconds)
        digits += key
        if gather.num_digits and len(digits) >= gather.num_digits:
            return GatherResult(digits, seconds)
    return GatherResult(digits, seconds + gather.timeout)


@dataclass(frozen=True)
class RecordingResult:
    """The outcome of ``<Record>``.

    ``digits`` is the ``Digits`` parameter (``None``: not sent, i.e. silence timeout or
    ``maxLength``), ``duration`` the ``RecordingDuration`` and ``seconds`` the call time used.
    """

    duration: int
    digits: str | None
    seconds: float

    @property
    def hung_up(self) -> bool:
        return self.digits == HANGUP


def record_outcome(record: Record, seconds: int, finish: str) -> RecordingResult:
    """The caller speaks for ``seconds`` and then presses ``finish``, goes silent or hangs up.

    A key that is not in ``finishOnKey`` is ignored, so the recording ends by the silence
    timeout.  With ``trim="trim-silence"`` (the default) the trailing silence is not counted in
    ``RecordingDuration``.  ``timeout="0"`` disables the silence timeout: only ``maxLength``
    ends the recording.
    """
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    if finish not in (TIMEOUT, HANGUP):
        if len(finish) != 1:
            raise ValueError(f"finish must be one key, {TIMEOUT!r} or {HANGUP!r}")
        check_keys(finish)
    if seconds >= record.max_length:
        return RecordingResult(record.max_length, None, float(record.max_length))
    if finish == HANGUP:
        return RecordingResult(seconds, HANGUP, float(seconds))
    if finish != TIMEOUT and finish in record.finish_on_key:
        return RecordingResult(seconds, finish, seconds + KEY_SECONDS)
    silence = record.timeout if record.timeout > 0 else record.max_length - seconds
    silence = min(silence, record.max_length - seconds)
    duration = seconds if record.trim != "do-not-trim" else seconds + silence
    return RecordingResult(duration, None, float(seconds + silence))
