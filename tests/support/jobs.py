"""Running what the worker would run, in the test's own thread."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Flask

from clinicfinder.extensions import queue


def run_queued_jobs(app: Flask, limit: int = 50) -> int:
    """Execute every job waiting in the app's persistent queue; returns how many ran."""
    huey = queue.huey
    with app.app_context():
        for ran in range(limit):
            task = huey.dequeue()
            if task is None:
                return ran
            huey.execute(task)
    raise AssertionError("the queue never emptied")


def pending_jobs(app: Flask) -> int:
    with app.app_context():
        return int(queue.huey.pending_count())


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
