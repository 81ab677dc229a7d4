"""Emailed reports over a real SMTP conversation on loopback: double opt-in, retries, privacy, abuse."""

from __future__ import annotations

import logging
import mailbox
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from flask import Flask
from flask.testing import FlaskClient
from flask_mail import Message as MailMessage
from pypdf import PdfReader
from sqlalchemy import func, select, update

from clinicfinder.app import create_app
from clinicfinder.db.models import ReportRequest, ReportStatus
from clinicfinder.extensions import db, mail, queue
from clinicfinder.services import delivery, report_retention
from tests.support.instances import copy_seeded
from tests.support.jobs import run_jobs
from tests.support.journey import TOKEN, answer_all, post
from tests.support.mail import Mailsink
from tests.support.report_mail import confirm, html_part, link, pdf_attachments, text_part

ADDRESS = "Patient.Person+clinics@Example.org"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def environment(environment: dict[str, str]) -> dict[str, str]:
    # Short waits so retries happen within a test; generous IP limit except where a test lowers it.
    return {**environment, "REPORT_RETRY_SECONDS": "0.2", "REPORT_LIMIT_PER_IP": "1000 per hour", "MAIL_TIMEOUT": "2"}


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    client = seeded_app.test_client()
    answer_all(client, location="60611", treatment="micro_tese", budget="20000")
    return client


