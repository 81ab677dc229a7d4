"""The browser for the journeys: Debian's Chromium driven by Playwright, one per test module.

Only this folder imports Playwright (tests/unit/test_layout.py checks it), so the other suites
run on a machine without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, serving
from tests.support.instances import copy_seeded, make_environment
from tests.support.pages import PHONE


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (see tests/support/browser.py), one per test module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, seeded_database: Path) -> Iterator[str]:
    """The app on the seeded directory, served on loopback; a module with other needs defines its own."""
    from clinicfinder.app import create_app

    instance = tmp_path_factory.mktemp("live")
    copy_seeded(seeded_database, instance)
    with serving(create_app(make_environment(instance))) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at phone size."""
    # PHONE is a plain dict shaped like ViewportSize
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    yield context.new_page()
    context.close()
