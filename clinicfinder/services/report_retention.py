"""What an emailed report leaves behind, and how long: the PDF on disk and the request's row.

A PDF lives in REPORTS_DIR only while its job is queued or being made; a row keeps no answers or
address once the report is sent, erased, expired or failed, and is deleted after its retention.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db


def now() -> datetime:
    return datetime.now(UTC)


def pdf_path(report_id: str) -> Path:
    return Path(current_app.config["REPORTS_DIR"]) / f"{uuid.UUID(report_id)}.pdf"


def purge() -> dict[str, int]:
    """Delete what has outlived its purpose: unconfirmed answers, old rows, stray PDFs."""
    expired = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.status == ReportStatus.AWAITING_CONFIRMATION, ReportRequest.confirm_by < now())
        .values(status=ReportStatus.EXPIRED, answers=None, recipient=None, claimed_at=None)
    )
    db.session.commit()
    old = list(db.session.scalars(sa.select(ReportRequest.id).where(ReportRequest.expires_at < now())))
    delete_requests(old)
    files = purge_files()
    return {"expired": int(getattr(expired, "rowcount", 0) or 0), "deleted": len(old), "files": files}


def delete_requests(report_ids: list[str]) -> None:
    if not report_ids:
        return
    db.session.execute(sa.delete(ReportRequest).where(ReportRequest.id.in_(report_ids)))
    db.session.commit()
    for report_id in report_ids:
        pdf_path(report_id).unlink(missing_ok=True)


def purge_files() -> int:
    """PDFs with no live job behind them (sent, erased, failed, or left by a crash)."""
    folder = Path(current_app.config["REPORTS_DIR"])
    if not folder.is_dir():
        return 0
    live = set(
        db.session.scalars(
            sa.select(ReportRequest.id).where(ReportRequest.status.in_([ReportStatus.QUEUED, ReportStatus.MAKING]))
        )
    )
    removed = 0
    for path in [*folder.glob("*.pdf"), *folder.glob("*.part")]:
        if path.stem not in live:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
