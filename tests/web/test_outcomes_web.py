"""What a patient and a partner's API learn about each clinic from CDC's outcome data, and the order they chose."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.core.domain import Availability, Treatment
from clinicfinder.db.models import TreatmentOffer
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from tests.support.journey import answer_all, post

CARD = re.compile(r'<li class="clinic-card".*?</li>\s*(?=<li class="clinic-card"|</ol>)', re.S)


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def test_nyu_langone_has_its_2022_own_egg_figures_by_band_with_intervals(api: FlaskClient) -> None:
    body = api.get("/api/v1/clinics/us-cdc-46").get_json()
    bands = {rate["age_band"]: rate for rate in body["success_rates"]}
    assert set(bands) == {"<35", "35-37", "38-40", ">40"}
    youngest = bands["<35"]
    assert (youngest["year"], youngest["cycles_started_in"]) == (2022, 2021)
    assert (youngest["live_births"], youngest["intended_retrievals"], youngest["rate_percent"]) == (236, 477, 49.5)
    low, high = youngest["interval_percent"]
    assert low < 49.5 < high
    # No national 2022 figure is at hand: never compared with 2018's.
    assert (youngest["national_rate_percent"], youngest["comparison"]) == (None, "no_national")
    assert {rate["year"] for rate in body["older_success_rates"]} == {2018}
    assert body["cdc_url"] == "https://nccd.cdc.gov/drh_art/rdPage.aspx?rdReport=DRH_ART.ClinicInfo&ClinicId=46"


def test_a_clinic_known_only_from_2018_shows_2018_against_the_2018_national_figure(api: FlaskClient) -> None:
    body = api.get("/api/v1/clinics/search?location=60611&treatment=ivf&radius_km=25&age_band=35_37").get_json()
    rated = [r for r in body["results"] if r["success_rate"] and r["success_rate"]["rate_percent"] is not None]
    assert rated, "Chicago clinics have 2018 figures"
    rate = rated[0]["success_rate"]
    assert (rate["year"], rate["age_band"]) == (2018, "35-37")
    assert rate["national_rate_percent"] is not None
    assert rate["comparison"] in {"above", "below", "consistent", "too_few"}
    assert all(r["clinic"]["cdc_url"].startswith("https://nccd.cdc.gov/") for r in body["results"])


@pytest.mark.parametrize(("order", "key"), [("experience", "yearly_cycles"), ("nearest", "distance_km")])
def test_the_api_orders_by_the_fact_asked_for(api: FlaskClient, order: str, key: str) -> None:
    body = api.get(f"/api/v1/clinics/search?location=10016&treatment=ivf&radius_km=30&order={order}").get_json()
    values = [r[key] for r in body["results"]]
    assert values == sorted(values, reverse=order == "experience")
    assert body["query"]["order"] == order


def test_a_wrong_order_is_refused_naming_the_parameter(api: FlaskClient) -> None:
    response = api.get("/api/v1/clinics/search?location=10016&treatment=ivf&order=quality")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "order"


def test_a_houston_micro_tese_search_tells_each_clinic_apart(patient: FlaskClient) -> None:
    answer_all(patient, location="77030", treatment="micro_tese")
    html = patient.get("/find/results").get_data(as_text=True)
    cards = CARD.findall(html)
    assert len(cards) >= 3
    for card in cards:
        assert "How often this clinic treats male infertility" in card or "Live births per intended" in card
        assert "This clinic&#39;s page at CDC" in card or "This clinic's page at CDC" in card
    assert "Quality" not in html and "/100" not in html
    assert html.count("CDC warns that comparing clinics") == 1


def test_the_sort_control_keeps_the_choice_and_orders_the_cards(patient: FlaskClient) -> None:
    answer_all(patient, location="10016", treatment="ivf")
    assert post(patient, "/find/order", {"order": "experience"}, page="/find/results").status_code == 302
    html = patient.get("/find/results").get_data(as_text=True)
    assert '<option selected value="experience">' in html or 'value="experience" selected' in html
    cycles = [int(n.replace(",", "")) for n in re.findall(r"By cycles a year: ([\d,]+) on average", html)]
    assert cycles and cycles == sorted(cycles, reverse=True)


def test_show_all_pages_through_the_clinics_without_javascript(patient: FlaskClient) -> None:
    answer_all(patient, location="10016", treatment="ivf")
    first = patient.get("/find/results").get_data(as_text=True)
    assert 'href="/find/results?page=2"' in first
    second = patient.get("/find/results?page=2").get_data(as_text=True)
    assert '<span aria-current="page">2</span>' in second
    ranks = re.findall(r'<p class="rank" aria-hidden="true">(\d+)</p>', second)
    assert ranks and ranks[0] == "21"
    assert "did not pass: see which and why" in first


def test_a_clinic_admins_claim_waits_for_verification_before_it_counts(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        db.session.add(
            TreatmentOffer(clinic_id="us-cdc-46", treatment=Treatment.MICRO_TESE, availability=Availability.YES,
                           source="Clinic-reported", as_of=db.func.current_date())
        )  # fmt: skip
        db.session.commit()
        facts = ClinicRepository(db.session).get("us-cdc-46")
        assert facts is not None
        assert Treatment.MICRO_TESE not in facts.offers
        assert facts.pending_offers[Treatment.MICRO_TESE].availability is Availability.YES
        row = db.session.scalars(
            db.select(TreatmentOffer).filter_by(clinic_id="us-cdc-46", treatment="micro_tese")
        ).one()
        row.source, row.verified_at, row.verified_by = "Clinic-reported, verified by ClinicFinder", db.func.now(), "a"
        db.session.commit()
        facts = ClinicRepository(db.session).get("us-cdc-46")
        assert facts is not None and facts.offers[Treatment.MICRO_TESE].availability is Availability.YES
