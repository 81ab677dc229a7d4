"""The results page in a real browser: every map pin readable and apart, reached by the keyboard, lit with
its card; each card's criteria fetched when opened, or on their own page without JavaScript."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Browser, expect

from tests.support.pages import PHONE, axe_violations, patient


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["375px", "1280px"])
@pytest.mark.parametrize(("place", "radius"), [("77030", "25"), ("10016", "10"), ("77030", "anywhere")])
def test_every_pin_shows_a_label_apart_from_the_others(
    browser: Browser, live_server: str, viewport: dict[str, int], place: str, radius: str
) -> None:
    you = patient(browser, live_server, viewport)
    you.ivf_results(place, radius)
    cards = you.page.locator(".clinic-card").count()
    labels = you.page.locator(".results-map .map-label")
    assert labels.count() == cards > 0
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert all(box and box["width"] >= 16 for box in boxes)  # about 19 px across even on a phone
    for a, b in itertools.combinations(boxes, 2):
        assert a and b
        apart_x = a["x"] + a["width"] <= b["x"] + 0.5 or b["x"] + b["width"] <= a["x"] + 0.5
        apart_y = a["y"] + a["height"] <= b["y"] + 0.5 or b["y"] + b["height"] <= a["y"] + 0.5
        # round labels: boxes may touch at the corners, but two circles never overlap
        centres = ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5
        assert apart_x or apart_y or centres >= a["width"] - 0.5
    you.page.context.close()


def test_the_keyboard_reaches_every_pin_and_lights_its_card(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server)
    you.ivf_results("77030", "25")
    pins = you.page.locator(".results-map a.map-pin")
    first_card = you.page.locator(".clinic-card").first
    name = first_card.locator("h2").evaluate("heading => heading.lastChild.textContent").strip()
    expect(pins.first).to_have_accessible_name(f"1. {name}")  # the number and the card's clinic
    pins.first.focus()
    expect(first_card).to_have_class("clinic-card is-highlighted")
    for index in range(1, pins.count()):
        you.page.keyboard.press("Tab")
        expect(pins.nth(index)).to_be_focused()
    expect(first_card).to_have_class("clinic-card")
    pins.first.focus()
    you.page.keyboard.press("Enter")
    # The jump to the card lands after the key press returns: wait for it rather than read the address at once.
    expect(you.page).to_have_url(re.compile(re.escape("#" + (first_card.get_attribute("id") or "missing")) + "$"))
    assert axe_violations(you.page) == []
    you.page.context.close()


def test_opening_a_cards_criteria_fetches_them_in_place(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server)
    you.ivf_results("77030", "25")
    card = you.page.locator(".clinic-card").first
    assert card.locator(".criterion").count() == 0  # not in the page until asked for
    card.locator("details[data-criteria] summary").click()
    criteria = card.locator("details[data-criteria] .criterion")
    expect(criteria.first).to_be_visible()
    assert criteria.count() >= 5
    expect(criteria.first.locator(".visually-hidden")).to_have_text("Met:")  # the outcome in words
    expect(card.locator("details[data-criteria] a")).to_have_count(0)  # the fallback link was replaced
    assert you.page.url.endswith("/find/results")  # fetched, not navigated
    assert axe_violations(you.page) == []
    you.page.context.close()


def test_without_javascript_a_cards_criteria_open_on_their_own_page(browser: Browser, live_server: str) -> None:
    you = patient(browser, live_server, java_script_enabled=False)
    you.ivf_results("77030", "25")
    card = you.page.locator(".clinic-card").first
    name = card.locator("h2").evaluate("heading => heading.lastChild.textContent").strip()
    card.locator("details[data-criteria] summary").click()
    card.locator("details[data-criteria] a").click()
    expect(you.page.locator("h1")).to_have_text(name)
    assert you.page.locator(".criterion").count() >= 5
    you.page.context.close()
