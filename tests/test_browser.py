"""The patient journey in a real browser: Debian's Chromium driven by Playwright.

Every page a patient sees is checked with axe-core for serious or critical accessibility
problems. The app runs in a thread on a loopback port, on a copy of the real directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from clinicfinder.app import create_app
from tests.browser import serving
from tests.conftest import copy_seeded, make_environment

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
AXE = Axe()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, seeded_database: Path) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("live")
    copy_seeded(seeded_database, instance)
    app = create_app(make_environment(instance))
    with serving(app) as base:
        yield base


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

    def clinic_names(self) -> list[str]:
        return self.page.locator(".clinic-card h2").all_inner_texts()


def patient(browser: Browser, base: str, viewport: dict[str, int] = PHONE, **options: object) -> Patient:
    context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
    return Patient(context.new_page(), base, javascript=options.get("java_script_enabled", True) is not False)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", {"start": "Start", "continue": "Continue", "see": "See the clinics", "step": "Step 1 of 3",
                "fit": "clinics fit your answers", "confirmed": "Offers this treatment"}),
        ("es", {"start": "Empezar", "continue": "Continuar", "see": "Ver las clínicas", "step": "Paso 1 de 3",
                "fit": "clínicas se ajustan a sus respuestas", "confirmed": "Ofrece este tratamiento"}),
    ],
)  # fmt: skip
def test_a_patient_on_a_phone_goes_from_landing_to_ranked_explained_clinics(
    browser: Browser, live_server: str, language: str, words: dict[str, str]
) -> None:
    you = patient(browser, live_server)
    you.open("/")
    if language == "es":
        you.switch_to_spanish()
    you.click("link", words["start"])
    expect(you.page.get_by_text(words["step"])).to_be_visible()
    you.where("60611", "25", words["continue"])
    you.treatment("ivf", words["continue"])
    you.budget("20000", "USD", words["see"])
    expect(you.page.locator(".summary")).to_contain_text(words["fit"])
    names = you.clinic_names()
    assert len(names) >= 3 and "Northwestern Fertility and Reproductive Medicine" in names[0]
    expect(you.page.locator(".clinic-card").first).to_contain_text(words["confirmed"])
    expect(you.page.locator(".distance-view svg")).to_be_visible()
    # Nothing is wider than the phone: no sideways scrolling.
    assert you.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert len(you.checked) == (6 if language == "es" else 5)  # every page passed axe


def test_an_ambiguous_place_is_chosen_from_a_list_and_an_empty_result_offers_a_wider_search(
    browser: Browser, live_server: str
) -> None:
    you = patient(browser, live_server, DESKTOP)
    you.open("/find/where")
    you.where("Valencia")
    expect(you.page.locator("h1")).to_have_text("Which place do you mean?")
    you.page.get_by_label("Valencia, Comunidad Valenciana, Spain").check()
    you.click("button", "Continue")
    you.treatment("egg_donation")
    you.budget("", "EUR")
    expect(you.page.locator("#few-title")).to_have_text("No clinic fits all your answers")
    expect(you.page.locator(".few")).to_contain_text("We found no clinics within 50")
    you.page.locator(".suggestions button").first.click()
    you.check_page()
    assert len(you.clinic_names()) >= 1  # anywhere: the US clinics, far away but real


def test_a_bad_answer_is_announced_next_to_its_field(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server)
    you.open("/find/where")
    you.where("Xyzzyplugh")
    field = you.page.locator("#location")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(you.page.locator("#location-error")).to_contain_text("We couldn't find that place")
    expect(you.page.get_by_role("alert")).to_be_visible()
    assert "location-error" in (field.get_attribute("aria-describedby") or "")
    expect(field).to_have_value("Xyzzyplugh")  # what was typed is kept to correct
    you.where("Chicago")
    you.page.go_back()  # to the corrected step: a page again, not "confirm form resubmission"
    expect(you.page.locator("h1")).to_have_text("Where are you?")
    expect(you.page.locator("#location")).to_have_value("Chicago")


def test_the_whole_journey_works_from_the_keyboard_alone(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server, DESKTOP)
    keyboard = you.page.keyboard

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            keyboard.press("Tab")
            if you.page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    you.open("/")
    tab_to("a.button-primary")
    keyboard.press("Enter")
    you.page.wait_for_url("**/find/where")
    tab_to("#location")
    keyboard.type("Chicago")
    tab_to("button[type=submit]")
    keyboard.press("Enter")
    you.page.wait_for_url("**/find/treatment")
    tab_to("input[name=treatment]")
    keyboard.press("ArrowDown")  # IVF → ICSI, as radio groups move
    tab_to("button[type=submit]")
    keyboard.press("Enter")
    you.page.wait_for_url("**/find/budget")
    tab_to("#budget")
    keyboard.type("25000")
    tab_to("button[type=submit]")
    keyboard.press("Enter")
    you.page.wait_for_url("**/find/results")
    you.check_page()
    expect(you.page.locator(".answers")).to_contain_text("ICSI")
    assert len(you.clinic_names()) >= 3


def test_the_journey_works_without_javascript(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server, PHONE, java_script_enabled=False)
    you.open("/find/where")
    expect(you.page.get_by_role("button", name="Use my location")).to_be_hidden()
    you.where("Springfield, IL", "100")
    you.treatment("tese")
    you.budget("", "USD")
    assert len(you.clinic_names()) >= 1
    expect(you.page.locator(".clinic-card").first).to_contain_text("Treatment not confirmed — ask the clinic")


def test_use_my_location_fills_in_the_place(browser: Browser, live_server: str) -> None:
    you = patient(
        browser, live_server, DESKTOP, geolocation={"latitude": 41.88, "longitude": -87.63}, permissions=["geolocation"]
    )
    you.open("/find/where")
    you.page.get_by_role("button", name="Use my location").click()
    you.page.wait_for_url("**/find/treatment")  # the script fills in the place and sends the form
    you.check_page()
    you.treatment("ivf")
    you.budget("", "USD")
    expect(you.page.locator(".answers")).to_contain_text("Your location")
    assert len(you.clinic_names()) >= 3
