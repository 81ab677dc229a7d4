"""The results page: each card's criteria on demand, one citation for a shared typical cost, stable HTML."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.journey import answer_all

CARD = re.compile(r'<li class="clinic-card" id="clinic-([^"]+)">.*?</article>', re.S)
COUNTS = re.compile(r"Meets \d+ of our criteria, fails \d+, unknown \d+\.")
# What differs between two requests for the same answers: the CSRF token.
VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    client = seeded_app.test_client()
    answer_all(client)
    return client


def test_each_card_links_its_criteria_page_with_the_same_count_and_every_source(patient: FlaskClient) -> None:
    page = patient.get("/find/results").get_data(as_text=True)
    cards = CARD.findall(page)
    assert len(cards) >= 3
    for match in CARD.finditer(page):
        clinic_id, card = match.group(1), match.group(0)
        assert f'href="/find/results/criteria/{clinic_id}"' in card
        assert '<ul class="criteria">' not in card  # the list is fetched when opened, not sent twenty times
        criteria = html.unescape(patient.get(f"/find/results/criteria/{clinic_id}").get_data(as_text=True))
        counts = COUNTS.search(card)
        assert counts is not None and counts.group(0) in criteria
        assert criteria.count('<li class="criterion ') >= 5
        assert "as of Dec 31, 2022" in criteria  # every criterion's fact with its date
        assert f'href="/find/results#clinic-{clinic_id}"' in criteria  # back to the card
        assert '</span><span class="source">' not in criteria  # several sources read apart, not run together


def test_the_criteria_page_of_an_unknown_clinic_is_not_found(patient: FlaskClient) -> None:
    assert patient.get("/find/results/criteria/no-such-clinic").status_code == 404


def test_the_criteria_page_without_answers_goes_back_to_the_steps(seeded_app: Flask) -> None:
    response = seeded_app.test_client().get("/find/results/criteria/us-cdc-814")
    assert response.status_code == 302


def test_a_typical_cost_every_card_shares_is_cited_once_above_the_list(patient: FlaskClient) -> None:
    page = html.unescape(patient.get("/find/results").get_data(as_text=True))
    # Each estimated card still says so; the figures behind the estimate are named once.
    assert page.count("an estimate, not this clinic's price") >= 2
    assert page.count("Carrot Fertility blog") == 1
    assert page.index("Typical costs on this page:") < page.index('<ol class="clinics">')


def test_the_same_answers_give_the_same_page(patient: FlaskClient) -> None:
    first, second = (VOLATILE.sub("", patient.get("/find/results").get_data(as_text=True)) for _ in range(2))
    assert first == second


def test_in_spanish_the_card_links_its_criteria_in_spanish(patient: FlaskClient) -> None:
    page = patient.get("/find/results", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Abrir la lista en su propia página" in page
