"""``<Dial><Number url=…>``: the whisper / screening TwiML run on the answered child leg."""

from __future__ import annotations

from simulator.inputs import collect_digits
from simulator.leg import Leg
from simulator.twiml import Dial, Gather, Number
from simulator.webhooks import API_VERSION


def screen(
    parent: Leg,
    dial: Dial,
    number: Number,
    child_sid: str,
    staff_keys: str | list[str] | None,
) -> Leg:
    """Run ``number.url`` on a child leg (``Direction=outbound-dial``) and return the leg.

    ``staff_keys`` answer the leg's Gathers in turn (``None`` or an exhausted list: silence).
    The bridge happens when the TwiML runs to its end (``end_reason == "end-of-document"``);
    a ``<Hangup>`` (or an error) means the staff member did not take the call.
    """
    caller_id = dial.caller_id or parent.params["From"]
    params = {
        "AccountSid": parent.params["AccountSid"],
        "ApiVersion": API_VERSION,
        "CallSid": child_sid,
        "CallStatus": "in-progress",
        "Called": number.number,
        "Caller": caller_id,
        "Direction": "outbound-dial",
        "From": caller_id,
        "ParentCallSid": parent.params["CallSid"],
        "To": number.number,
    }
    child = Leg(parent.webhooks, parent.clock, params)
    child.answered = True
    answers = [staff_keys] if isinstance(staff_keys, str) else list(staff_keys or [])
    child.open(parent.resolve(number.url), number.method)
    while not child.ended:
        if not isinstance(child.waiting, Gather):
            message = f"<{type(child.waiting).__name__}> on a screening leg is not simulated"
            child.webhooks.error(None, message, child.document_url)
            child.hang_up()
            break
        result = collect_digits(child.waiting, answers.pop(0) if answers else "")
        child.clock.advance(result.seconds)
        child.submit_gather(child.waiting, {"Digits": result.digits})
    return child
