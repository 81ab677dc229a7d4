"""A clinic admin in a real browser (Debian's Chromium through Playwright), checked with axe-core.

The admin logs in, sets prices and TESE capability, and a patient's search, in another
browser context, shows the change at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from clinicfinder.app import create_app
from clinicfinder.core.domain import Role
from clinicfinder.extensions import db
from clinicfinder.services import accounts
from tests.support.admin import OWNED, PASSWORD
from tests.support.browser import serving
from tests.support.instances import copy_seeded, make_environment
from tests.support.pages import Admin

ADMIN = "owner@ihr.example"
SITE_ADMIN = "site@clinicfinder.example"
IHR = "Institute for Human Reproduction (IHR)"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, seeded_database: Path) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("live-admin")
    copy_seeded(seeded_database, instance)
    app = create_app(make_environment(instance))
    app.config["ADMIN_UPLOADS_DIR"] = str(instance / "uploads")
    with app.app_context():
        accounts.create_user(db.session, ADMIN, Role.CLINIC_ADMIN, password=PASSWORD, clinic_ids=[OWNED])
        accounts.create_user(db.session, SITE_ADMIN, Role.SITE_ADMIN, password=PASSWORD)
        db.session.commit()
    with serving(app) as base:
        yield base
    with app.app_context():
        db.engine.dispose()


def test_a_clinic_admin_sets_prices_and_tese_capability_and_a_patient_search_shows_it_at_once(
    browser: Browser, live_server: str
) -> None:
    admin = Admin(browser.new_context().new_page(), live_server)
    admin.log_in(ADMIN)
    expect(admin.page.locator("h1")).to_have_text("Your clinics")
    admin.page.get_by_role("link", name=IHR).click()
    admin.check_page()
    expect(admin.page.locator("#ivf_offered")).to_be_disabled()  # CDC's fact, shown but locked
    admin.page.locator("#ivf_price").fill("12500")
    admin.page.locator("#ivf_currency").select_option("USD")
    admin.page.locator("#tese_offered").select_option("yes")
    admin.page.locator("#tese_price").fill("9000")
    admin.page.locator("#tese_currency").select_option("USD")
    admin.page.locator("#mf_micro_tese").select_option("yes")
    admin.page.locator("#mf_reproductive_urologist").select_option("yes")
    admin.save()
    expect(admin.page.locator(".flash")).to_contain_text("Saved.")

    patient = browser.new_context().new_page()
    patient.goto(live_server + "/find/where")
    patient.locator("#location").fill("60611")
    patient.locator("#radius").select_option("25")
    patient.get_by_role("button", name="Continue", exact=True).click()
    patient.locator("input[name=treatment][value=tese]").check()
    patient.get_by_role("button", name="Continue", exact=True).click()
    patient.locator("#budget").fill("20000")
    patient.locator("#currency").select_option("USD")
    patient.get_by_role("button", name="See the clinics", exact=True).click()
    card = patient.locator(".clinic-card", has_text=IHR)
    # Shown at once, as the clinic's own word; it changes order and filters only once a site admin verifies it.
    expect(card.locator(".badge").first).to_contain_text("The clinic says it offers this treatment — not yet verified")
    expect(card).to_contain_text("9,000")
    expect(card).to_contain_text("Clinic-reported")


def test_an_edit_with_a_mistake_is_announced_next_to_the_field(browser: Browser, live_server: str) -> None:
    admin = Admin(browser.new_context().new_page(), live_server)
    admin.log_in(ADMIN)
    admin.open(f"/admin/clinics/{OWNED}")
    admin.page.locator("#website").fill("clinic.example")
    admin.save()
    field = admin.page.locator("#website")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(admin.page.locator("#website-error")).to_have_text("Start the address with https:// or http://")
    expect(admin.page.get_by_role("alert")).to_be_visible()


def test_the_site_admin_pages_pass_axe(browser: Browser, live_server: str) -> None:
    admin = Admin(browser.new_context().new_page(), live_server)
    admin.log_in(SITE_ADMIN)
    for path in ("/admin/", f"/admin/clinics/{OWNED}", f"/admin/clinics/{OWNED}/history", "/admin/audit",
                 "/admin/claims", "/admin/users", "/admin/directory/import", "/admin/health", "/account/reset"):  # fmt: skip
        admin.open(path)
