"""A Twilio-faithful call driver for the voice webhooks (tests, benchmarks, terminal).

from simulator import FlaskTransport, Simulator

sim = Simulator(FlaskTransport(app.test_client()), auth_token="secret")
call = sim.incoming_call(from_="+79024712233", to="+73422368229").start()
call.press("2")
"""

from simulator.call import Call, CallStateError
from simulator.callbacks import PendingCallback
from simulator.leg import Utterance
from simulator.simulator import Simulator, inbound_params
from simulator.terminal import run_interactive
from simulator.transport import FlaskTransport, HttpTransport, Reply, Transport
from simulator.webhooks import Exchange, TwilioError

__all__ = [
    "Call",
    "CallStateError",
    "Exchange",
    "FlaskTransport",
    "HttpTransport",
    "PendingCallback",
    "Reply",
    "Simulator",
    "Transport",
    "TwilioError",
    "Utterance",
    "inbound_params",
    "run_interactive",
]