@pytest.fixture
def worker(seeded_app: Flask) -> Iterator[Callable[[], None]]:
    """A real Huey consumer with two threads, as `flask worker` runs it (periodic jobs off: tests call them)."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = queue.huey.create_consumer(workers=2, worker_type="thread", periodic=False, scheduler_interval=0.2,
                                          check_worker_health=False, initial_delay=0.05, max_delay=0.2)  # fmt: skip
    started = False

    def start() -> None:
        nonlocal started
        consumer.start()
        started = True

    yield start
    if started:
        consumer.stop(graceful=True)
    for number, handler in saved.items():
        signal.signal(number, handler)


def ask_by_email(client: FlaskClient, address: str = ADDRESS, **extra: str) -> Any:
    return post(client, "/report/email", {"email": address, "leave_blank": "", **extra}, page="/find/results")


def report_rows(app: Flask) -> list[ReportRequest]:
    with app.app_context():
        rows = list(db.session.scalars(select(ReportRequest)))
        db.session.expunge_all()
        return rows


# --- the journey ---------------------------------------------------------------------------------


def test_double_opt_in_then_the_report_arrives_as_a_pdf_and_nothing_is_kept(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    response = ask_by_email(patient)
    assert response.status_code == 302 and response.location.endswith("/report/progress")
    assert smtp.messages() == []  # the web request only recorded the job
    progress = patient.get("/report/progress").get_data(as_text=True)
    assert "Check your inbox" in progress

    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    assert confirmation["To"] == "Patient.Person+clinics@example.org"  # the domain normalised
    assert confirmation["Subject"] == "Please confirm your email address"
    body = text_part(confirmation).lower()
    for private in ("tese", "azoospermia", "fertility", "clinic "):  # neutral: nothing about health
        assert private not in body
    assert "email a report to this address" in body  # clinics fit: a report, not the guide alone
    assert pdf_attachments(confirmation) == []

    run_jobs(seeded_app)  # nothing more goes out until the link is used
    assert len(smtp.messages()) == 1

    assert confirm(patient, confirmation).location.endswith("/report/progress")
    assert patient.get("/report/progress.json").get_json()["stage"] == "queued"
    run_jobs(seeded_app)
    messages = smtp.wait_for(2)
    report = next(message for message in messages if pdf_attachments(message))
    assert report["Subject"] == "Your ClinicFinder report"
    [(name, pdf)] = pdf_attachments(report)
    assert re.fullmatch(r"clinicfinder-report-\d{4}-\d{2}-\d{2}\.pdf", name)
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Micro-TESE" in text and "Y-chromosome microdeletion test result" in text
    assert "Northwestern Fertility and Reproductive Medicine" in text  # the nearest clinic to 60611
    assert patient.get("/report/progress.json").get_json() == {
        "stage": "sent",
        "message": "Sent. Check your inbox for your report.",
    }

    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.SENT and row.sent_at is not None
    assert row.answers is None and row.recipient is None  # gone once sent
    assert row.recipient_hash is not None  # kept, keyed, for rate limiting only
    assert list(Path(seeded_app.config["REPORTS_DIR"]).glob("*.pdf")) == []


def test_a_confirmation_link_works_once(patient: FlaskClient, seeded_app: Flask, smtp: Mailsink) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    confirm(patient, confirmation)
    run_jobs(seeded_app)
    smtp.wait_for(2)
    again = patient.get(link(confirmation, "/report/confirm"))
    assert "Already confirmed" in again.get_data(as_text=True)
    run_jobs(seeded_app)
    assert len(smtp.messages()) == 2


def test_an_expired_or_forged_confirmation_link_sends_nothing(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    forged = patient.get("/report/confirm?t=not-a-token")
    assert forged.status_code == 410 and "This link no longer works" in forged.get_data(as_text=True)
    with seeded_app.app_context():
        row = db.session.scalars(select(ReportRequest)).one()
        row.confirm_by = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    assert patient.get(link(confirmation, "/report/confirm")).status_code == 410
    with seeded_app.app_context():
        assert report_retention.purge()["expired"] == 1
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.EXPIRED and row.answers is None and row.recipient is None
    run_jobs(seeded_app)
    assert len(smtp.messages()) == 1


def test_the_erase_link_deletes_everything_at_once(patient: FlaskClient, seeded_app: Flask, smtp: Mailsink) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    [confirmation] = smtp.wait_for(1)
    page = patient.get(link(confirmation, "/report/erase"))
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    csrf = TOKEN.search(page.get_data(as_text=True))
    assert token and csrf
    done = patient.post("/report/erase", data={"csrf_token": csrf.group(1), "token": token.group(1)})
    assert "We hold nothing more about this request" in done.get_data(as_text=True)
    assert report_rows(seeded_app) == []
    assert patient.get(link(confirmation, "/report/confirm")).status_code == 410


def test_the_download_is_made_at_once_and_keeps_nothing(patient: FlaskClient, seeded_app: Flask) -> None:
    response = post(patient, "/report/download", {}, page="/find/results")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="clinicfinder-report-')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-1.7")
    assert report_rows(seeded_app) == []
    assert list(Path(seeded_app.config["REPORTS_DIR"]).glob("*")) == []


# --- delivery that loses nothing -----------------------------------------------------------------


def test_smtp_down_then_back_delivers_every_report_exactly_once(
    seeded_app: Flask, smtp: Mailsink, worker: Callable[[], None]
) -> None:
    smtp.stop()
    patients = []
    for number in range(4):
        client = seeded_app.test_client()
        answer_all(client, location="60611", treatment="ivf")
        ask_by_email(client, f"patient{number}@example.org")
        patients.append(client)
    worker()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # several attempts fail while the relay is down
        rows = report_rows(seeded_app)
        if all(row.attempts >= 2 for row in rows):
            break
        time.sleep(0.2)
    assert all(row.confirmation_sent_at is None and row.attempts >= 2 for row in rows), rows
    assert {row.last_error for row in rows} == {"ConnectionRefusedError"}
    smtp.start()
    confirmations = smtp.wait_for(4)
    for client, message in zip(patients, sorted(confirmations, key=lambda m: m["To"]), strict=True):
        confirm(client, message)
    smtp.wait_for(8)
    time.sleep(1.0)  # would a retry or a second worker thread send anything twice?
    messages = smtp.messages()
    reports = [message["To"] for message in messages if pdf_attachments(message)]
    assert sorted(reports) == [f"patient{number}@example.org" for number in range(4)]
    assert len(messages) == 8
    assert {row.status for row in report_rows(seeded_app)} == {ReportStatus.SENT}


def test_a_report_whose_worker_died_is_delivered_once_by_the_next(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    confirm(patient, smtp.wait_for(1)[0])
    with seeded_app.app_context():
        row = db.session.scalars(select(ReportRequest)).one()
        # A worker claimed it a moment ago and was killed before sending (its queue message is gone).
        row.status, row.claimed_at, row.attempts = ReportStatus.MAKING, datetime.now(UTC) - timedelta(seconds=5), 1
        db.session.commit()
        queue.huey.flush()
        delivery.deliver_report(row.id)  # still within its lease: nobody else may take it
        assert len(smtp.messages()) == 1
        row.claimed_at = datetime.now(UTC) - timedelta(seconds=seeded_app.config["REPORT_LEASE_SECONDS"] + 1)
        db.session.commit()
        assert delivery.sweep() == 1
    run_jobs(seeded_app)
    assert len([message for message in smtp.wait_for(2) if pdf_attachments(message)]) == 1
    with seeded_app.app_context():
        assert delivery.sweep() == 0
        delivery.deliver_report(report_rows(seeded_app)[0].id)  # a late duplicate message changes nothing
    assert len(smtp.messages()) == 2


def test_reports_folder_unwritable_fails_visibly_and_is_retried(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    confirm(patient, smtp.wait_for(1)[0])
    reports = Path(seeded_app.config["REPORTS_DIR"])
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.write_text("not a folder")  # as broken as a read-only mount, even for root
    try:
        with seeded_app.app_context():
            delivery.deliver_report(report_rows(seeded_app)[0].id)
        [row] = report_rows(seeded_app)
        assert row.status is ReportStatus.QUEUED and row.attempts == 1
        assert row.last_error in ("FileExistsError", "NotADirectoryError")
    finally:
        reports.unlink()
    run_jobs(seeded_app)
    assert len([message for message in smtp.wait_for(2) if pdf_attachments(message)]) == 1


def test_a_report_that_keeps_failing_gives_up_and_keeps_nothing(patient: FlaskClient, seeded_app: Flask) -> None:
    seeded_app.config["REPORT_DOUBLE_OPT_IN"] = False  # straight to the report; SMTP is down throughout
    seeded_app.config["REPORT_MAX_ATTEMPTS"] = 3
    ask_by_email(patient)
    with seeded_app.app_context():
        report_id = report_rows(seeded_app)[0].id
        for _ in range(3):
            db.session.execute(
                update(ReportRequest).where(ReportRequest.id == report_id).values(next_attempt_at=datetime.now(UTC))
            )
            db.session.commit()
            delivery.deliver_report(report_id)
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.FAILED and row.attempts == 3
    assert row.answers is None and row.recipient is None
    page = patient.get("/report/progress").get_data(as_text=True)
    assert "We could not send your report" in page and "Download the PDF instead" in page


# --- bad input and abuse -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("patient@example.org\r\nBcc: everyone@example.org", "Enter one email address"),
        ("patient@example.org\nSubject: hello", "Enter one email address"),
        ("patient@example.org, other@example.org", "Enter one email address"),
        ("patient@example.org;other@example.org", "Enter one email address"),
        ("not an address", "Enter one email address"),
        ("patient@", "Enter an email address such as"),
        ("", "Enter your email address"),
        ("a" * 250 + "@example.org", "at most 254 characters"),
    ],
)
def test_a_bad_address_is_refused_next_to_the_field_and_nothing_is_recorded(
    patient: FlaskClient, seeded_app: Flask, address: str, message: str
) -> None:
    response = ask_by_email(patient, address)
    assert response.status_code == 302 and response.location.endswith("/find/results#report")
    page = patient.get("/find/results").get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="email-error">([^<]+)</p>', page)
    assert error and message in error.group(1)
    assert 'aria-invalid="true"' in page
    assert report_rows(seeded_app) == []


def test_flask_mail_itself_refuses_a_header_injection(seeded_app: Flask, smtp: Mailsink) -> None:
    """A second wall behind the form: a line break in a header never reaches the SMTP server."""
    from flask_mail import BadHeaderError

    with seeded_app.app_context(), pytest.raises(BadHeaderError):
        mail.send(MailMessage(subject="Hi\r\nBcc: x@example.org", recipients=["a@example.org"], body="x"))
    assert smtp.messages() == []


def test_an_address_gets_at_most_three_requests_a_day_however_it_is_spelt(
    patient: FlaskClient, seeded_app: Flask
) -> None:
    spellings = ["patient.person@gmail.com", "Patient.Person+ivf@gmail.com", "patientperson@googlemail.com",
                 "PATIENTPERSON@GMAIL.COM"]  # fmt: skip
    pages = []
    for spelling in spellings:
        assert ask_by_email(patient, spelling).location.endswith("/report/progress")
        page = patient.get("/report/progress").get_data(as_text=True)
        pages.append(TOKEN.sub("csrf_token", page))  # the CSRF token carries a timestamp: not part of the answer
    assert len(report_rows(seeded_app)) == 3
    # The fourth is refused without saying so: the page is the one every request gets.
    assert pages[3] == pages[0]
    assert "at most 3 reports a day to one address" in pages[3]


def test_a_bot_filling_the_hidden_field_gets_the_usual_answer_and_nothing_is_sent(
    patient: FlaskClient, seeded_app: Flask
) -> None:
    response = ask_by_email(patient, leave_blank="https://spam.example")
    assert response.location.endswith("/report/progress")
    assert "Check your inbox" in patient.get("/report/progress").get_data(as_text=True)
    assert report_rows(seeded_app) == []


def test_too_many_requests_from_one_ip_get_a_clear_429(environment: dict[str, str], seeded_database: Path) -> None:
    copy_seeded(seeded_database, Path(environment["INSTANCE_DIR"]))
    app = create_app({**environment, "REPORT_LIMIT_PER_IP": "2 per hour"})
    client = app.test_client()
    answer_all(client)
    assert post(client, "/report/download", {}, page="/find/results").status_code == 200
    assert ask_by_email(client, "one@example.org").status_code == 302
    refused = ask_by_email(client, "two@example.org")
    assert refused.status_code == 429
    assert "You have asked for many reports in a short time" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportRequest)) == 1
        db.engine.dispose()


@pytest.mark.parametrize(("hops", "separate_buckets"), [(0, False), (1, True)])
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    environment: dict[str, str], seeded_database: Path, hops: int, separate_buckets: bool
) -> None:
    """With TRUSTED_PROXY_HOPS the limit follows X-Forwarded-For; without it, a forged header changes nothing."""
    copy_seeded(seeded_database, Path(environment["INSTANCE_DIR"]))
    app = create_app({**environment, "REPORT_LIMIT_PER_IP": "1 per hour", "TRUSTED_PROXY_HOPS": str(hops)})
    client = app.test_client()
    answer_all(client)

    def download(client_address: str) -> int:
        page = client.get("/find/results").get_data(as_text=True)
        token = TOKEN.search(page)
        assert token
        headers = {"X-Forwarded-For": client_address}
        return client.post("/report/download", data={"csrf_token": token.group(1)}, headers=headers).status_code

    assert download("203.0.113.1") == 200
    assert download("203.0.113.2") == (200 if separate_buckets else 429)
    assert download("203.0.113.1") == 429
    with app.app_context():
        db.engine.dispose()


# --- privacy -------------------------------------------------------------------------------------


def test_no_address_or_answer_reaches_the_logs(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp.stop()
    ask_by_email(patient)
    with seeded_app.app_context():
        delivery.send_confirmation(report_rows(seeded_app)[0].id)  # fails, and says so in the log
    smtp.start()
    run_jobs(seeded_app)
    confirm(patient, smtp.wait_for(1)[0])
    run_jobs(seeded_app)
    smtp.wait_for(2)
    logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records).lower()
    assert "attempt 1 failed" in logged  # the failure was logged …
    for secret in ("patient.person", "example.org", "micro_tese", "micro-tese", "60611", "20000"):
        assert secret not in logged  # … without who or what


# --- the mail connection -------------------------------------------------------------------------


class TLSSink:
    """An SMTP server that offers STARTTLS with a certificate from a CA of the test's own."""

    def __init__(self, maildir: Path, port: int) -> None:
        self.ca = trustme.CA()
        certificate = self.ca.issue_cert("127.0.0.1", "localhost")
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        mailbox.Maildir(maildir, create=True)
        self.controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, tls_context=context,
                                     require_starttls=True)  # fmt: skip
        self.maildir = maildir

    def ca_file(self, folder: Path) -> Path:
        path = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path


