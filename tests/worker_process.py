"""A task-queue worker in a process of its own, for ``test_worker.py`` to kill.

``python -m tests.worker_process SETTINGS.json`` builds the app from the settings and runs
``flask --app app worker``'s command in it. Its Twilio is the fake ``HttpClient``, which
writes every request it answers to ``TWILIO_LOG`` (one line: method, URL) and, while the
file ``HANG`` exists, holds a recording's download (after touching ``HANG``.started).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from twilio.http.response import Response

from app import create_app
from cli import worker
from tests.fakes import FakeTwilioHttp, fake_audio


class LoggedTwilio(FakeTwilioHttp):
    log_path: Path
    hang: Path

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if method == "GET" and url.endswith(".mp3") and self.hang.exists():
            self.hang.with_suffix(".started").touch()
            while self.hang.exists():
                time.sleep(0.05)
        with self.log_path.open("a") as log:
            log.write(f"{method} {url}\n")
        return super().request(method, url, *args, **kwargs)


def main(settings_path: str) -> None:
    settings = json.loads(Path(settings_path).read_text())
    twilio = LoggedTwilio(any_audio=fake_audio())
    twilio.log_path = Path(settings.pop("TWILIO_LOG"))
    twilio.hang = Path(settings.pop("HANG"))
    app = create_app({**settings, "TWILIO_HTTP_CLIENT": twilio})
    with app.app_context():
        worker.main(["--workers", "2"], prog_name="worker", standalone_mode=False)


if __name__ == "__main__":
    main(sys.argv[1])
