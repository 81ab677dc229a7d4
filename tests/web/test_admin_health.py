"""Report delivery health for site admins: counts per state and recent failures, and no patient data."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from clinicfinder.db.models import ReportRequest, ReportStatus, utcnow
from clinicfinder.extensions import db
from clinicfinder.services.delivery_health import redact
from tests.support.admin import admin_app, logged_in, text

PATIENT = "patient.private@example.org"


def request_row(status: ReportStatus, hours_ago: float, error: str | None = None) -> ReportRequest:
    created = utcnow() - timedelta(hours=hours_ago)
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()), "status": status, "locale": "en", "recipient": PATIENT, "recipient_hash": "h" * 64,
        "answers": {"diagnosis": "non_obstructive_azoospermia", "location": "Secret Town"},
        "attempts": 3 if error else 1, "last_error": error, "created_at": created,
        "expires_at": created + timedelta(days=1),
    }  # fmt: skip
    # Only the columns health reads are relied on; the report feature adds required ones of its own.
    if hasattr(ReportRequest, "confirm_by"):
        values["confirm_by"] = created + timedelta(days=1)
    return ReportRequest(**values)


def cells(counts: dict[ReportStatus, int]) -> list[str]:
    """The table row's cells, one per status in ReportStatus order, whatever statuses exist."""
    return ["".join(f"<td>{counts.get(status, 0)}</td>" for status in ReportStatus)]


def test_a_site_admin_sees_delivery_counts_and_failures_without_any_patient_data(app: Flask, tmp_path: Path) -> None:
    app, admins = admin_app(app, tmp_path)
    with app.app_context():
        db.session.add_all(
            [
                request_row(ReportStatus.SENT, 1),
                request_row(ReportStatus.SENT, 2),
                request_row(ReportStatus.QUEUED, 0.1),
                request_row(ReportStatus.FAILED, 5, f"550 5.1.1 <{PATIENT}>: Recipient address rejected"),
                request_row(ReportStatus.SENT, 24 * 3),  # in the week, not the day
                request_row(ReportStatus.FAILED, 24 * 10, "timed out"),  # older than both windows
            ]
        )
        db.session.commit()
    page = text(logged_in(app, admins.site).get("/admin/health"))
    day = page.split("Last 24 hours</th>", 1)[1].split("</tr>", 1)[0]
    week = page.split("Last 7 days</th>", 1)[1].split("</tr>", 1)[0]
    sent, queued, failed = ReportStatus.SENT, ReportStatus.QUEUED, ReportStatus.FAILED
    assert day.split() == cells({queued: 1, sent: 2, failed: 1})
    assert week.split() == cells({queued: 1, sent: 3, failed: 1})
    assert "550 5.1.1 &lt;[address removed]&gt;: Recipient address rejected" in page
    assert "timed out" in page  # recent failures are listed whatever their age
    for private in (PATIENT, "Secret Town", "azoospermia"):
        assert private not in page


def test_redaction_removes_every_address_from_an_error() -> None:
    assert redact("to a@b.example and 'c.d@e.example' failed") == "to [address removed] and '[address removed]' failed"
    assert redact(None) == ""
