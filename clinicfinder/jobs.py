"""The persistent job queue: Huey on SQLite by default, on Redis when `QUEUE_URL` says so.

Huey binds tasks to one instance and has no `init_app`, so `JobQueue` builds the instance
from the app's configuration; the jobs themselves live in `clinicfinder.tasks` and the factory
registers them by name. This module knows no job. Jobs carry ids only: the worker reloads what
it needs from the database.

Huey is imported when the queue is first used (a job queued, /healthz, the worker), not at start-up:
`huey.storage` imports redis and psycopg even for the SQLite queue, most of a web worker's cold start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from flask import Flask
    from huey.api import Huey, TaskWrapper

HEARTBEAT_KEY = "worker-heartbeat"
log = logging.getLogger(__name__)


def make_huey(queue_url: str) -> Huey:
    from huey import RedisHuey, SqliteHuey

    parts = urlsplit(queue_url)
    if parts.scheme == "redis":
        return RedisHuey("clinicfinder", url=queue_url)
    # sqlite:////abs/path or sqlite:///relative/path, as in SQLAlchemy URLs.
    return SqliteHuey("clinicfinder", filename=str(_sqlite_path(queue_url)))


def _sqlite_path(queue_url: str) -> Path:
    return Path(queue_url.removeprefix("sqlite:///"))


class JobQueue:
    """The app's Huey instance, built from the configuration; tasks are registered on it by name."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._huey: Huey | None = None
        self._lock = threading.Lock()
        self._jobs: dict[str, Callable[[str], None]] = {}
        self._periodic: dict[str, tuple[dict[str, str], Callable[[], None]]] = {}
        self._tasks: dict[str, TaskWrapper] = {}
        self._tickers: dict[str, tuple[float, Callable[[], None]]] = {}

    def init_app(self, app: Flask) -> None:
        self._url = app.config["QUEUE_URL"]
        if urlsplit(self._url).scheme != "redis":
            # The instance directory is made here, at start-up, as before: the database lives there too.
            _sqlite_path(self._url).parent.mkdir(parents=True, exist_ok=True)
        self._huey = None
        self._jobs, self._periodic, self._tasks, self._tickers = {}, {}, {}, {}
        app.extensions["queue"] = self

    def task(self, name: str, function: Callable[[str], None]) -> None:
        """Register a job that takes one id; it is queued by `name`, never by passing objects."""
        if self._huey is not None:
            raise RuntimeError("register jobs before the queue is first used")
        self._jobs[name] = function

    def periodic(self, name: str, function: Callable[[], None], **schedule: str) -> None:
        """A job on a Huey crontab, given by its fields (`minute="*/10"`), so registering it imports no Huey."""
        if self._huey is not None:
            raise RuntimeError("register jobs before the queue is first used")
        self._periodic[name] = (schedule, function)

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
        self.huey  # noqa: B018 - builds the instance and its task wrappers on first use
        wrapper = self._tasks[task]
        if delay:
            wrapper.schedule((job_id,), delay=delay)
        else:
            wrapper(job_id)

    @property
    def huey(self) -> Huey:
        """The Huey instance, built with every registered job on first use (once, whichever thread asks)."""
        if self._huey is None:
            with self._lock:
                if self._huey is None:
                    self._huey = self._build()
        return self._huey

    def _build(self) -> Huey:
        if self._url is None:
            raise RuntimeError("JobQueue.init_app() has not been called")
        from huey import crontab

        huey = make_huey(self._url)
        self._tasks = {name: huey.task(name=name)(function) for name, function in self._jobs.items()}
        for name, (schedule, function) in self._periodic.items():
            huey.periodic_task(crontab(**schedule), name=name)(function)
        return huey

    def beat(self) -> None:
        self.huey.storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())

    def status(self) -> dict[str, Any]:
        """Queue health for /healthz: is the storage reachable, how much waits, when the worker last beat."""
        pending = self.huey.pending_count()
        from huey.constants import EmptyData

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
