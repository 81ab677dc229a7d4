"""`GET /healthz`: is the database answering, is the job queue reachable, does the SMTP relay answer,
can reports be written?

A load balancer polls this often, so a passing SMTP check (a real connection, TLS verified as for
sending, then NOOP) is remembered for SMTP_CHECK_SECONDS rather than made on every poll; a failing
one only for HEALTH_RETRY_SECONDS, so the app says healthy within seconds of the relay coming up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text

from clinicfinder.extensions import db, mail, queue

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)

SMTP_CHECK_SECONDS = 30.0
_smtp_lock = threading.Lock()


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    checks: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok"}
    except Exception as error:  # any driver error means "not healthy", never a 500
        log.warning("health check: database unreachable: %s", type(error).__name__)
        checks["database"] = {"status": "unavailable", "error": type(error).__name__}
    finally:
        with contextlib.suppress(Exception):  # rolling back a dead connection can fail too
            db.session.rollback()
    try:
        checks["queue"] = {"status": "ok", **queue.status()}
    except Exception as error:
        log.warning("health check: queue unreachable: %s", type(error).__name__)
        checks["queue"] = {"status": "unavailable", "error": type(error).__name__}
    checks["smtp"] = smtp_status(current_app._get_current_object())  # type: ignore[attr-defined]  # untyped proxy API
    checks["reports"] = reports_status(
        Path(current_app.config["REPORTS_DIR"]), current_app.config["REPORTS_MIN_FREE_MB"]
    )
    healthy = all(check["status"] == "ok" for check in checks.values())
    response = jsonify(status="ok" if healthy else "unavailable", checks=checks)
    return response, 200 if healthy else 503


def smtp_status(app: Flask) -> dict[str, Any]:
    """The relay's last known state: checked again after SMTP_CHECK_SECONDS, or HEALTH_RETRY_SECONDS if it failed."""
    with _smtp_lock:
        checked_at, status = app.extensions.get("smtp_health", (float("-inf"), {}))
        keep = SMTP_CHECK_SECONDS if status.get("status") == "ok" else app.config["HEALTH_RETRY_SECONDS"]
        if time.monotonic() - checked_at < keep:
            return dict(status)
        status = _check_smtp()
        app.extensions["smtp_health"] = (time.monotonic(), status)
        return dict(status)


def forget_smtp_status(app: Flask) -> None:
    """Check the relay again at the next poll (after it was restarted, say)."""
    app.extensions.pop("smtp_health", None)


def _check_smtp() -> dict[str, Any]:
    try:
        # The same connection as sending: STARTTLS or SMTPS verified, login, MAIL_TIMEOUT on every step.
        with mail.connect() as connection:
            assert connection.host is not None  # None only when MAIL_SUPPRESS_SEND, which we never set
            code, _ = connection.host.noop()
        if code != 250:
            return {"status": "unavailable", "error": f"NOOP {code}"}
        return {"status": "ok"}
    except Exception as error:
        log.warning("health check: SMTP relay unreachable: %s", type(error).__name__)
        return {"status": "unavailable", "error": type(error).__name__}


def reports_status(folder: Path, minimum_free_mb: int) -> dict[str, Any]:
    """Can the worker write a PDF into REPORTS_DIR now: a folder, writable, with room?

    Writes and deletes a small file, as the worker would: permissions, a read-only mount or a
    file in the folder's place all show here, not hours later as silent retries.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".healthz-", dir=folder)
        try:
            os.write(descriptor, b"ok")
        finally:
            os.close(descriptor)
            Path(probe).unlink(missing_ok=True)
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    except OSError as error:
        log.warning("health check: reports folder not writable: %s", type(error).__name__)
        return {"status": "unavailable", "error": type(error).__name__}
    if free_mb < minimum_free_mb:
        log.warning("health check: reports folder has %s MB free (minimum %s)", free_mb, minimum_free_mb)
        return {
            "status": "unavailable",
            "error": "low on space",
            "free_mb": free_mb,
            "minimum_free_mb": minimum_free_mb,
        }
    return {"status": "ok", "free_mb": free_mb}
