"""/healthz turns healthy as soon as every part is: a failed check is made again within seconds."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask

from clinicfinder import mailsink


def test_a_relay_that_comes_up_is_reported_healthy_on_the_next_poll_after_a_short_interval(
    app: Flask, tmp_path: Path
) -> None:
    app.config["HEALTH_RETRY_SECONDS"] = 0.3  # the knob; 3 s by default
    client = app.test_client()
    down = client.get("/healthz")  # as a fresh `make run` could ask before the mail server listened
    assert down.status_code == 503
    assert down.get_json()["checks"]["smtp"] == {"status": "unavailable", "error": "ConnectionRefusedError"}

    relay = mailsink.start(tmp_path / "maildir", port=app.config["MAIL_PORT"])
    try:
        time.sleep(0.4)
        up = client.get("/healthz")
    finally:
        relay.stop()
    assert up.status_code == 200, up.get_json()
    assert up.get_json()["checks"]["smtp"] == {"status": "ok"}
    # A passing check is still remembered for its 30 s: pollers don't hammer the relay.
    assert client.get("/healthz").status_code == 200


def test_a_reports_folder_that_cannot_be_written_makes_healthz_name_it(app: Flask) -> None:
    reports = Path(app.config["REPORTS_DIR"])
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.write_text("not a folder")
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["reports"]["status"] == "unavailable"
    reports.unlink()
    assert app.test_client().get("/healthz").get_json()["checks"]["reports"]["status"] == "ok"
