"""What an emailed report leaves behind, and how long: the PDF on disk and the request's row.

A PDF lives in REPORTS_DIR only while its job is queued or being made; a row keeps no answers or
address once the report is sent, erased, expired or failed, and is deleted after its retention.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from clinicfinder.db import erasure
from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db


def now() -> datetime:
    return datetime.now(UTC)


def pdf_path(report_id: str) -> Path:
    return Path(current_app.config["REPORTS_DIR"]) / f"{uuid.UUID(report_id)}.pdf"


def stored_pdf(report_id: str, render: Callable[[], bytes]) -> bytes:
    """The report's PDF, rendered once: a retry after an SMTP failure sends the same file.

    Written under a `.part` name and renamed, so a crash never leaves half a PDF under the final
    name; a write that fails (a full disk, a folder gone read-only) removes its `.part` at once.
    """
    path = pdf_path(report_id)
    if path.is_file():
        return path.read_bytes()
    pdf = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        # Only the app's user may read a health report on disk.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pdf)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return pdf


def purge() -> dict[str, int]:
    """Delete what has outlived its purpose: unconfirmed answers, old rows, stray PDFs."""
    expired = db.session.execute(
        sa.update(ReportRequest)
        .where(ReportRequest.status == ReportStatus.AWAITING_CONFIRMATION, ReportRequest.confirm_by < now())
        .values(status=ReportStatus.EXPIRED, answers=None, recipient=None, claimed_at=None)
    )
    db.session.commit()
    old = list(db.session.scalars(sa.select(ReportRequest.id).where(ReportRequest.expires_at < now())))
    delete_requests(old, reclaim=False)
    files = purge_files()
    erasure.scrub(db.session, ("report_requests",))  # the freed rows' bytes too, not only the rows
    return {"expired": int(getattr(expired, "rowcount", 0) or 0), "deleted": len(old), "files": files}


def delete_requests(report_ids: list[str], *, reclaim: bool = True) -> None:
    if not report_ids:
        return
    db.session.execute(sa.delete(ReportRequest).where(ReportRequest.id.in_(report_ids)))
    db.session.commit()
    if reclaim:
        erasure.checkpoint(db.session)
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
