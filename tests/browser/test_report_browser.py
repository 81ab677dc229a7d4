"""The report in a real browser: download it, email it, follow the link, watch the progress page update itself.

The app, a Huey consumer and the local SMTP server all run on loopback, as `make run` starts them.
"""

from __future__ import annotations

import mailbox
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from clinicfinder import mailsink
from clinicfinder.app import create_app
from clinicfinder.extensions import queue
from tests.support.browser import serving
from tests.support.instances import copy_seeded, make_environment
from tests.support.pages import DESKTOP, PHONE, patient


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, seeded_database: Path) -> Iterator[tuple[str, Path]]:
    """Web server, job worker and SMTP server: (base URL, Maildir)."""
    instance = tmp_path_factory.mktemp("report-live")
    copy_seeded(seeded_database, instance)
    environment = make_environment(instance)
    app = create_app(environment)
    with serving(app) as base:
        app.config["PUBLIC_URL"] = base  # the links in the emails point at this server
        maildir = instance / "maildir"
        smtp = mailsink.start(maildir, port=int(environment["MAIL_PORT"]))
        saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        worker = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False, scheduler_interval=0.2,
                                            check_worker_health=False, initial_delay=0.05, max_delay=0.2)  # fmt: skip
        worker.start()
        yield base, maildir
        worker.stop(graceful=True)
        for number, handler in saved.items():
            signal.signal(number, handler)
        smtp.stop()


def confirmation_link(maildir: Path, address: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in mailbox.Maildir(maildir, create=False):
            if message["To"] == address:
                payload = message.get_payload(decode=True) if not message.is_multipart() else None
                parts = [payload] if isinstance(payload, bytes) else [
                    part.get_payload(decode=True) for part in message.walk() if part.get_content_type() == "text/plain"
                ]  # fmt: skip
                for text in parts:
                    found = re.search(r"http://\S+/report/confirm\?t=\S+", bytes(text).decode())
                    if found:
                        return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation email for {address}")


def test_a_patient_downloads_the_pdf_at_once(browser: Browser, stack: tuple[str, Path]) -> None:
    base, _ = stack
    you = patient(browser, base, DESKTOP, accept_downloads=True)
    you.open("/find/where")
    you.where("60611", "25", "Continue")
    you.treatment("tese")
    you.budget("20000", "USD")
    with you.page.expect_download() as download:
        you.page.get_by_role("button", name="Download the PDF").click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF-1.7")
    assert re.fullmatch(r"clinicfinder-report-\d{4}-\d{2}-\d{2}\.pdf", download.value.suggested_filename)


def test_the_emailed_report_after_confirmation_and_a_progress_page_that_updates_itself(
    browser: Browser, stack: tuple[str, Path]
) -> None:
    base, maildir = stack
    you = patient(browser, base, PHONE)
    you.open("/find/where")
    you.where("60611", "25", "Continue")
    you.treatment("micro_tese")
    you.budget("20000", "USD")
    you.page.locator("#email").fill("browser.patient@example.org")
    you.click("button", "Email it to me")
    expect(you.page.get_by_role("status")).to_contain_text("Waiting for you to confirm your address")

    you.page.goto(confirmation_link(maildir, "browser.patient@example.org"))
    you.check_page()
    you.click("button", "Send me my report")
    you.page.evaluate("window.stillTheSamePage = true")
    # The page must start before the report is sent, or "updates itself" would prove nothing.
    assert you.page.locator("[data-report-progress]").get_attribute("data-stage") in ("queued", "making")
    expect(you.page.locator("[data-report-message]")).to_have_text("Sent. Check your inbox for your report.",
                                                                   timeout=60_000)  # fmt: skip
    assert you.page.evaluate("window.stillTheSamePage === true")  # updated in place, not by reloading
    expect(you.page.locator(".report-step--done")).to_have_count(4)
    you.check_page()
    reports = [m for m in mailbox.Maildir(maildir, create=False) if m["To"] == "browser.patient@example.org"]
    assert len(reports) == 2  # the confirmation, then the report


def test_a_bad_address_is_announced_next_to_the_field(browser: Browser, stack: tuple[str, Path]) -> None:
    base, _ = stack
    you = patient(browser, base, PHONE)
    you.open("/find/where")
    you.where("60611", "25", "Continue")
    you.treatment("ivf")
    you.budget("20000", "USD")
    you.page.locator("#email").fill("someone@")
    you.click("button", "Email it to me")
    field = you.page.locator("#email")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(you.page.locator("#email-error")).to_contain_text("Enter an email address such as name@example.com.")
    expect(field).to_have_value("someone@")
