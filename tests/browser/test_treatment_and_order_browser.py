"""The age question and the sort control in a real browser (Debian's Chromium through Playwright), checked with axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.pages import axe_violations


def to_the_treatment_step(page: Page, base: str) -> None:
    page.goto(base + "/find/where")
    page.locator("#location").fill("60611")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("h1")).to_have_text("Which treatment?")


def test_a_patient_answers_the_age_question_on_an_accessible_treatment_step(page: Page, live_server: str) -> None:
    to_the_treatment_step(page, live_server)
    age = page.get_by_label("Age of the person whose eggs will be used (optional)")
    expect(age).to_have_accessible_description(
        "Success rates depend mostly on the age of the person whose eggs are used (with donor eggs, the donor's age),"
        " so we use it only to choose which figures to show you."
    )
    assert axe_violations(page) == []
    page.locator("input[name=treatment][value=egg_donation]").check()
    page.get_by_label("Who is the treatment for? (optional)").select_option("male_couple")
    age.select_option(label="38–40")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("h1")).to_have_text("What is your budget?")
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_label("Age of the person whose eggs will be used (optional)")).to_have_value("38_40")
    expect(page.get_by_label("Who is the treatment for? (optional)")).to_have_value("male_couple")
    assert axe_violations(page) == []


def test_an_unknown_age_code_is_shown_next_to_the_field_without_accessibility_problems(
    page: Page, live_server: str
) -> None:
    to_the_treatment_step(page, live_server)
    page.locator("input[name=treatment][value=ivf]").check()
    # A tampered form: a code the list does not offer.
    page.locator("#age_band").evaluate(
        "select => { select.add(new Option('forty', 'forty')); select.value = 'forty'; }"
    )
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("#age_band-error")).to_have_text("Choose one of the age ranges in the list.")
    expect(page.locator("#age_band")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_a_patient_sorts_by_success_for_their_age_and_sees_each_rate_with_its_range(
    page: Page, live_server: str
) -> None:
    to_the_treatment_step(page, live_server)
    page.locator("input[name=treatment][value=ivf]").check()
    page.get_by_label("Age of the person whose eggs will be used (optional)").select_option(label="35–37")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.locator("#budget").fill("20000")
    page.get_by_role("button", name="See the clinics", exact=True).click()
    page.get_by_label("Sort by").select_option("success")
    page.get_by_role("button", name="Sort", exact=True).click()
    expect(page.get_by_label("Sort by")).to_have_value("success")
    first = page.locator(".clinic-card").first
    expect(first.locator(".rank-why")).to_contain_text("By the lower end of its success range for your age")
    expect(first.locator(".outcome")).to_contain_text("95% range")
    expect(first.locator(".outcome svg title")).to_contain_text("Live births per intended retrieval")
    lows = [
        float(text.split("%")[0])
        for text in page.locator(".clinic-card .rank-why").all_inner_texts()
        if text.startswith("By the lower end")
        for text in [text.split(": ", 1)[1]]
    ]
    assert len(lows) >= 3 and lows == sorted(lows, reverse=True)
    # The context was opened with a viewport, so viewport_size is set
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    assert axe_violations(page) == []
