"""Page objects for the browser tests: what a patient or an admin does, in words, with axe-core after every page.

Imports Playwright and axe-core: only tests/browser/ uses this module (tests/unit/test_layout.py checks it).
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.support.admin import PASSWORD

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
AXE = Axe()


class Patient:
    """A page object: what a patient does, in words, and the checks that follow every page."""

    def __init__(self, page: Page, base: str, *, javascript: bool = True) -> None:
        self.page = page
        self.base = base
        # axe-core runs as a script in the page: with scripts off, the same pages are checked by other tests.
        self.run_axe = javascript
        self.checked: list[str] = []

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base + path)
        self.check_page()

    def check_page(self) -> None:
        """No serious or critical accessibility violation, and never a server error."""
        expect(self.page.locator("h1")).to_be_visible()
        assert "Internal Server Error" not in self.page.content()
        if not self.run_axe:
            return
        result = AXE.run(self.page)
        serious = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{self.page.url}: " + "; ".join(f"{v['id']}: {v['help']}" for v in serious)
        self.checked.append(self.page.url)

    def click(self, role: str, name: str) -> None:
        # Callers pass ARIA role names; Playwright wants a Literal
        self.page.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]
        self.page.wait_for_load_state()
        self.check_page()

    def switch_to_spanish(self) -> None:
        self.click("button", "Español")

    def where(self, place: str, radius: str = "50", continue_label: str = "Continue") -> None:
        self.page.locator("#location").fill(place)
        self.page.locator("#radius").select_option(radius)
        self.click("button", continue_label)

    def treatment(self, code: str, continue_label: str = "Continue") -> None:
        self.page.locator(f"input[name=treatment][value={code}]").check()
        self.click("button", continue_label)

    def budget(self, amount: str, currency: str, submit_label: str = "See the clinics") -> None:
        self.page.locator("#budget").fill(amount)
        self.page.locator("#currency").select_option(currency)
        self.click("button", submit_label)

    def ivf_results(self, place: str, radius: str) -> None:
        """The three steps for IVF with a $20,000 budget, ending on the results page."""
        self.open("/find/where")
        self.where(place, radius)
        self.treatment("ivf")
        self.budget("20000", "USD")

    def clinic_names(self) -> list[str]:
        return self.page.locator(".clinic-card h2").all_inner_texts()


def patient(browser: Browser, base: str, viewport: dict[str, int] = PHONE, **options: object) -> Patient:
    # Plain dicts: viewport is shaped like ViewportSize, options are new_context's own keywords
    context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    return Patient(context.new_page(), base, javascript=options.get("java_script_enabled", True) is not False)


class Admin:
    """A page object: what an admin does, in words; every page is checked with axe-core."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def check_page(self) -> None:
        expect(self.page.locator("h1")).to_be_visible()
        assert "Internal Server Error" not in self.page.content()
        result = AXE.run(self.page)
        serious = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{self.page.url}: " + "; ".join(f"{v['id']}: {v['help']}" for v in serious)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check_page()

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        self.open("/account/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()
        self.check_page()

    def save(self) -> None:
        self.page.get_by_role("button", name="Save the listing").click()
        self.page.wait_for_load_state()
        self.check_page()


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page, one line each: an empty list is a pass."""
    result = AXE.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in result.response["violations"]]
