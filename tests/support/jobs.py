"""The worker's loop, run in the test's own thread: every queued job, then the scheduled retries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Flask

from clinicfinder.extensions import queue


def run_jobs(app: Flask) -> None:
    """What the worker does, in this thread: every queued job, then the periodic sweep's re-enqueues."""
    huey = queue.huey
    for _ in range(50):
        task = huey.dequeue()
        if task is None:
            # Retries wait in Huey's schedule: wait for the next one (tests use a 0.2 s backoff).
            for later in huey.read_schedule(datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=2)):
                time.sleep(max(0.0, (later.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) + 0.05)
                later.eta = None
                huey.enqueue(later)
            task = huey.dequeue()
            if task is None:
                return
        huey.execute(task)
    raise AssertionError("the queue never emptied")
