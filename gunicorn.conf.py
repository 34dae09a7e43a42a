"""gunicorn's settings for the service, read from the working directory it starts in.

The command line (README "Running in production") names the app, workers and address;
this file holds what every deployment wants.
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Move everything loading the app created out of the garbage collector's sight.

    A full collection otherwise walks those objects every time, and a request that
    triggers one waits some 65 ms for it (the staff pages' p99 in ``bench.queries``).
    """
    gc.freeze()
