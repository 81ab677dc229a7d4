"""`GET /healthz`: is the database answering, is the job queue reachable, does the SMTP relay answer?

A load balancer polls this often, so the SMTP check (a real connection, TLS verified as for
sending, then NOOP) is remembered for SMTP_CHECK_SECONDS rather than made on every poll.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
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
    healthy = all(check["status"] == "ok" for check in checks.values())
    response = jsonify(status="ok" if healthy else "unavailable", checks=checks)
    return response, 200 if healthy else 503


def smtp_status(app: Flask) -> dict[str, Any]:
    """The relay's last known state, checked again when older than SMTP_CHECK_SECONDS."""
    with _smtp_lock:
        checked_at, status = app.extensions.get("smtp_health", (float("-inf"), {}))
        if time.monotonic() - checked_at < SMTP_CHECK_SECONDS:
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
