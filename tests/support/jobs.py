"""Running what the worker would run, in the test's own thread."""

from __future__ import annotations

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
