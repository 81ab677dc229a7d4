"""The persistent job queue: Huey on SQLite by default, on Redis when `QUEUE_URL` says so.

Huey binds tasks to one instance and has no `init_app`, so `JobQueue` builds the instance
from the app's configuration; the jobs themselves live in `clinicfinder.tasks` and the factory
registers them by name. This module knows no job. Jobs carry ids only: the worker reloads what
it needs from the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper
from huey.constants import EmptyData

if TYPE_CHECKING:
    from flask import Flask

HEARTBEAT_KEY = "worker-heartbeat"
log = logging.getLogger(__name__)


def make_huey(queue_url: str) -> Huey:
    parts = urlsplit(queue_url)
    if parts.scheme == "redis":
        return RedisHuey("clinicfinder", url=queue_url)
    # sqlite:////abs/path or sqlite:///relative/path, as in SQLAlchemy URLs.
    path = Path(queue_url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("clinicfinder", filename=str(path))


class JobQueue:
    """The app's Huey instance, built from the configuration; tasks are registered on it by name."""

    def __init__(self) -> None:
        self._huey: Huey | None = None
        self._tasks: dict[str, TaskWrapper] = {}
        self._tickers: dict[str, tuple[float, Callable[[], None]]] = {}

    def init_app(self, app: Flask) -> None:
        self._huey = make_huey(app.config["QUEUE_URL"])
        self._tasks = {}
        self._tickers = {}
        app.extensions["queue"] = self

    def task(self, name: str, function: Callable[[str], None]) -> None:
        """Register a job that takes one id; it is queued by `name`, never by passing objects."""
        self._tasks[name] = self.huey.task(name=name)(function)

    def periodic(self, name: str, schedule: Callable[..., bool], function: Callable[[], None]) -> None:
        self.huey.periodic_task(schedule, name=name)(function)

    def every(self, name: str, seconds: float, function: Callable[[], None]) -> None:
        """A job more frequent than Huey's crontab allows (a minute), run by a thread of each worker process."""
        self._tickers[name] = (seconds, function)

    def start_tickers(self) -> list[threading.Thread]:
        """Start the `every` jobs in daemon threads: they end with the worker process, killed or not."""
        threads = []
        for name, (seconds, function) in self._tickers.items():
            thread = threading.Thread(target=_tick, args=(name, seconds, function), name=name, daemon=True)
            thread.start()
            threads.append(thread)
        return threads

    def enqueue(self, task: str, job_id: str, delay: float | None = None) -> None:
        """Queue a job by name with one id as its only argument, now or after `delay` seconds."""
        wrapper = self._tasks[task]
        if delay:
            wrapper.schedule((job_id,), delay=delay)
        else:
            wrapper(job_id)

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            raise RuntimeError("JobQueue.init_app() has not been called")
        return self._huey

    def beat(self) -> None:
        self.huey.storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())

    def status(self) -> dict[str, Any]:
        """Queue health for /healthz: is the storage reachable, how much waits, when the worker last beat."""
        pending = self.huey.pending_count()
        beat = self.huey.storage.peek_data(HEARTBEAT_KEY)
        last_seen = None if beat is EmptyData else float(beat)
        return {
            "pending": pending,
            "worker_seconds_since_heartbeat": None if last_seen is None else round(time.time() - last_seen, 1),
        }


def _tick(name: str, seconds: float, function: Callable[[], None]) -> None:
    while True:
        time.sleep(seconds)
        try:
            function()
        except Exception:  # a database hiccup: the next tick tries again
            log.warning("periodic job %s failed", name, exc_info=True)
