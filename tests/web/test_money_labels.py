"""On the results page and in the report, an estimate is never badged like a published price,
and a budget is shown and used as the patient typed it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from clinicfinder.core.domain import Treatment
from clinicfinder.db.models import Clinic, TreatmentOffer
from clinicfinder.extensions import db
from tests.support.journey import answer_all, journey_answers, post

PUBLISHED_BADGE = '<p class="badge badge--good">Within your budget</p>'
ESTIMATE_BADGE = '<p class="badge badge--estimate">Estimate within your budget</p>'


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def cards(html: str) -> list[str]:
    return re.findall(r'<div class="price">(.*?)</div>', html, flags=re.S)


def publish_a_price(app: Flask, amount: str) -> str:
    """Give one CDC-listed Chicago clinic a published IVF price, as a verified edit would."""
    with app.app_context():
        offer = db.session.scalars(
            select(TreatmentOffer)
            .join(Clinic)
            .where(TreatmentOffer.treatment == Treatment.IVF, Clinic.postal_code.like("606%"))
            .order_by(Clinic.id)
        ).first()
        assert offer is not None
        offer.price, offer.currency = Decimal(amount), "USD"
        db.session.commit()
        return offer.clinic_id


def test_only_a_published_price_earns_the_within_your_budget_badge(seeded_app: Flask, patient: FlaskClient) -> None:
    publish_a_price(seeded_app, "12000")
    answer_all(patient, location="60611", treatment="ivf", budget="25000")
    html = patient.get("/find/results").get_data(as_text=True)
    prices = cards(html)
    published = [card for card in prices if "published by the clinic" in card]
    estimated = [card for card in prices if "an estimate, not this clinic" in card]
    assert published and estimated
    assert all(PUBLISHED_BADGE in card for card in published)
    assert not any(PUBLISHED_BADGE in card for card in estimated)
    assert all(ESTIMATE_BADGE in card for card in estimated)  # $21,600 typical, within $25,000
    assert html.count(PUBLISHED_BADGE) == len(published)


def test_donor_sperm_shows_iui_and_ivf_each_on_its_own_labelled_line(patient: FlaskClient) -> None:
    answer_all(patient, location="60611", treatment="donor_sperm", budget="5000")
    html = patient.get("/find/results").get_data(as_text=True)
    assert "<strong>Donor sperm with IUI:</strong>" in html
    assert "<strong>Donor sperm with IVF:</strong>" in html
    assert "no reliable estimate — ask the clinic." in html
    assert "donor-sperm IUI treatment cycle, excluding the sperm, which is bought from a bank" in html
    assert "the source does not say how many vials" in html
    assert "a vial of donor sperm" not in html
    assert PUBLISHED_BADGE not in html


def test_the_ivf_estimate_says_what_its_source_says_and_covers_one_cycle(patient: FlaskClient) -> None:
    answer_all(patient, location="60611", treatment="ivf", budget="20000")
    html = patient.get("/find/results").get_data(as_text=True)
    assert "average cost of one IVF cycle (egg collection and embryo transfer)" in html
    assert "with medication" not in html
    assert "for one cycle" in html


def test_sperm_banking_is_not_priced_with_the_egg_freezing_figure(patient: FlaskClient) -> None:
    answer_all(patient, location="60611", treatment="fertility_preservation", budget="5000")
    html = patient.get("/find/results").get_data(as_text=True)
    egg = re.search(r"<strong>Egg freezing:</strong>(.*?)</li>", html, flags=re.S)
    sperm = re.search(r"<strong>Sperm freezing:</strong>(.*?)</li>", html, flags=re.S)
    # CDC lists egg or embryo freezing for almost every Chicago clinic: the page must show both lines.
    assert egg is not None and sperm is not None
    assert "egg freezing for women with cancer" in egg.group(1)
    assert "egg freezing" not in sperm.group(1) and "sperm banking (collection and freezing)" in sperm.group(1)


def test_a_budget_with_cents_is_never_rounded_up(patient: FlaskClient) -> None:
    answer_all(patient, budget="12000.99")
    assert journey_answers(patient)["budget"] == "12000.99"  # the filter uses the exact value
    html = patient.get("/find/results").get_data(as_text=True)
    assert "up to $12,000.99" in html
    assert "$12,001" not in html


@pytest.mark.parametrize(
    ("language", "typed", "message"),
    [
        ("en", "-5", "Enter a positive amount"),
        ("en", "0", "Enter a positive amount"),
        ("es", "-5", "Escriba una cantidad positiva"),
        ("es", "0", "Escriba una cantidad positiva"),
        ("en", "20000000", "at most 10,000,000"),
        ("es", "20000000", "10.000.000 como máximo"),
    ],
)
def test_a_bad_budget_is_explained_next_to_the_field_in_the_patients_language(
    patient: FlaskClient, language: str, typed: str, message: str
) -> None:
    post(patient, "/language", {"language": language, "next": "/"}, page="/")
    answer_all(patient, location="Chicago")
    post(patient, "/find/budget", {"budget": typed, "currency": "USD"})
    html = patient.get("/find/budget").get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="budget-error">([^<]+)</p>', html)
    assert error and message in error.group(1)
    assert "as a number" not in error.group(1) and "como un número" not in error.group(1)


def test_the_api_gives_each_donor_sperm_variant_with_its_label_and_no_single_figure(api: FlaskClient) -> None:
    response = api.get("/api/v1/clinics/search?lat=41.88&lon=-87.63&treatment=donor_sperm&budget=5000")
    assert response.status_code == 200
    price = response.get_json()["results"][0]["price"]
    assert price["kind"] == "estimate" and price["estimate"] is None
    iui, ivf = price["variants"]
    assert (iui["variant"], iui["budget_fit"]) == ("donor_sperm_iui", "within")
    assert [f["label"] for f in iui["estimate"]["figures"]] == [
        "donor-sperm IUI treatment cycle, excluding the sperm, which is bought from a bank",
        "donor sperm, excluding shipping and storage (the source does not say how many vials)",
    ]
    assert iui["estimate"]["is_sum_of_figures"] and iui["estimate"]["covers"] == "not_stated"
    assert (ivf["variant"], ivf["estimate"], ivf["budget_fit"]) == ("donor_sperm_ivf", None, "unknown")