def test_the_relays_tls_certificate_is_verified(environment: dict[str, str], tmp_path: Path) -> None:
    import ssl

    port = int(environment["MAIL_PORT"])
    sink = TLSSink(tmp_path / "tls-maildir", port)
    sink.controller.start()
    try:
        untrusting = create_app({**environment, "MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": "true"})
        with untrusting.app_context(), pytest.raises(ssl.SSLCertVerificationError):
            mail.send(MailMessage(subject="Hello", recipients=["patient@example.org"], body="x"))
        trusting = create_app({**environment, "MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": "true",
                               "MAIL_CA_FILE": str(sink.ca_file(tmp_path))})  # fmt: skip
        with trusting.app_context():
            mail.send(MailMessage(subject="Hello", recipients=["patient@example.org"], body="x"))
    finally:
        sink.controller.stop()
    assert len(list(mailbox.Maildir(sink.maildir, create=False))) == 1


def test_a_silent_relay_times_out_instead_of_hanging_the_worker(environment: dict[str, str]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
        app = create_app({**environment, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_TIMEOUT": "0.5"})
        started = time.monotonic()
        with app.app_context(), pytest.raises((TimeoutError, OSError)):
            mail.send(MailMessage(subject="Hello", recipients=["patient@example.org"], body="x"))
        assert time.monotonic() - started < 5
        for connection in accepted:
            connection.close()


# --- what the review of the delivery code found --------------------------------------------------


def confirmed_request(patient: FlaskClient, app: Flask, smtp: Mailsink) -> str:
    ask_by_email(patient)
    run_jobs(app)
    confirm(patient, smtp.wait_for(1)[0])
    [row] = report_rows(app)
    return row.id


def test_the_report_carries_one_stable_message_id(patient: FlaskClient, seeded_app: Flask, smtp: Mailsink) -> None:
    report_id = confirmed_request(patient, seeded_app, smtp)
    run_jobs(seeded_app)
    [report] = [message for message in smtp.wait_for(2) if pdf_attachments(message)]
    ids = [value.strip() for value in report.get_all("Message-ID", [])]  # a long header may be folded
    assert ids == [f"<report-{report_id}@clinicfinder.localhost>"]


def test_a_worker_that_lost_its_lease_while_rendering_sends_nothing(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = confirmed_request(patient, seeded_app, smtp)
    render = delivery.make_report_pdf

    def slow_render(report: Any) -> bytes:
        # Meanwhile the lease ran out and another worker claimed the job.
        db.session.execute(update(ReportRequest).where(ReportRequest.id == report_id).values(claim_token="other"))
        db.session.commit()
        return render(report)

    monkeypatch.setattr(delivery, "make_report_pdf", slow_render)
    with seeded_app.app_context():
        delivery.deliver_report(report_id)
    assert len(smtp.messages()) == 1  # only the confirmation: the slow worker stood down
    assert list(Path(seeded_app.config["REPORTS_DIR"]).glob("*.pdf")) == []
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.MAKING and row.claim_token == "other"  # the other worker's job now


def test_erasing_while_the_report_is_being_made_stops_it(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = confirmed_request(patient, seeded_app, smtp)
    render = delivery.make_report_pdf

    def render_while_the_patient_erases(report: Any) -> bytes:
        assert delivery.erase(delivery.erase_token(report_id))
        return render(report)

    monkeypatch.setattr(delivery, "make_report_pdf", render_while_the_patient_erases)
    with seeded_app.app_context():
        delivery.deliver_report(report_id)
    assert len(smtp.messages()) == 1  # the confirmation only
    assert report_rows(seeded_app) == []
    assert list(Path(seeded_app.config["REPORTS_DIR"]).glob("*")) == []


def test_a_relay_that_drops_the_line_after_accepting_does_not_get_a_second_copy(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    report_id = confirmed_request(patient, seeded_app, smtp)

    def hang_up(self: smtplib.SMTP) -> tuple[int, bytes]:
        self.close()
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "quit", hang_up)
    with seeded_app.app_context():
        delivery.deliver_report(report_id)
    run_jobs(seeded_app)
    assert len([message for message in smtp.wait_for(2) if pdf_attachments(message)]) == 1
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.SENT


def test_an_unexpected_error_is_retried_then_fails_visibly_and_keeps_nothing(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded_app.config["REPORT_MAX_ATTEMPTS"] = 3
    confirmed_request(patient, seeded_app, smtp)

    def broken(report: Any) -> bytes:
        raise RuntimeError("a bug in the renderer")

    monkeypatch.setattr(delivery, "make_report_pdf", broken)
    run_jobs(seeded_app)
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.FAILED and row.attempts == 3
    assert row.last_error == "RuntimeError"
    assert row.answers is None and row.recipient is None
    assert patient.get("/report/progress.json").get_json()["stage"] == "failed"


def test_a_permanent_refusal_fails_at_once_without_retrying(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    report_id = confirmed_request(patient, seeded_app, smtp)

    def refuse(*_: object, **__: object) -> None:
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"5.1.1 no such mailbox")})

    monkeypatch.setattr(mail, "send", refuse)
    with seeded_app.app_context():
        delivery.deliver_report(report_id)
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.FAILED and row.attempts == 1
    assert row.last_error == "SMTPRecipientsRefused"


def test_a_job_whose_every_attempt_crashed_is_given_up_by_the_sweep(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    report_id = confirmed_request(patient, seeded_app, smtp)
    with seeded_app.app_context():
        stale = datetime.now(UTC) - timedelta(hours=1)
        db.session.execute(
            update(ReportRequest)
            .where(ReportRequest.id == report_id)
            .values(status=ReportStatus.MAKING, claimed_at=stale, claim_token="dead", attempts=10)
        )
        db.session.commit()
        assert delivery.sweep() == 0
    [row] = report_rows(seeded_app)
    assert row.status is ReportStatus.FAILED and row.answers is None and row.recipient is None


def test_an_accented_mailbox_name_is_refused_with_a_clear_message(patient: FlaskClient, seeded_app: Flask) -> None:
    ask_by_email(patient, "josé@example.org")
    page = patient.get("/find/results").get_data(as_text=True)
    assert "Enter an email address such as name@example.com." in page
    assert report_rows(seeded_app) == []


def test_the_progress_page_says_so_when_the_request_was_erased(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    [row] = report_rows(seeded_app)
    with seeded_app.app_context():
        assert delivery.erase(delivery.erase_token(row.id))
    assert patient.get("/report/progress.json").get_json()["stage"] == "gone"
    assert "This request no longer exists" in patient.get("/report/progress").get_data(as_text=True)


def test_an_expired_form_on_the_confirm_page_returns_to_the_link_not_the_start(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    confirmation = smtp.wait_for(1)[0]
    token = link(confirmation, "/report/confirm").split("?t=", 1)[1]
    response = patient.post("/report/confirm", data={"csrf_token": "stale", "token": token})
    assert response.status_code == 302
    assert response.location.endswith(f"/report/confirm?t={token}")


def test_reports_purge_deletes_old_requests_stray_pdfs_and_expired_answers(
    patient: FlaskClient, seeded_app: Flask
) -> None:
    ask_by_email(patient, "old@example.org")
    ask_by_email(patient, "unconfirmed@example.org")
    rows = {row.recipient: row.id for row in report_rows(seeded_app)}
    reports = Path(seeded_app.config["REPORTS_DIR"])
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"{rows['old@example.org']}.pdf").write_bytes(b"%PDF-1.7 left over")
    (reports / "00000000-0000-4000-8000-000000000000.pdf").write_bytes(b"%PDF-1.7 an orphan")
    past = datetime.now(UTC) - timedelta(seconds=1)
    with seeded_app.app_context():
        db.session.execute(
            update(ReportRequest).where(ReportRequest.id == rows["old@example.org"]).values(expires_at=past)
        )
        db.session.execute(
            update(ReportRequest).where(ReportRequest.id == rows["unconfirmed@example.org"]).values(confirm_by=past)
        )
        db.session.commit()
    result = seeded_app.test_cli_runner().invoke(args=["reports", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 unconfirmed request(s) expired, 1 old request(s) deleted, 1 PDF file(s) removed" in result.output
    [left] = report_rows(seeded_app)
    assert left.status is ReportStatus.EXPIRED and left.recipient is None and left.answers is None
    assert list(reports.glob("*")) == []


# --- the report email itself -----------------------------------------------------------------------


def test_the_report_email_carries_the_summary_table_without_opening_the_pdf(
    patient: FlaskClient, seeded_app: Flask, smtp: Mailsink
) -> None:
    ask_by_email(patient)
    run_jobs(seeded_app)
    confirm(patient, smtp.wait_for(1)[0])
    run_jobs(seeded_app)
    report = next(message for message in smtp.wait_for(2) if pdf_attachments(message))
    [(_, pdf)] = pdf_attachments(report)
    pdf_words = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)

    # The text part: one numbered paragraph a clinic, in the report's order, with the clinic's own name.
    text = text_part(report)
    names = re.findall(r"^(\d+)\. (.+), [^,]+, [A-Z]{2} — ", text, flags=re.MULTILINE)
    assert [int(rank) for rank, _ in names] == list(range(1, 11))
    assert "&amp;" not in text
    assert "Male-factor cycles / ICSI transfers: 17% / 88% (CDC, 2018)" in text
    # The HTML part: the same clinics in a table a mail program shows as is, with nothing to fetch.
    html = html_part(report)
    table = html[html.index("<caption") : html.rindex("</table>")]
    for _, name in names:
        assert name.replace("&", "&amp;") in table
        assert name in pdf_words  # the same rows as the PDF's first page
    assert '<th scope="col"' in table and "Treatment confirmed" in table
    for external in ("<img", "<link", "url(", "src=", "<style"):
        assert external not in html
    # Emailed, so it may say what was deleted once it was sent.
    assert "Once it was sent we deleted them" in " ".join(pdf_words.split())


def test_a_downloaded_report_says_it_was_never_sent_or_kept(patient: FlaskClient) -> None:
    response = post(patient, "/report/download", {}, page="/find/results")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages).split())
    assert "Once it was sent" not in text
    assert "we kept no copy of it and sent it to no one" in text
