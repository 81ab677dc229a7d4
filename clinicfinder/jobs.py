"""The persistent job queue: Huey on SQLite by default, on Redis when `QUEUE_URL` says so.

Huey binds tasks to one instance at import time and has no `init_app`, so `JobQueue`
builds the instance from the app's configuration and registers the tasks on it. The web
process and the worker run the same registration, so a job enqueued by one is known to
the other. Jobs carry ids only: the worker reloads what it needs from the database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.constants import EmptyData

if TYPE_CHECKING:
    from flask import Flask

HEARTBEAT_KEY = "worker-heartbeat"


def make_huey(queue_url: str) -> Huey:
    parts = urlsplit(queue_url)
    if parts.scheme == "redis":
        return RedisHuey("clinicfinder", url=queue_url)
    # sqlite:////abs/path or sqlite:///relative/path, as in SQLAlchemy URLs.
    path = Path(queue_url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("clinicfinder", filename=str(path))


class JobQueue:
    def __init__(self) -> None:
        self._huey: Huey | None = None
        self._tasks: dict[str, TaskWrapper] = {}

    def init_app(self, app: Flask) -> None:
        self._huey = make_huey(app.config["QUEUE_URL"])
        self._tasks = _register_tasks(self._huey, app)
        app.extensions["queue"] = self

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

    def status(self) -> dict[str, Any]:
        """Queue health for /healthz: is the storage reachable, how much waits, when the worker last beat."""
        pending = self.huey.pending_count()
        beat = self.huey.storage.peek_data(HEARTBEAT_KEY)
        last_seen = None if beat is EmptyData else float(beat)
        return {
            "pending": pending,
            "worker_seconds_since_heartbeat": None if last_seen is None else round(time.time() - last_seen, 1),
        }


def _register_tasks(huey: Huey, app: Flask) -> dict[str, TaskWrapper]:
    from clinicfinder.reports import delivery

    @huey.periodic_task(crontab(minute="*"))
    def worker_heartbeat() -> None:
        huey.storage.put_data(HEARTBEAT_KEY, str(time.time()).encode())

    @huey.task()
    def send_confirmation(report_id: str) -> None:
        with app.app_context():
            delivery.send_confirmation(report_id)

    @huey.task()
    def deliver_report(report_id: str) -> None:
        with app.app_context():
            delivery.deliver_report(report_id)

    @huey.periodic_task(crontab(minute="*"))
    def sweep_reports() -> None:
        """Hand out again what a dead worker or a lost message left, and delete what has expired."""
        with app.app_context():
            delivery.sweep()
            delivery.purge()

    @huey.periodic_task(crontab(minute="*/10"))
    def purge_expired_answers() -> None:
        """Patients' answers live an idle hour at most (see patient/journey.py)."""
        from clinicfinder.patient import journey

        with app.app_context():
            journey.purge_expired()

    return {"send_confirmation": send_confirmation, "deliver_report": deliver_report}
