"""Failures on our side show at once: /healthz, the patient's progress page and the delivery-health page.

An unwritable reports folder (a file where the folder should be: it stops root as well) and a
full one (a real 16 KB tmpfs when this machine lets the test mount one, otherwise a write that
fails with ENOSPC half-way, as a full disk does) each leave the report waiting for a retry, the
patient told "delayed — we are retrying", the site admin shown why, and no half-written PDF.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db, queue
from clinicfinder.services import delivery, report_retention
from tests.support.admin import logged_in, make_admins, text
from tests.support.jobs import run_jobs
from tests.support.journey import TOKEN, answer_all, post
from tests.support.mail import Mailsink

DELAYED = "Delayed — we are retrying."


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "REPORT_RETRY_SECONDS": "30", "REPORT_LIMIT_PER_IP": "1000 per hour", "MAIL_TIMEOUT": "2"}


@pytest.fixture
def confirmed(seeded_app: Flask, smtp: Mailsink) -> FlaskClient:
    """A patient whose address is confirmed: the report's job waits in the queue, not yet run."""
    patient = seeded_app.test_client()
    answer_all(patient, location="60611", treatment="ivf", budget="20000")
    post(patient, "/report/email", {"email": "delayed.patient@example.org", "leave_blank": ""}, page="/find/results")
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    body = next(
        part.get_payload(decode=True) for part in confirmation.walk() if part.get_content_type() == "text/plain"
    )
    assert isinstance(body, bytes)
    found = re.search(r"/report/confirm\?t=\S+", body.decode())
    assert found
    page = patient.get(found.group(0)).get_data(as_text=True)
    token, csrf = re.search(r'name="token"[^>]*value="([^"]+)"', page), TOKEN.search(page)
    assert token and csrf
    patient.post("/report/confirm", data={"csrf_token": csrf.group(1), "token": token.group(1)})
    return patient


def run_queued_job(app: Flask) -> None:
    """The one job waiting now, as a worker thread runs it (the retry it schedules stays scheduled)."""
    with app.app_context():
        task = queue.huey.dequeue()
        assert task is not None
        queue.huey.execute(task)


def row(app: Flask) -> ReportRequest:
    with app.app_context():
        found = db.session.scalars(select(ReportRequest)).one()
        db.session.expunge_all()
        return found


def assert_it_shows_everywhere(app: Flask, patient: FlaskClient, error: str) -> None:
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["reports"]["status"] == "unavailable"

    assert patient.get("/report/progress.json").get_json()["stage"] == "delayed"
    page = patient.get("/report/progress").get_data(as_text=True)
    assert DELAYED in page and "waiting for its turn" not in page

    admin_page = text(logged_in(app, make_admins(app).site).get("/admin/health"))
    retried = admin_page.split("<h2>Being retried</h2>", 1)[1].split("<h2>Recent failures</h2>", 1)[0]
    assert f'<td class="value">{error}</td>' in retried
    assert "delayed.patient@example.org" not in admin_page


def assert_one_retry_waits(app: Flask) -> None:
    """Exactly one later attempt waits (queued with its time, or in the schedule); the sweep adds no second."""
    huey = queue.huey
    assert huey.pending_count() + huey.scheduled_count() == 1
    with app.app_context():
        assert delivery.sweep() == 0
    assert huey.pending_count() + huey.scheduled_count() == 1


def test_an_unwritable_reports_folder_shows_on_healthz_the_progress_page_and_delivery_health(
    seeded_app: Flask, confirmed: FlaskClient
) -> None:
    patient = confirmed
    assert patient.get("/report/progress.json").get_json()["stage"] == "queued"
    reports = Path(seeded_app.config["REPORTS_DIR"])
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.write_text("not a folder")  # as broken as a read-only mount, even for root
    run_queued_job(seeded_app)

    failing = row(seeded_app)
    assert failing.status is ReportStatus.QUEUED and failing.attempts == 1
    assert failing.answers is not None  # kept for the retry
    assert_it_shows_everywhere(seeded_app, patient, failing.last_error or "")
    assert seeded_app.test_client().get("/healthz").get_json()["checks"]["reports"]["error"] in (
        "FileExistsError",
        "NotADirectoryError",
    )
    assert_one_retry_waits(seeded_app)

    reports.unlink()  # fixed: /healthz says so at once
    assert seeded_app.test_client().get("/healthz").get_json()["checks"]["reports"]["status"] == "ok"


@contextlib.contextmanager
def full_folder(app: Flask, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A folder on a 16 KB filesystem (a real tmpfs when mount is allowed); yields which it is.

    Otherwise the folder is an ordinary one made to look full: /healthz's threshold above any free
    space, and the PDF's write failing with ENOSPC half-way.
    """
    folder.mkdir(parents=True)
    try:
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], capture_output=True)
        mounted = mount.returncode == 0
    except OSError:  # no mount command at all
        mounted = False
    if mounted:
        try:
            yield "tmpfs"
        finally:
            subprocess.run(["umount", str(folder)], check=True)
        return
    real_fdopen = os.fdopen

    def fdopen_that_fills(descriptor: int, *args: Any, **kwargs: Any) -> Any:
        stream = real_fdopen(descriptor, *args, **kwargs)

        def write(data: bytes) -> int:  # half of it lands, then the disk is full
            stream.raw.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        stream.write = write
        return stream

    monkeypatch.setattr(report_retention.os, "fdopen", fdopen_that_fills)
    monkeypatch.setitem(app.config, "REPORTS_MIN_FREE_MB", 10**12)
    yield "ENOSPC simulated"


def test_a_full_reports_folder_shows_everywhere_and_leaves_no_partial_pdf(
    seeded_app: Flask, confirmed: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = confirmed
    small = tmp_path / "small"
    with full_folder(seeded_app, small, monkeypatch):
        seeded_app.config["REPORTS_DIR"] = str(small)
        free = seeded_app.test_client().get("/healthz").get_json()["checks"]["reports"]
        assert free["status"] == "unavailable" and free["error"] == "low on space"

        run_queued_job(seeded_app)
        failing = row(seeded_app)
        assert failing.last_error == "OSError ENOSPC"
        assert failing.status is ReportStatus.QUEUED and failing.attempts == 1
        assert list(small.iterdir()) == []  # the half-written .part went with the failure
        assert_it_shows_everywhere(seeded_app, patient, "OSError ENOSPC")
        assert_one_retry_waits(seeded_app)
