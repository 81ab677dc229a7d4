"""Report delivery health for site admins: counts and failures, never a recipient or an answer. No Flask."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from clinicfinder.db.models import ReportRequest, ReportStatus

if TYPE_CHECKING:  # a type only: db.directory (the CSV records) is not needed at run time
    from clinicfinder.db.directory import AnySession

WINDOWS = (("Last 24 hours", timedelta(hours=24)), ("Last 7 days", timedelta(days=7)))
RECENT_FAILURES = 20
# A mail server's refusal often quotes the address ("550 <jo@example.org>: no such user").
_EMAIL = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")


@dataclass(frozen=True)
class Failure:
    created_at: datetime
    attempts: int
    error: str


@dataclass(frozen=True)
class Health:
    counts: list[tuple[str, dict[ReportStatus, int]]]
    failures: list[Failure]
    # Not failed yet, but the last attempt did: a full disk or a relay outage shows here at once.
    retrying: list[Failure]


def redact(text: str | None) -> str:
    return _EMAIL.sub("[address removed]", text or "")


def delivery_health(session: AnySession, now: datetime) -> Health:
    counts = []
    for label, span in WINDOWS:
        rows = session.execute(
            select(ReportRequest.status, func.count())
            .where(ReportRequest.created_at >= now - span)
            .group_by(ReportRequest.status)
        ).all()
        found: dict[ReportStatus, int] = dict(rows)
        counts.append((label, {status: found.get(status, 0) for status in ReportStatus}))
    # Only these three columns are read: the query can't leak what it doesn't select.
    failed = session.execute(
        select(ReportRequest.created_at, ReportRequest.attempts, ReportRequest.last_error)
        .where(ReportRequest.status == ReportStatus.FAILED)
        .order_by(ReportRequest.created_at.desc())
        .limit(RECENT_FAILURES)
    ).all()
    retrying = session.execute(
        select(ReportRequest.created_at, ReportRequest.attempts, ReportRequest.last_error)
        .where(
            ReportRequest.status.in_([ReportStatus.AWAITING_CONFIRMATION, ReportStatus.QUEUED, ReportStatus.MAKING]),
            ReportRequest.last_error.is_not(None),
        )
        .order_by(ReportRequest.created_at.desc())
        .limit(RECENT_FAILURES)
    ).all()
    return Health(
        counts,
        [Failure(row.created_at, row.attempts, redact(row.last_error)) for row in failed],
        [Failure(row.created_at, row.attempts, redact(row.last_error)) for row in retrying],
    )
