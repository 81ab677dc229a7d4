"""The results map as a patient meets it: a pin per card, in order, named, and nothing from elsewhere."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.journey import post, results_page

MAP = re.compile(r'<figure class="results-map".*?</figure>', re.S)
PIN = re.compile(r'<a href="#clinic-([^"]+)" class="map-pin" data-card="clinic-\1" aria-label="(\d+)\. ([^"]+)">')
CARD = re.compile(r'<li class="clinic-card" id="clinic-([^"]+)">')


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def test_a_houston_search_pins_every_card_in_order_and_says_what_the_map_shows(patient: FlaskClient) -> None:
    page = results_page(patient, "77030")
    figure = MAP.search(page)
    assert figure
    pins = PIN.findall(figure.group(0))
    cards = CARD.findall(page)
    assert [key for key, _, _ in pins] == cards  # one pin per card, linking to it
    assert [int(rank) for _, rank, _ in pins] == list(range(1, len(cards) + 1))
    caption = re.search(r'<figcaption id="results-map-caption">(.*?)<span', figure.group(0), re.S)
    assert caption
    words = " ".join(caption.group(1).split())
    assert re.fullmatch(
        rf"{len(cards)} clinics within 25 mi of 77030 \(Houston, Texas\), United States; "
        r"the nearest is \d+(\.\d)? mi away\.",
        words,
    ), words
    assert '<circle cx="200.0" cy="150.0" r="136.0" class="map-radius"/>' in figure.group(0)
    assert '<title id="results-map-title">Map of the clinics</title>' in figure.group(0)


def test_anywhere_shows_the_whole_country_without_a_radius(patient: FlaskClient) -> None:
    page = results_page(patient, "77030", radius="anywhere")
    figure = MAP.search(page)
    assert figure and 'class="map-radius"' not in figure.group(0)
    assert 'viewBox="0 0 400.0 250.3"' in figure.group(0)
    assert "clinics on a map of the United States; the nearest is" in figure.group(0)


def test_in_spanish_the_map_speaks_spanish(patient: FlaskClient) -> None:
    post(patient, "/language", {"language": "es", "next": "/"}, page="/")
    page = results_page(patient, "77030")
    figure = MAP.search(page)
    assert figure and "Mapa de las clínicas" in figure.group(0)
    assert re.search(r"clínicas a menos de 25\s+mi de", figure.group(0)), figure.group(0)[-400:]


def test_the_results_page_loads_nothing_from_another_origin(patient: FlaskClient) -> None:
    page = results_page(patient, "10016", radius="10")
    assert MAP.search(page)
    # Links out (CDC, state laws) are fine; anything the browser would fetch by itself is not.
    fetched = re.findall(r'<(?:img|script|iframe|source|image|use)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    fetched += re.findall(r'<link\b[^>]*\bhref="([^"]+)"', page)
    fetched += re.findall(r"url\(([^)]+)\)", page)
    assert fetched and all(url.startswith("/") and not url.startswith("//") for url in fetched), fetched
    policy = patient.get("/find/results").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "https:" not in policy
