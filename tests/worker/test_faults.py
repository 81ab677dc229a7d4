"""Faults with real processes: the SMTP relay down, a worker killed, the database gone, reports/ unwritable.

Run by `make faults` (CI runs it on both configurations); each test starts real `flask worker`
processes and a real SMTP server on loopback, and counts what arrives in the Maildir:
every report delivered, none twice. Skipped, with that reason, in the ordinary test run,
because rendering a hundred PDFs takes a minute or two on two cores.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db
from clinicfinder.services import delivery
from tests.support.instances import POSTGRES
from tests.support.journey import TOKEN, answer_all
from tests.support.mail import Mailsink
from tests.support.paths import PROJECT_ROOT

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        not os.environ.get("CLINICFINDER_FAULTS"),
        reason="fault test: run by `make faults`, which CI runs on both configurations",
    ),
]

BURST = 100


class FaultLog:
    """What each fault test measured, written to benchmarks/RESULTS.md when the run is over."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, line: str) -> None:
        self.lines.append(f"- {line}")


@pytest.fixture(scope="module")
def fault_log() -> Iterator[FaultLog]:
    log = FaultLog()
    yield log
    if log.lines:
        from benchmarks.results import write_section

        where = "PostgreSQL + Redis" if POSTGRES else "embedded defaults (SQLite, SQLite queue)"
        body = (
            "Real `flask worker` processes and the local SMTP server on loopback; every message in the Maildir "
            "counted per recipient. Each line is a passing test of tests/worker/test_faults.py.\n\n"
            + "\n".join(log.lines)
        )
        if not POSTGRES:
            body += "\n\n(The database-unreachable test runs on PostgreSQL only: an embedded SQLite file cannot be.)"
        write_section(f"Faults: {where}", "make faults", body)


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    # Single opt-in (the burst is about delivery), short retries, a 3 s lease so a dead worker's job moves on fast.
    return {
        **environment,
        "REPORT_DOUBLE_OPT_IN": "false",
        "REPORT_RETRY_SECONDS": "0.5",
        "REPORT_LEASE_SECONDS": "3",
        "REPORT_MAX_ATTEMPTS": "100",
        "REPORT_LIMIT_PER_IP": "100000 per hour",
        "MAIL_TIMEOUT": "2",
    }


