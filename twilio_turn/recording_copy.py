"""After Twilio's recording status callback: the recording's copy home goes on the task queue.

Once a recording callback's transaction is committed, the adapter calls :func:`copy_soon`,
which enqueues :func:`tasks.outbound.copy_recording` (``RECORDINGS_COPY=queue``): no web
worker waits for a download. ``RECORDINGS_COPY=off`` leaves every copy to the periodic
``recordings sync``.
"""

from __future__ import annotations

import logging

from flask import current_app

from calllog.facts import RecordingFacts
from outbound.recording_media import RECORDING_SID
from tasks.outbound import copy_recording, enqueue

log = logging.getLogger(__name__)

COPY_MODES = ("queue", "off")


def copy_soon(recording: RecordingFacts) -> None:
    """After the callback's commit: queue the copy of the recording it names.

    A callback saying ``failed`` queues the same task, which flags the recording for staff.
    """
    sid, status = recording.sid, recording.status
    if not RECORDING_SID.fullmatch(sid) or status not in ("completed", "failed"):
        return
    mode = str(current_app.config["RECORDINGS_COPY"]).strip().lower()
    if mode not in COPY_MODES:
        log.error("RECORDINGS_COPY must be one of %s; queueing the copy", ", ".join(COPY_MODES))
    if mode == "off":
        return
    enqueue(copy_recording, sid, status)
