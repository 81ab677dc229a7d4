"""`GET /healthz`: is the database answering, is the job queue reachable?"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from clinicfinder.extensions import db, queue

blueprint = Blueprint("health", __name__)
log = logging.getLogger(__name__)


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
        db.session.rollback()
    try:
        checks["queue"] = {"status": "ok", **queue.status()}
    except Exception as error:
        log.warning("health check: queue unreachable: %s", type(error).__name__)
        checks["queue"] = {"status": "unavailable", "error": type(error).__name__}
    healthy = all(check["status"] == "ok" for check in checks.values())
    response = jsonify(status="ok" if healthy else "unavailable", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503
