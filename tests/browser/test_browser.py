"""The patient journey in a real browser: Debian's Chromium driven by Playwright.

Every page a patient sees is checked with axe-core for serious or critical accessibility
problems. The app runs in a thread on a loopback port, on a copy of the real directory.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.pages import DESKTOP, PHONE, patient


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", {"start": "Start", "continue": "Continue", "see": "See the clinics", "step": "Step 1 of 3",
                "fit": "clinics fit your answers", "confirmed": "Offers this treatment", "why": "Nearest first: "}),
        ("es", {"start": "Empezar", "continue": "Continuar", "see": "Ver las clínicas", "step": "Paso 1 de 3",
                "fit": "clínicas se ajustan a sus respuestas", "confirmed": "Ofrece este tratamiento", "why": "Primero las más cercanas: "}),
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
    assert len(names) >= 3 and "Institute for Human Reproduction (IHR)" in names[0]  # the nearest to 60611
    expect(you.page.locator(".clinic-card").first).to_contain_text(words["confirmed"])
    expect(you.page.locator(".clinic-card .rank-why").first).to_contain_text(words["why"])
    expect(you.page.locator(".results-map svg")).to_be_visible()
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
    # Spain is outside the directory: step 1 says so, and the patient searches it anyway.
    expect(you.page.locator("#coverage-title")).to_contain_text("Our directory has no clinics near Valencia")
    you.click("button", "Search the US directory anyway")
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
