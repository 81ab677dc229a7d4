"""The heartbeat lease: a working worker keeps its claim past the lease; a silent one loses it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db, queue
from clinicfinder.services import leases


def claimed_report(app: Flask, token: str) -> str:
    now = datetime.now(UTC)
    report_id = str(uuid.uuid4())
    with app.app_context():
        db.session.add(
            ReportRequest(
                id=report_id, status=ReportStatus.MAKING, locale="en", answers={"treatment": "ivf"},
                recipient="lease@example.org", attempts=1, created_at=now, confirm_by=now + timedelta(hours=1),
                confirmed_at=now, claimed_at=now, claim_token=token, expires_at=now + timedelta(days=1),
            )
        )  # fmt: skip
        db.session.commit()
    return report_id


def test_a_worker_that_keeps_beating_keeps_its_report_and_one_that_stops_loses_it(app: Flask) -> None:
    app.config["REPORT_LEASE_SECONDS"] = 1.5  # beats every 0.5 s
    report_id = claimed_report(app, "the-worker")
    with app.app_context():
        with leases.heartbeat(report_id, "the-worker"):
            for _ in range(8):  # 4 s: well past the lease, which each beat renews
                time.sleep(0.5)
                assert leases.hand_out_stale() == 0
        time.sleep(2.0)  # no more beats: the claim lapses
        assert leases.hand_out_stale() == 1
        assert leases.hand_out_stale() == 0  # handed out once, by one worker
        row = db.session.scalars(select(ReportRequest)).one()
        assert row.status is ReportStatus.QUEUED and row.claim_token is None
        assert row.last_error == leases.LOST and row.recipient == "lease@example.org"  # nothing lost
    assert queue.huey.pending_count() == 1  # one job for the next worker


def test_a_heartbeat_never_renews_a_claim_that_another_worker_took(app: Flask) -> None:
    app.config["REPORT_LEASE_SECONDS"] = 1.5
    report_id = claimed_report(app, "someone-else")
    with app.app_context():
        with leases.heartbeat(report_id, "a-worker-that-lost-it"):
            time.sleep(2.0)
        assert leases.hand_out_stale() == 1  # the stale claim was not kept alive by the wrong worker
