"""The results map as a patient meets it: a pin per card, in order, named, and nothing from elsewhere."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.core.map import MapDrawing
from clinicfinder.core.map.drawing import Pin
from clinicfinder.web.pages import map_pins
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


# The pins as the map's template wrote them with a loop, before web/pages.map_pins wrote them in one join.
PINS_LOOP = """{% for pin in drawing.pins %}<a href="#clinic-{{ pin.key }}" class="map-pin" data-card="clinic-{{ pin.key }}" \
aria-label="{{ pin.rank }}. {{ pin.name }}">
<circle cx="{{ pin.label_x }}" cy="{{ pin.label_y }}" r="{{ drawing.label_radius }}" class="map-label"/>
<text x="{{ pin.label_x }}" y="{{ pin.label_y }}" dy="0.36em" text-anchor="middle" class="map-number">{{ pin.rank }}</text>
</a>
{% endfor %}"""


def test_the_pins_are_the_markup_the_template_loop_wrote_names_escaped(app: Flask) -> None:
    pins = (
        Pin(1, 'Fertility & "IVF" <Center>', "c-1", 10.0, 20.0, 10.0, 20.0),
        Pin(2, "O'Brien Clinic", "c&2", 33.3, 44.4, 45.25, 31.0),
    )
    drawing = MapDrawing(400.0, 300.0, "", None, None, pins, 0, label_radius=11.0)
    with app.app_context():
        looped = app.jinja_env.from_string(PINS_LOOP).render(drawing=drawing)
    assert map_pins(drawing) == looped
    assert "Fertility &amp; &#34;IVF&#34; &lt;Center&gt;" in map_pins(drawing)
