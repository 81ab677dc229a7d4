"""Erased means erased on disk: after a report is sent and the purges run, no file keeps the patient's words.

A patient walks the journey with a postcode and an address found nowhere else, gets the report
by email through the real SMTP server and the worker's own job code, and then every file under
the instance folder (the database with its -wal and -shm, the queue, the reports folder) is read
as bytes. On the scaled pass the database is PostgreSQL: its tables' raw pages are read instead,
dead rows included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from clinicfinder.db.models import JourneyAnswers, ReportRequest
from clinicfinder.extensions import db
from tests.support.disk import files_holding, postgres_pages_holding
from tests.support.instances import POSTGRES
from tests.support.jobs import run_jobs
from tests.support.journey import TOKEN, answer_all, post
from tests.support.mail import Mailsink
from tests.support.report_mail import text_part

# Found in no clinic's record and in nothing the app ships: only the patient could have put them there.
CANARY_ADDRESS = "Canary.Q7zX+report@Example.org"
CANARY_ZIP = "59301"  # Miles City, Montana: no clinic in the directory has it
CANARIES = [CANARY_ADDRESS.encode(), CANARY_ADDRESS.lower().encode(), b"canary.q7zx", CANARY_ZIP.encode()]
PATIENT_TABLES = ("report_requests", "journey_answers")


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    return {**environment, "REPORT_RETRY_SECONDS": "0.2", "REPORT_LIMIT_PER_IP": "1000 per hour", "MAIL_TIMEOUT": "2"}


def anywhere_on_disk(app: Flask, instance: Path) -> dict[str, list[str]]:
    found = files_holding(instance, CANARIES)
    for canary, tables in postgres_pages_holding(app, PATIENT_TABLES, CANARIES).items():
        found.setdefault(canary, []).extend(tables)
    return found


def confirm_from(client: FlaskClient, message: str) -> None:
    found = re.search(r"https?://\S+(/report/confirm\?t=\S+)", message)
    assert found, message
    page = client.get(found.group(1)).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page)
    csrf = TOKEN.search(page)
    assert token and csrf
    client.post("/report/confirm", data={"csrf_token": csrf.group(1), "token": token.group(1)})


def test_after_the_report_is_sent_and_the_purges_run_no_file_holds_the_address_or_the_postcode(
    seeded_app: Flask, smtp: Mailsink, environment: dict[str, str]
) -> None:
    instance = Path(environment["INSTANCE_DIR"])
    assert anywhere_on_disk(seeded_app, instance) == {}  # the canaries are the patient's alone

    patient = seeded_app.test_client()
    assert post(patient, "/find/where", {"location": CANARY_ZIP, "radius": "anywhere", "unit": "mi"}).status_code == 302
    answer_all(patient, location=None, treatment="micro_tese", budget="20000")
    post(patient, "/report/email", {"email": CANARY_ADDRESS, "leave_blank": ""}, page="/find/results")
    held = anywhere_on_disk(seeded_app, instance)
    assert set(held) >= {CANARY_ZIP, CANARY_ADDRESS.lower()}, held  # the scan does see them while they are live
    if not POSTGRES:
        # SQLite copies the WAL into the database file by itself every 1,000 pages: make that happen now,
        # so what is erased later has reached the main file too, not only the WAL.
        with seeded_app.app_context(), db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        assert CANARY_ZIP in files_holding(instance, CANARIES)

    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    confirm_from(patient, text_part(confirmation))
    run_jobs(seeded_app)
    report = smtp.wait_for(2)[-1]
    assert report["To"] == "Canary.Q7zX+report@example.org"
    assert any(part.get_content_type() == "application/pdf" for part in report.walk())
    assert patient.get("/report/progress.json").get_json()["stage"] == "sent"

    # The journey's answers go after an idle hour; here the hour is over at once.
    with seeded_app.app_context():
        db.session.execute(update(JourneyAnswers).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.execute(update(ReportRequest).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    runner = seeded_app.test_cli_runner()
    for command in (["journeys", "purge"], ["reports", "purge"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output

    assert anywhere_on_disk(seeded_app, instance) == {}
    if not POSTGRES:  # the files that held them are there, and were read
        names = {path.name for path in instance.rglob("*") if path.is_file()}
        assert {"clinicfinder.db", "queue.db"} <= names


def test_the_emails_erase_link_and_start_again_leave_nothing_on_disk(
    seeded_app: Flask, smtp: Mailsink, environment: dict[str, str]
) -> None:
    instance = Path(environment["INSTANCE_DIR"])
    patient = seeded_app.test_client()
    assert post(patient, "/find/where", {"location": CANARY_ZIP, "radius": "anywhere", "unit": "mi"}).status_code == 302
    answer_all(patient, location=None, treatment="ivf", budget="20000")
    post(patient, "/report/email", {"email": CANARY_ADDRESS, "leave_blank": ""}, page="/find/results")
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)

    erase = re.search(r"https?://\S+(/report/erase\?t=\S+)", text_part(confirmation))
    assert erase
    page = patient.get(erase.group(1)).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page)
    csrf = TOKEN.search(page)
    assert token and csrf
    done = patient.post("/report/erase", data={"csrf_token": csrf.group(1), "token": token.group(1)})
    assert "We hold nothing more about this request" in done.get_data(as_text=True)
    assert CANARY_ADDRESS.lower() not in anywhere_on_disk(seeded_app, instance)
    assert CANARY_ZIP in anywhere_on_disk(seeded_app, instance)  # the journey itself is still going

    assert post(patient, "/find/forget", {}, page="/find/results").status_code == 302
    if POSTGRES:  # "Start again" deletes the row at once; the table is rewritten by the next purge
        assert seeded_app.test_cli_runner().invoke(args=["journeys", "purge"]).exit_code == 0
    assert anywhere_on_disk(seeded_app, instance) == {}
