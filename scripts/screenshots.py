"""Screenshots of the patient journey for the README, in both languages, desktop and phone.

    python scripts/screenshots.py http://127.0.0.1:5000 docs/screenshots [--maildir instance/maildir]

Drives Debian's Chromium through Playwright (never a downloaded browser) against a running
app, typing and clicking as a patient would: the three steps, the results, the report offer,
the emailed report's progress page and — with `--maildir` (the local SMTP server's folder, as
`make run` starts it) — the confirmation link followed to the sent report. The downloaded PDF's
first pages are saved as images too (pdftoppm).
"""

from __future__ import annotations

import argparse
import mailbox
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
WORDS = {
    "en": {
        "start": "Start",
        "continue": "Continue",
        "see": "See the clinics",
        "lang": "English",
        "download": "Download the PDF",
        "email": "Email it to me",
        "send": "Send me my report",
        "sent": "Sent.",
    },
    "es": {
        "start": "Empezar",
        "continue": "Continuar",
        "see": "Ver las clínicas",
        "lang": "Español",
        "download": "Descargar el PDF",
        "email": "Enviármelo por correo",
        "send": "Enviarme mi informe",
        "sent": "Enviado.",
    },
}


def confirmation_link(maildir: Path, address: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.Maildir(maildir, create=False):
            if message["To"] == address:
                for part in message.walk():
                    payload = part.get_payload(decode=True)
                    if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                        found = re.search(r"https?://\S+/report/confirm\?t=\S+", payload.decode())
                        if found:
                            return found.group(0)
        time.sleep(0.5)
    raise SystemExit(f"no confirmation email for {address} in {maildir}")


def walk(page: Page, base: str, language: str, out: Path, size: str, maildir: Path | None) -> None:
    words = WORDS[language]
    page.goto(base + "/")
    if language != "en":
        page.get_by_role("button", name=words["lang"]).click()
    # A one-line local helper over this walk's page, language and size; a def would add nothing
    shot = lambda name: page.screenshot(path=str(out / f"{name}-{language}-{size}.png"), full_page=True)  # noqa: E731
    shot("0-landing")
    page.get_by_role("link", name=words["start"]).click()
    page.locator("#location").fill("Valencia")
    shot("1-where")
    page.get_by_role("button", name=words["continue"]).click()
    shot("1b-choose-place")
    page.goto(base + "/find/where")
    page.locator("#location").fill("60611")
    page.locator("#radius").select_option("25")
    page.get_by_role("button", name=words["continue"]).click()
    page.locator("input[value=icsi]").check()
    shot("2-treatment")
    page.get_by_role("button", name=words["continue"]).click()
    page.locator("#budget").fill("20000")
    shot("3-budget")
    page.get_by_role("button", name=words["see"]).click()
    page.locator("details[data-criteria] summary").first.click()
    # The list is fetched when opened (static/journey.js): shoot it once it is in place, not the
    # link that stands there meanwhile.
    page.locator("details[data-criteria] .criterion").first.wait_for(timeout=15_000)
    page.mouse.move(0, 0)  # the click left the pointer on card 1, which lights its pin on the map
    page.evaluate("window.scrollTo(0, 0)")  # the click scrolled; the clip below is measured from the top
    # The first two clinics are enough to show a results page; the whole list would be 7,000 px tall.
    height = page.locator(".clinic-card").nth(1).bounding_box()
    bottom = int(height["y"] + height["height"] + 16) if height else 2400
    width = SIZES[size]["width"]
    page.screenshot(
        path=str(out / f"4-results-{language}-{size}.png"),
        clip={"x": 0, "y": 0, "width": width, "height": bottom},
        full_page=True,
    )
    page.locator("#report").screenshot(path=str(out / f"5-report-offer-{language}-{size}.png"))
    if size == "desktop":
        with page.expect_download() as download:
            page.get_by_role("button", name=words["download"]).click()
        pdf = out / f"report-{language}.pdf"
        download.value.save_as(pdf)
        for number in range(1, 5):  # pdftoppm pads page numbers by the page count: name them ourselves
            target = out / f"pdf-{language}-{number:02d}"
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(number), "-l", str(number),
                            str(pdf), str(target)], check=True)  # fmt: skip
        pdf.unlink()
    address = f"screens-{language}-{size}-{int(time.time())}@example.org"  # a fresh one: no older mail matches
    page.locator("#email").fill(address)
    page.get_by_role("button", name=words["email"]).click()
    shot("6-progress")
    if maildir is not None:
        page.goto(confirmation_link(maildir, address))
        shot("7-confirm")
        page.get_by_role("button", name=words["send"]).click()
        page.locator(".report-status").filter(has_text=words["sent"]).wait_for(timeout=60_000)
        shot("8-sent")


ADMIN_PAGES = [("admin-1-dashboard", "/admin/"), ("admin-2-editor", "/admin/clinics/us-cdc-1"),
               ("admin-3-import", "/admin/directory/import"), ("admin-4-users", "/admin/users"),
               ("admin-5-delivery-health", "/admin/health"), ("admin-6-audit", "/admin/audit")]  # fmt: skip


def admin_walk(page: Page, base: str, out: Path, email: str, password: str) -> None:
    """What a site admin sees (English only), after logging in as one."""
    page.goto(base + "/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    for name, path in ADMIN_PAGES:
        page.goto(base + path)
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--maildir", type=Path, help="the local SMTP server's Maildir, to follow the emailed link")
    parser.add_argument(
        "--admin", nargs=2, metavar=("EMAIL", "PASSWORD"), help="also the admin pages, as this site admin"
    )
    parser.add_argument("--only-admin", action="store_true", help="skip the patient's pages")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, viewport in ({} if args.only_admin else SIZES).items():
            for language in WORDS:
                # SIZES are plain dicts shaped like ViewportSize
                context = browser.new_context(viewport=viewport, locale="en-US", accept_downloads=True)  # type: ignore[arg-type]
                walk(context.new_page(), args.base_url.rstrip("/"), language, args.out, size, args.maildir)
                context.close()
        if args.admin:
            # SIZES are plain dicts shaped like ViewportSize
            context = browser.new_context(viewport=SIZES["desktop"], locale="en-US")  # type: ignore[arg-type]
            admin_walk(context.new_page(), args.base_url.rstrip("/"), args.out, *args.admin)
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
