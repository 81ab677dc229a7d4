"""The three steps through the Flask test client: errors next to fields, answers kept, privacy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from clinicfinder.db.models import JourneyAnswers
from clinicfinder.extensions import db
from clinicfinder.services import journey
from tests.support.journey import TOKEN, answer_all, answer_where_anyway, journey_answers, post


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def test_three_steps_lead_to_ranked_explained_results(patient: FlaskClient) -> None:
    page = patient.get("/find/where").get_data(as_text=True)
    assert "Step 1 of 3" in page
    answer_all(patient)
    response = patient.get("/find/results")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "60611 (Chicago, Illinois), United States" in html
    assert "Northwestern Fertility and Reproductive Medicine" in html
    assert 'Offers this treatment <span class="source">(CDC NASS 2022' in html  # CDC reporters perform IVF
    assert "Typical cost about $21,600" in html and "Carrot Fertility" in html
    assert "Typical cost is above your budget" in html
    assert 'class="cost-chart"' in html and 'class="results-map"' in html
    criteria = re.search(r'href="(/find/results/criteria/[^"]+)"', html)
    assert criteria is not None  # each card's criteria, with the date of every fact, on demand
    assert "as of Dec 31, 2022" in patient.get(criteria.group(1)).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("/find/where", {"location": "", "radius": "25", "unit": "km"}, "location", "Type a city or a postcode."),
        ("/find/where", {"location": "Xyzzyplugh", "radius": "25", "unit": "km"}, "location", "find that place"),
        ("/find/where", {"location": "Valenciaa", "radius": "25", "unit": "km"}, "location", "Did you mean: Valencia"),
        ("/find/where", {"location": "x" * 201, "radius": "25", "unit": "km"}, "location", "at most 200 characters"),
        ("/find/where", {"location": "Chicago", "radius": "7", "unit": "km"}, "radius", "Not a valid choice"),
        ("/find/treatment", {"treatment": ""}, "treatment", "Choose a treatment."),
        ("/find/treatment", {"treatment": "cloning"}, "treatment", "Not a valid choice"),
        ("/find/budget", {"budget": "lots", "currency": "USD"}, "budget", "Enter the amount as a number"),
        ("/find/budget", {"budget": "0", "currency": "USD"}, "budget", "Enter a positive amount"),
        ("/find/budget", {"budget": "-5", "currency": "USD"}, "budget", "Enter a positive amount"),
        ("/find/budget", {"budget": "20000000", "currency": "USD"}, "budget", "at most 10,000,000"),
        ("/find/budget", {"budget": "100", "currency": "JPY"}, "currency", "Not a valid choice"),
    ],
)
def test_a_bad_answer_is_explained_next_to_its_field_and_keeps_the_others(
    patient: FlaskClient, path: str, data: dict[str, str], field: str, message: str
) -> None:
    answer_all(patient, location="Chicago")
    before = dict(journey_answers(patient))
    response = post(patient, path, data)
    # Back to the same page by a redirect, so the browser's Back never asks to resubmit.
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    html = patient.get(path).get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', html)
    assert error and message in error.group(1), html[:2000]
    assert f'aria-describedby="{field}-hint {field}-error"' in html or f'aria-describedby="{field}-error"' in html
    assert f'href="#{field}"' in html  # the summary links to the field
    assert journey_answers(patient) == before  # nothing else was lost or changed
    assert "field-error" not in patient.get(path).get_data(as_text=True)  # shown once, then gone


def test_going_back_shows_the_answers_already_given(patient: FlaskClient) -> None:
    answer_all(patient, location="Springfield, IL", treatment="tese", budget="15,000")
    assert 'value="Springfield, IL"' in patient.get("/find/where").get_data(as_text=True)
    assert re.search(r'value="tese"\s+checked', patient.get("/find/treatment").get_data(as_text=True))
    assert 'value="15000"' in patient.get("/find/budget").get_data(as_text=True)


def test_an_ambiguous_place_asks_which_one_and_never_picks_silently(patient: FlaskClient) -> None:
    response = post(patient, "/find/where", {"location": "Valencia", "radius": "50", "unit": "km"})
    assert response.headers["Location"].endswith("/find/where/choose")
    html = patient.get("/find/where/choose").get_data(as_text=True)
    assert "Valencia, Carabobo, Venezuela" in html and "Valencia, Comunidad Valenciana, Spain" in html
    post(patient, "/find/where/choose", {})
    assert "Choose a place." in patient.get("/find/where/choose").get_data(as_text=True)
    spain = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>Valencia, Comunidad Valenciana, Spain', html)
    assert spain
    # Spain is outside the directory: the where step says so before the treatment question.
    assert post(patient, "/find/where/choose", {"choice": spain.group(1)}).headers["Location"].endswith("/find/where")
    # journey_answers() is typed dict[str, object]; "place" holds a dict
    assert journey_answers(patient)["place"]["label"] == "Valencia, Comunidad Valenciana, Spain"  # type: ignore[index]


def test_no_clinic_nearby_says_why_and_one_click_widens_the_search(patient: FlaskClient) -> None:
    answer_where_anyway(patient, "Valencia, Spain")
    answer_all(patient, location=None)
    html = patient.get("/find/results").get_data(as_text=True)
    assert "No clinic fits all your answers" in html
    assert "We found no clinics within 25\u00a0mi of this place." in html
    widen = re.search(
        r'name="change" value="larger_radius">\s*(?:<input type="hidden" name="radius_km" value="([^"]+)">)?', html
    )
    assert widen is not None
    data = {"change": "larger_radius"} | ({"radius_km": widen.group(1)} if widen.group(1) else {})
    assert post(patient, "/find/adjust", data, page="/find/results").status_code == 302
    assert "clinics fit your answers" in patient.get("/find/results").get_data(as_text=True)


def test_answers_never_travel_in_the_cookie_or_a_url(patient: FlaskClient, seeded_app: Flask) -> None:
    answer_all(patient, treatment="micro_tese")
    cookie = patient.get_cookie("session")
    assert cookie is not None
    # The app keeps Flask's default SecureCookieSessionInterface, which has this method
    serializer = seeded_app.session_interface.get_signing_serializer(seeded_app)  # type: ignore[attr-defined]
    content = serializer.loads(cookie.value)
    assert set(content) <= {"csrf_token", journey.SESSION_KEY, "language"}
    assert "micro_tese" not in cookie.value and "60611" not in str(content)
    for path in ("/find/where", "/find/treatment", "/find/budget"):
        response = post(
            patient, path, {"location": "60611", "radius": "25", "unit": "mi", "treatment": "ivf", "currency": "USD"}
        )
        assert "?" not in response.headers.get("Location", "")


def test_pages_with_answers_are_never_cached(patient: FlaskClient) -> None:
    answer_all(patient)
    for path in ("/find/where", "/find/treatment", "/find/budget", "/find/results"):
        assert patient.get(path).headers["Cache-Control"] == "no-store"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(patient: FlaskClient) -> None:
    answer_all(patient)
    before = journey_answers(patient)
    response = patient.post("/find/treatment", data={"treatment": "tese"})
    assert response.status_code == 302  # back to the page, with "That page had expired"
    assert journey_answers(patient) == before
    language = patient.post("/language", data={"language": "es", "next": "/find/budget"})
    assert language.status_code == 302 and language.headers["Location"].endswith("/find/budget")


def test_spanish_pages_speak_spanish_with_spanish_numbers(patient: FlaskClient) -> None:
    post(patient, "/language", {"language": "es", "next": "/find/where"}, page="/")
    page = patient.get("/find/where").get_data(as_text=True)
    assert '<html lang="es">' in page and "Paso 1 de 3" in page and "¿Dónde está?" in page
    assert "Nombres de lugares y códigos postales españoles: GeoNames" in page
    assert "contains OS data © Crown copyright and database right" in page  # licence statements stay verbatim
    answer_all(patient)
    html = patient.get("/find/results").get_data(as_text=True)
    assert "Clínicas para usted" in html
    assert "Coste típico de unos 21.600\xa0US$" in html  # es-ES grouping and symbol placement
    criteria = re.search(r'href="(/find/results/criteria/[^"]+)"', html)
    assert criteria is not None and "a 31 dic 2022" in patient.get(criteria.group(1)).get_data(as_text=True)


def test_the_language_switch_only_redirects_within_the_site(patient: FlaskClient) -> None:
    response = post(patient, "/language", {"language": "es", "next": "https://evil.example/"}, page="/")
    assert response.headers["Location"] == "/"


def test_forgetting_deletes_the_answers_at_once(patient: FlaskClient) -> None:
    answer_all(patient)
    assert journey_answers(patient)
    post(patient, "/find/forget", {}, page="/find/results")
    assert journey_answers(patient) == {}
    assert patient.get("/find/results").headers["Location"].endswith("/find/where")


def test_idle_answers_expire_and_are_purged(patient: FlaskClient, seeded_app: Flask) -> None:
    answer_all(patient)
    with seeded_app.app_context():
        for row in db.session.scalars(select(JourneyAnswers)):
            row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    result = seeded_app.test_cli_runner().invoke(args=["journeys", "purge"])
    assert "1 expired answer set(s) deleted" in result.output
    with seeded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JourneyAnswers)) == 0
    assert patient.get("/find/results").headers["Location"].endswith("/find/where")


def test_an_expired_form_sends_the_patient_back_to_the_page_with_a_message(patient: FlaskClient) -> None:
    answer_all(patient)
    response = patient.post("/find/budget", data={"csrf_token": "stale", "budget": "1", "currency": "USD"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/find/budget")
    page = patient.get("/find/budget").get_data(as_text=True)
    assert "That page had expired, so nothing was sent." in page
    assert 'value="20000"' in page  # the answers given before are still there


def test_forgetting_says_so(patient: FlaskClient) -> None:
    answer_all(patient)
    post(patient, "/find/forget", {}, page="/find/results")
    assert "Your answers have been erased." in patient.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15,000", "15000"),
        ("15.000", "15000"),
        ("15.000,50", "15000.50"),
        ("15,000.50", "15000.50"),
        ("$ 9,500", "9500"),
    ],
)
def test_amounts_are_read_as_people_write_them(patient: FlaskClient, typed: str, stored: str) -> None:
    answer_all(patient, budget=typed)
    assert journey_answers(patient)["budget"] == stored


def test_a_place_outside_the_directory_says_the_directory_is_american(patient: FlaskClient) -> None:
    post(patient, "/language", {"language": "es", "next": "/"}, page="/")
    answer_where_anyway(patient, "Valencia, Spain")
    answer_all(patient, location=None)
    html = patient.get("/find/results").get_data(as_text=True)
    assert "Valencia, Comunitat Valenciana, España" in html or "Valencia, Comunidad Valenciana, España" in html
    assert "solo recoge clínicas de un país (Estados Unidos)" in html


def test_over_budget_estimates_are_called_out_above_the_list(patient: FlaskClient) -> None:
    answer_all(patient, budget="15000")
    html = patient.get("/find/results").get_data(as_text=True)
    assert "the typical cost of this treatment is above your budget: ask them for their prices" in html


def test_a_misspelt_place_offers_the_places_it_may_mean_as_one_click_answers(patient: FlaskClient) -> None:
    post(patient, "/find/where", {"location": "Valenciaa", "radius": "100", "unit": "km"})
    html = patient.get("/find/where").get_data(as_text=True)
    choice = re.search(r'<button type="submit" name="location" value="([^"]+)"', html)
    assert choice and "Valencia" in choice.group(1)
    assert 'name="radius" value="100"' in html
    response = post(patient, "/find/where", {"location": choice.group(1), "radius": "100", "unit": "km"})
    assert response.headers["Location"].endswith(("/find/treatment", "/find/where/choose", "/find/where"))
    assert "Did you mean one of these?" not in patient.get("/find/where").get_data(as_text=True)  # shown once


@pytest.mark.parametrize(
    "data",
    [
        {"change": "larger_radius", "radius_km": "nan"},
        {"change": "larger_radius", "radius_km": "inf"},
        {"change": "larger_radius", "radius_km": "-50"},
        {"change": "larger_radius", "radius_km": "1e308"},
        {"change": "larger_radius", "radius_km": "123.4"},
        {"change": "higher_budget", "budget": "1e999"},
        {"change": "higher_budget", "budget": "NaN"},
        {"change": "higher_budget", "budget": "-100"},
        {"change": "drop_tables"},
    ],
)
def test_a_tampered_suggestion_changes_nothing_and_breaks_nothing(patient: FlaskClient, data: dict[str, str]) -> None:
    answer_all(patient)
    before = journey_answers(patient)
    response = post(patient, "/find/adjust", data, page="/find/results")
    assert response.status_code == 302
    assert journey_answers(patient) == before
    assert patient.get("/find/results").status_code == 200


def test_a_choice_from_a_list_another_window_replaced_is_refused(patient: FlaskClient) -> None:
    post(patient, "/find/where", {"location": "Springfield", "radius": "50", "unit": "mi"})
    springfield_page = patient.get("/find/where/choose").get_data(as_text=True)
    stale_token = TOKEN.search(springfield_page)
    stale_list = re.search(r'name="list_id"[^>]*value="([^"]+)"', springfield_page) or re.search(
        r'value="([^"]+)"[^>]*name="list_id"', springfield_page
    )
    assert stale_token and stale_list
    post(patient, "/find/where", {"location": "Portland", "radius": "50", "unit": "mi"})  # the other window
    response = patient.post(
        "/find/where/choose", data={"csrf_token": stale_token.group(1), "choice": "0", "list_id": stale_list.group(1)}
    )
    assert response.headers["Location"].endswith("/find/where/choose")
    assert "place" not in journey_answers(patient)
    assert "The list of places changed in another window." in patient.get("/find/where/choose").get_data(as_text=True)


def test_expired_answers_are_announced_not_silently_dropped(patient: FlaskClient, seeded_app: Flask) -> None:
    answer_all(patient)
    with seeded_app.app_context():
        for row in db.session.scalars(select(JourneyAnswers)):
            row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    page = patient.get("/find/budget", follow_redirects=True).get_data(as_text=True)
    assert "Your answers were erased after an hour without activity." in page


def test_forget_with_an_expired_page_returns_to_the_results(patient: FlaskClient) -> None:
    answer_all(patient)
    response = patient.post("/find/forget", data={"csrf_token": "stale"})
    assert response.headers["Location"].endswith("/find/results")


def test_a_device_location_is_kept_only_to_about_a_kilometre(patient: FlaskClient) -> None:
    post(
        patient,
        "/find/where",
        {"location": "", "latitude": "41.87812", "longitude": "-87.62979", "radius": "25", "unit": "mi"},
    )
    place = journey_answers(patient)["place"]
    # journey_answers() is typed dict[str, object]; "place" holds a dict
    assert (place["latitude"], place["longitude"]) == (41.88, -87.63)  # type: ignore[index]


def test_a_rejected_answer_keeps_only_the_forms_own_fields(patient: FlaskClient) -> None:
    answer_all(patient)
    post(patient, "/find/budget", {"budget": "lots", "currency": "USD", "junk": "x" * 100_000, "secret": "HIV"})
    rejected = journey_answers(patient)["rejected"]
    # journey_answers() is typed dict[str, object]; "rejected" holds a dict
    assert set(rejected["typed"]) <= {"budget", "currency", "include_unpriced"}  # type: ignore[index]
