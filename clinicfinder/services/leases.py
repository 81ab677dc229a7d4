"""A worker's claim on a report is a short lease, renewed while it works (a heartbeat).

A claim (`claimed_at`, `claim_token` on the row) older than REPORT_LEASE_SECONDS means the
worker died: killed, out of memory, its host lost. A live worker renews its claim every third
of the lease from a thread of its own, so a slow render or a slow relay never looks dead, and
`hand_out_stale` (run every sixth of the lease by each worker process) gives a dead worker's report
to the next one within about a lease. Every write after a claim names its token, so a worker
that lost its lease changes nothing and sends nothing: still exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db, queue

log = logging.getLogger(__name__)

LOST = "WorkerLost"  # last_error when a lease ran out: the patient sees "delayed — we are retrying"


def now() -> datetime:
    return datetime.now(UTC)


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["REPORT_LEASE_SECONDS"])


def beat_seconds(lease_seconds: float) -> float:
    return max(lease_seconds / 3, 0.2)


def check_seconds(lease_seconds: float) -> float:
    """How often each worker looks for lapsed leases: a dead worker's report waits at most a lease and this."""
    return max(lease_seconds / 6, 0.2)


@contextlib.contextmanager
def heartbeat(report_id: str, token: str) -> Iterator[None]:
    """Renew the claim every third of the lease until the block ends (or the claim is lost)."""
    engine = db.engine  # bound here, in the app context; the thread uses its own connection
    interval = beat_seconds(current_app.config["REPORT_LEASE_SECONDS"])
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(interval):
            try:
                with engine.begin() as connection:
                    renewed = connection.execute(
                        sa.update(ReportRequest)
                        .where(ReportRequest.id == report_id, ReportRequest.claim_token == token)
                        .values(claimed_at=now())
                    ).rowcount
            except Exception as error:  # a busy database: the next beat tries again, within the lease
                log.warning("report lease: heartbeat failed (%s)", type(error).__name__)
                continue
            if not renewed:
                return  # erased, or handed to another worker: its own writes will stop this one

    thread = threading.Thread(target=renew, name="report-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 10)


def hand_out_stale() -> int:
    """Give every report whose worker stopped renewing its lease back to the queue; returns how many."""
    stale = now() - lease()
    # One conditional UPDATE: of several workers running this, only one hands out each report.
    released = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.status == ReportStatus.MAKING, ReportRequest.claimed_at < stale,
               ReportRequest.sent_at.is_(None))
        .values(status=ReportStatus.QUEUED, claimed_at=None, claim_token=None, next_attempt_at=now(), last_error=LOST)
        .returning(ReportRequest.id)
    ).scalars().all()  # fmt: skip
    db.session.commit()
    for report_id in released:
        try:
            queue.enqueue("deliver_report", report_id)
        except Exception:  # the queue is down: the minute sweep re-enqueues QUEUED rows from the table
            log.warning("report lease: could not re-enqueue a handed-out report", exc_info=True)
    if released:
        log.info("report lease: %s report(s) handed out again after their worker stopped", len(released))
    return len(released)
