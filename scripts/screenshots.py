"""Screenshots of the patient journey for the README, in both languages, desktop and phone.

    python scripts/screenshots.py http://127.0.0.1:5000 docs/screenshots

Drives Debian's Chromium through Playwright (never a downloaded browser) against a running
app, typing and clicking as a patient would.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import CHROMIUM, CHROMIUM_ARGS

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
WORDS = {
    "en": {"start": "Start", "continue": "Continue", "see": "See the clinics", "lang": "English"},
    "es": {"start": "Empezar", "continue": "Continuar", "see": "Ver las clínicas", "lang": "Español"},
}


def walk(page: Page, base: str, language: str, out: Path, size: str) -> None:
    words = WORDS[language]
    page.goto(base + "/")
    if language != "en":
        page.get_by_role("button", name=words["lang"]).click()
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
    page.locator("details").first.evaluate("element => element.open = true")
    # The first two clinics are enough to show a results page; the whole list would be 7,000 px tall.
    height = page.locator(".clinic-card").nth(1).bounding_box()
    bottom = int(height["y"] + height["height"] + 16) if height else 2400
    width = SIZES[size]["width"]
    page.screenshot(
        path=str(out / f"4-results-{language}-{size}.png"),
        clip={"x": 0, "y": 0, "width": width, "height": bottom},
        full_page=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            for language in WORDS:
                context = browser.new_context(viewport=viewport, locale="en-US")  # type: ignore[arg-type]
                walk(context.new_page(), args.base_url.rstrip("/"), language, args.out, size)
                context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
