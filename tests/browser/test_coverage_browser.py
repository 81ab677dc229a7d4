"""The step-1 notice for a place outside the directory, in a real browser, checked with axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.pages import axe_violations


def test_a_londoner_is_told_at_step_1_and_can_search_the_us_directory_anyway(page: Page, live_server: str) -> None:
    page.goto(live_server + "/find/where")
    page.locator("#location").fill("SW1A 1AA")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("h1")).to_have_text("Where are you?")
    notice = page.get_by_role("region", name="Our directory has no clinics near SW1A")
    expect(notice).to_contain_text("It lists clinics in one country only: United States.")
    expect(notice.get_by_role("link", name="Choose a Fertility Clinic, on the HFEA's website")).to_have_attribute(
        "href", "https://www.hfea.gov.uk/choose-a-clinic/"
    )
    assert axe_violations(page) == []
    notice.get_by_role("button", name="Search the US directory anyway").click()
    expect(page.locator("h1")).to_have_text("Which treatment?")


def test_a_patient_in_madrid_is_told_in_spanish_with_the_spanish_registers(page: Page, live_server: str) -> None:
    page.goto(live_server + "/find/where")
    page.get_by_role("button", name="Español").click()
    page.goto(live_server + "/find/where")
    page.locator("#location").fill("Madrid, España")
    page.get_by_role("button", name="Continuar", exact=True).click()
    notice = page.get_by_role("region", name="Nuestro directorio no tiene clínicas cerca de Madrid")
    expect(notice.get_by_role("link", name="Sociedad Española de Fertilidad")).to_be_visible()
    expect(
        notice.get_by_role("link", name="Registro General de Centros, Servicios y Establecimientos Sanitarios")
    ).to_be_visible()
    assert axe_violations(page) == []
