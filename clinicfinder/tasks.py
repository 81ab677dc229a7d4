"""Every background job, registered by name on the app's queue (see `jobs.JobQueue`).

The web process and the worker run the same registration, so a job queued by one is known to
the other. A job takes an id, never an object or personal data, and runs in an app context.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from clinicfinder.db.models import utcnow
from clinicfinder.extensions import db, queue
from clinicfinder.services import account_emails, delivery, journey, leases, login_throttle, report_retention

SEND_CONFIRMATION = "send_confirmation"
DELIVER_REPORT = "deliver_report"


def register_tasks(app: Flask) -> None:
    def in_app(function: Callable[..., object]) -> Callable[..., None]:
        def run(*args: str) -> None:
            with app.app_context():
                function(*args)

        run.__name__ = function.__name__
        return run

    queue.task(SEND_CONFIRMATION, in_app(delivery.send_confirmation))
    queue.task(DELIVER_REPORT, in_app(delivery.deliver_report))
    queue.task(account_emails.SEND_PASSWORD_RESET, in_app(account_emails.send_password_reset))
    queue.task(account_emails.SEND_INVITATION, in_app(account_emails.send_invitation))
    queue.periodic("worker_heartbeat", queue.beat, minute="*")
    # A dead worker's report goes to another within about a lease, not at the next minute's sweep.
    queue.every("hand_out_stale_reports", leases.check_seconds(app.config["REPORT_LEASE_SECONDS"]),
                in_app(leases.hand_out_stale))  # fmt: skip
    # Hand out again what a dead worker or a lost message left, and delete what has expired.
    queue.periodic("sweep_reports", in_app(sweep_and_purge_reports), minute="*")
    # Patients' answers live an idle hour at most (see services/journey.py).
    queue.periodic("purge_expired_answers", in_app(purge_expired_answers), minute="*/10")
    queue.periodic("purge_login_throttles", in_app(purge_login_throttles), minute="17")


def sweep_and_purge_reports() -> None:
    delivery.sweep()
    report_retention.purge()


def purge_expired_answers() -> None:
    journey.purge_expired()


def purge_login_throttles() -> None:
    login_throttle.purge(db.session, utcnow())