class Workers:
    """`flask worker` processes, as production runs them, each in its own process group."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, threads: int = 2) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", str(threads)],
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.environment},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(seeded_app: Flask, environment: dict[str, str]) -> Iterator[Workers]:
    started = Workers(environment)
    yield started
    started.stop_all()


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    client = seeded_app.test_client()
    answer_all(client, location="60611", treatment="ivf", budget="20000")
    return client


def ask_for_reports(client: FlaskClient, addresses: list[str]) -> None:
    token = TOKEN.search(client.get("/find/results").get_data(as_text=True))
    assert token
    for address in addresses:
        response = client.post("/report/email", data={"csrf_token": token.group(1), "email": address, "website": ""})
        assert response.status_code == 302, response.get_data(as_text=True)


def rows(app: Flask) -> list[ReportRequest]:
    with app.app_context():
        found = list(db.session.scalars(select(ReportRequest)))
        db.session.expunge_all()
        db.session.remove()
        return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def delivered_per_recipient(smtp: Mailsink) -> Counter[str]:
    return Counter(str(message["To"]) for message in smtp.messages())


def test_smtp_down_during_a_burst_of_100_reports_then_all_arrive_once_when_it_returns(
    seeded_app: Flask, patient: FlaskClient, smtp: Mailsink, workers: Workers, fault_log: FaultLog
) -> None:
    addresses = [f"patient{number:03}@example.org" for number in range(BURST)]
    started = time.monotonic()
    smtp.stop()
    workers.start()
    workers.start()
    ask_for_reports(patient, addresses)
    # The relay is down: attempts fail, are recorded with their reason, and wait for a retry.
    wait_until(lambda: sum(row.last_error is not None for row in rows(seeded_app)) >= 10, 120, "failed attempts")
    assert smtp.messages() == []
    assert all(row.status is not ReportStatus.FAILED for row in rows(seeded_app))

    failed_attempts = sum(row.attempts for row in rows(seeded_app))
    down_for = time.monotonic() - started
    smtp.start()
    back = time.monotonic()
    wait_until(lambda: all(row.status is ReportStatus.SENT for row in rows(seeded_app)), 600, "every report sent")
    delivered = delivered_per_recipient(smtp)
    assert sorted(delivered) == addresses
    assert set(delivered.values()) == {1}
    fault_log.note(
        f"**SMTP relay down during a burst of {BURST} reports** (2 workers): down {down_for:.0f} s, "
        f"{failed_attempts} attempts by then; all {BURST} delivered {time.monotonic() - back:.0f} s after it "
        f"returned, **{len(delivered)} recipients, {sum(delivered.values())} messages: none lost, none twice**"
    )


def test_a_worker_killed_while_making_a_report_leaves_it_to_another_which_delivers_it_once(
    seeded_app: Flask, patient: FlaskClient, smtp: Mailsink, workers: Workers, fault_log: FaultLog
) -> None:
    doomed = workers.start(threads=1)
    ask_for_reports(patient, ["killed.worker@example.org"])
    wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.MAKING, 60, "the worker to start the report")
    os.killpg(doomed.pid, signal.SIGKILL)  # no cleanup, no goodbye: as the kernel's OOM killer would
    doomed.wait()
    [held] = rows(seeded_app)
    assert held.status is ReportStatus.MAKING and smtp.messages() == []

    killed = time.monotonic()
    workers.start()
    time.sleep(3.5)  # REPORT_LEASE_SECONDS: until then the dead worker's claim still stands
    with seeded_app.app_context():
        delivery.sweep()  # what the worker's periodic sweep does every minute, called now
    wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.SENT, 120, "the report to be sent")
    assert delivered_per_recipient(smtp) == {"killed.worker@example.org": 1}
    fault_log.note(
        "**A worker SIGKILLed while making a report**: another worker took it after the 3 s lease and the sweep; "
        f"delivered {time.monotonic() - killed:.0f} s after the kill, **exactly once**"
    )


@pytest.mark.skipif(not POSTGRES, reason="an embedded SQLite database cannot be unreachable; this runs on PostgreSQL")
def test_the_database_unreachable_shows_a_clear_503_and_loses_nothing_once_it_returns(
    seeded_app: Flask, patient: FlaskClient, smtp: Mailsink, workers: Workers, fault_log: FaultLog
) -> None:
    pg_ctl = shlex.split(os.environ["CLINICFINDER_TEST_PG_CTL"])
    ask_for_reports(patient, ["before.outage@example.org"])  # queued while no worker runs
    before = patient.get("/find/results").get_data(as_text=True)

    subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=True, stdout=subprocess.DEVNULL)
    try:
        page = patient.get("/find/results")
        assert page.status_code == 503
        assert "ClinicFinder is briefly unavailable. Nothing you entered is lost" in page.get_data(as_text=True)
        health = patient.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["checks"]["database"]["status"] == "unavailable"
    finally:
        subprocess.run([*pg_ctl, "-w", "start"], check=True, stdout=subprocess.DEVNULL)

    after = patient.get("/find/results")
    assert after.status_code == 200
    assert clinic_names(before)
    assert clinic_names(after.get_data(as_text=True)) == clinic_names(before)  # the answers survived
    workers.start()
    wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.SENT, 120, "the queued report to be sent")
    assert delivered_per_recipient(smtp) == {"before.outage@example.org": 1}
    fault_log.note(
        '**PostgreSQL stopped**: pages answered 503 "briefly unavailable — nothing you entered is lost", '
        "/healthz 503 naming the database; once restarted, the patient's answers gave the same results and the "
        "report queued before the outage was **delivered once**"
    )


def clinic_names(page: str) -> list[str]:
    return re.findall(r'<h2 id="clinic-[^"]+-name">(.*?)</h2>', page)


def test_an_unwritable_reports_folder_fails_the_job_visibly_and_it_is_retried(
    seeded_app: Flask,
    patient: FlaskClient,
    smtp: Mailsink,
    environment: dict[str, str],
    tmp_path: Path,
    fault_log: FaultLog,
) -> None:
    # Root ignores permissions, so block the folder the way any user can: a file stands where it should be.
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    workers = Workers({**environment, "REPORTS_DIR": str(blocker / "reports")})
    try:
        workers.start()
        ask_for_reports(patient, ["unwritable@example.org"])
        wait_until(lambda: (rows(seeded_app)[0].attempts or 0) >= 2, 60, "failed attempts")
        [failing] = rows(seeded_app)
        assert failing.status in (ReportStatus.QUEUED, ReportStatus.MAKING)
        assert failing.last_error == "NotADirectoryError"
        assert smtp.messages() == []

        blocker.unlink()
        wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.SENT, 120, "the report to be sent")
        assert delivered_per_recipient(smtp) == {"unwritable@example.org": 1}
        fault_log.note(
            f"**reports/ unwritable**: the job failed visibly (`last_error` {failing.last_error}, "
            f"after {failing.attempts} attempts) and was retried; once writable, "
            "**delivered once**"
        )
    finally:
        workers.stop_all()


def test_a_killed_workers_report_goes_to_another_when_its_30_s_lease_lapses_and_arrives_once_within_60_s(
    seeded_app: Flask, patient: FlaskClient, smtp: Mailsink, environment: dict[str, str], fault_log: FaultLog
) -> None:
    # The production lease, and nobody calls the sweep: the surviving worker's own lease check must do it.
    leased = Workers({**environment, "REPORT_LEASE_SECONDS": "30"})
    try:
        doomed = leased.start(threads=1)
        ask_for_reports(patient, ["lease.lapsed@example.org"])
        wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.MAKING, 60, "the worker to start the report")
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        killed = time.monotonic()
        assert smtp.messages() == []
        leased.start()
        wait_until(lambda: rows(seeded_app)[0].status is ReportStatus.SENT, 60, "delivery within 60 s of the kill")
        took = time.monotonic() - killed
        time.sleep(3)  # would a late duplicate job send a second copy?
        assert delivered_per_recipient(smtp) == {"lease.lapsed@example.org": 1}
        fault_log.note(
            "**A worker SIGKILLed mid-report, 30 s heartbeat lease, no manual sweep**: the surviving worker "
            f"handed it out and delivered it {took:.0f} s after the kill, **exactly once**"
        )
    finally:
        leased.stop_all()
