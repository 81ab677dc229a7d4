"""The local SMTP server and the job worker, as real processes on loopback."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask
from flask_mail import Message

from clinicfinder import mailsink
from clinicfinder.extensions import mail
from tests.support.paths import PROJECT_ROOT


def test_mail_sent_by_the_app_arrives_in_the_local_maildir(app: Flask, tmp_path: Path) -> None:
    maildir = tmp_path / "maildir"
    server = mailsink.start(maildir, port=app.config["MAIL_PORT"])
    try:
        with app.app_context():
            message = Message(subject="Your ClinicFinder message", recipients=["patient@example.org"], body="Hello")
            mail.send(message)
    finally:
        server.stop()
    delivered = list(mailbox.Maildir(maildir))
    assert len(delivered) == 1
    assert delivered[0]["Subject"] == "Your ClinicFinder message"
    assert delivered[0]["To"] == "patient@example.org"
    assert str(delivered[0].get_payload()).strip() == "Hello"


def test_the_worker_process_consumes_the_queue_and_healthz_sees_its_heartbeat(
    app: Flask, environment: dict[str, str]
) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json()["checks"]["queue"]["worker_seconds_since_heartbeat"] is None
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "1"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = None
        deadline = time.monotonic() + 30
        while seen is None and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.25)
            seen = client.get("/healthz").get_json()["checks"]["queue"]["worker_seconds_since_heartbeat"]
    finally:
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=30)
    assert seen is not None, f"no heartbeat from the worker; it said:\n{stderr}"
    assert 0 <= seen < 30
    assert worker.returncode == 0, stderr
