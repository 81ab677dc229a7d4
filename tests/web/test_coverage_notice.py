"""Step 1 says at once when the directory has no clinics in the patient's country, and where to look instead."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from clinicfinder.core.domain import ClinicStatus
from clinicfinder.db.models import Clinic, JourneyAnswers
from clinicfinder.extensions import db
from clinicfinder.services import journey
from tests.support.journey import answer_all, answer_where_anyway, post

HFEA = "https://www.hfea.gov.uk/choose-a-clinic/"
REGCESS = "https://regcess.mscbs.es/regcessWeb/inicioBuscarCentrosAction.do"
SEF = "https://www.sefertilidad.net/"


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def in_spanish(patient: FlaskClient) -> None:
    post(patient, "/language", {"language": "es", "next": "/"}, page="/")


def where_page_after(patient: FlaskClient, location: str) -> str:
    """The where step after typing `location` (choosing the European place when several match)."""
    response = post(patient, "/find/where", {"location": location, "radius": "50", "unit": "auto"})
    if response.headers["Location"].endswith("/find/where/choose"):
        html = patient.get("/find/where/choose").get_data(as_text=True)
        europe = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>[^<]*(?:Spain|España|France|Francia)</label>', html)
        assert europe, html
        response = post(patient, "/find/where/choose", {"choice": europe.group(1)})
    assert response.headers["Location"].endswith("/find/where")  # the where step again, not the treatment question
    return patient.get("/find/where").get_data(as_text=True)


def stored(client: FlaskClient) -> dict[str, object]:
    with client.application.app_context(), client.session_transaction() as session:
        journey_id = session.get(journey.SESSION_KEY)
        row = db.session.get(JourneyAnswers, journey_id) if journey_id else None
        return dict(row.answers) if row else {}


@pytest.mark.parametrize(
    ("language", "location", "heading", "countries", "pointers", "button"),
    [
        ("en", "SW1A 1AA", "Our directory has no clinics near SW1A (St James",
         "It lists clinics in one country only: United States.", [HFEA, "Choose a Fertility Clinic"],
         "Search the US directory anyway"),
        ("es", "SW1A 1AA", "Nuestro directorio no tiene clínicas cerca de SW1A (St James",
         "Solo recoge clínicas de un país: Estados Unidos.", [HFEA, "Choose a Fertility Clinic"],
         "Buscar de todos modos en el directorio de EE. UU."),
        ("en", "Madrid", "Our directory has no clinics near Madrid",
         "It lists clinics in one country only: United States.",
         [REGCESS, SEF, "Registro General de Centros, Servicios y Establecimientos Sanitarios",
          "Sociedad Española de Fertilidad"], "Search the US directory anyway"),
        ("es", "Madrid", "Nuestro directorio no tiene clínicas cerca de Madrid",
         "Solo recoge clínicas de un país: Estados Unidos.",
         [REGCESS, SEF, "Registro General de Centros, Servicios y Establecimientos Sanitarios",
          "Sociedad Española de Fertilidad"], "Buscar de todos modos en el directorio de EE. UU."),
    ],
)  # fmt: skip
def test_a_place_outside_the_directory_is_told_so_at_the_where_step_with_where_to_look(
    patient: FlaskClient, language: str, location: str, heading: str, countries: str, pointers: list[str], button: str
) -> None:
    if language == "es":
        in_spanish(patient)
    html = where_page_after(patient, location)
    notice = html[html.index("data-coverage-notice") : html.index("</section>", html.index("data-coverage-notice"))]
    assert heading in notice
    assert countries in notice
    for pointer in pointers:
        assert pointer in notice
    assert button in notice
    # Before any other question: the treatment step is not reachable until the patient decides.
    assert patient.get("/find/treatment").headers["Location"].endswith("/find/where")


def test_a_place_elsewhere_gets_a_plain_sentence(patient: FlaskClient) -> None:
    html = where_page_after(patient, "Paris, France")
    assert "Our directory has no clinics near Paris" in html
    assert "health ministry or fertility regulator can tell you which clinics are licensed there" in html
    assert HFEA not in html and REGCESS not in html


def test_search_the_us_directory_anyway_continues_to_the_treatment_step_and_the_results(patient: FlaskClient) -> None:
    where_page_after(patient, "SW1A 1AA")
    response = post(patient, "/find/where/anyway", {}, page="/find/where")
    assert response.headers["Location"].endswith("/find/treatment")
    assert "Which treatment?" in patient.get("/find/treatment").get_data(as_text=True)
    assert "data-coverage-notice" not in patient.get("/find/where").get_data(as_text=True)
    answer_all(patient, location=None)
    html = patient.get("/find/results").get_data(as_text=True)
    assert "Our directory lists clinics in one country only (United States)" in html


def test_search_anyway_without_a_csrf_token_changes_nothing(patient: FlaskClient) -> None:
    where_page_after(patient, "Madrid")
    assert patient.post("/find/where/anyway").status_code in (302, 400)
    assert patient.get("/find/treatment").headers["Location"].endswith("/find/where")


def test_a_us_place_goes_straight_to_the_treatment_step(patient: FlaskClient) -> None:
    response = post(patient, "/find/where", {"location": "60611", "radius": "50", "unit": "auto"})
    assert response.headers["Location"].endswith("/find/treatment")


def test_choosing_a_place_outside_among_candidates_is_told_too(patient: FlaskClient) -> None:
    post(patient, "/find/where", {"location": "Valencia", "radius": "50", "unit": "auto"})
    html = patient.get("/find/where/choose").get_data(as_text=True)
    spain = re.search(r'value="(\d+)"[^>]*>\s*<label[^>]*>Valencia, Comunidad Valenciana, Spain', html)
    assert spain
    response = post(patient, "/find/where/choose", {"choice": spain.group(1)})
    assert response.headers["Location"].endswith("/find/where")
    assert REGCESS in patient.get("/find/where").get_data(as_text=True)


def test_adding_a_countrys_clinics_changes_the_message_by_itself(seeded_app: Flask) -> None:
    patient = seeded_app.test_client()
    with seeded_app.app_context():
        db.session.add(
            Clinic(id="es-test-1", name="Clínica de prueba", city="Madrid", country="ES", status=ClinicStatus.OPEN,
                   latitude=40.4168, longitude=-3.7038)
        )  # fmt: skip
        db.session.commit()
    response = post(patient, "/find/where", {"location": "Madrid, Spain", "radius": "50", "unit": "auto"})
    assert response.headers["Location"].endswith("/find/treatment")  # Spain is covered now
    html = where_page_after(patient, "SW1A 1AA")
    assert "It lists clinics in 2 countries only: Spain and United States." in html
    assert "Search the directory anyway" in html


@pytest.mark.parametrize("example", ["Valencia", "SW1A 1AA", "46001"])
def test_the_where_steps_examples_do_not_invite_places_without_clinics(patient: FlaskClient, example: str) -> None:
    hint = re.search(r'id="location-hint"[^>]*>([^<]*)<', patient.get("/find/where").get_data(as_text=True))
    assert hint and "Chicago" in hint.group(1)
    assert example not in hint.group(1)


def test_a_spanish_speaker_in_the_us_gets_miles_dollars_and_a_letter_report(patient: FlaskClient) -> None:
    in_spanish(patient)
    assert post(patient, "/find/where", {"location": "60611", "radius": "25", "unit": "auto"}).status_code == 302
    assert post(patient, "/find/treatment", {"treatment": "ivf"}).status_code == 302
    budget = patient.get("/find/budget").get_data(as_text=True)
    assert '<option value="USD" selected>' in budget
    post(patient, "/find/budget", {"budget": "20000", "currency": "USD", "include_unpriced": "y"})
    html = patient.get("/find/results").get_data(as_text=True)
    assert re.search(r"\d\u00a0mi\b", html) and "\u00a0km" not in html
    assert "US$" in html or "$" in html
    assert stored(patient)["unit"] == "mi"
    response = post(patient, "/report/download", {}, page="/find/results")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    page = PdfReader(BytesIO(response.data)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((612, 792), abs=0.5)


def test_the_patient_can_change_the_reports_paper(patient: FlaskClient) -> None:
    answer_all(patient)  # a Chicago ZIP: Letter by default
    html = patient.get("/find/results").get_data(as_text=True)
    assert '<option selected value="Letter">' in html or '<option value="Letter" selected>' in html
    response = post(patient, "/find/paper", {"paper": "A4"}, page="/find/results")
    assert response.status_code == 302 and response.headers["Location"].endswith("/find/results#report")
    assert stored(patient)["paper"] == "A4"
    html = patient.get("/find/results").get_data(as_text=True)
    assert '<option selected value="A4">' in html or '<option value="A4" selected>' in html
    pdf = post(patient, "/report/download", {}, page="/find/results")
    page = PdfReader(BytesIO(pdf.data)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((595.3, 841.9), abs=0.5)
    post(patient, "/find/paper", {"paper": "Tabloid"}, page="/find/results")  # not a size we print on
    assert stored(patient)["paper"] == "A4"


def test_a_spanish_place_in_english_gets_kilometres_euros_and_a4(patient: FlaskClient) -> None:
    answer_where_anyway(patient, "Madrid, Spain", unit="auto")
    assert stored(patient)["unit"] == "km"
    post(patient, "/find/treatment", {"treatment": "ivf"})
    budget = patient.get("/find/budget").get_data(as_text=True)
    assert '<option value="EUR" selected>' in budget


def test_the_patient_can_still_choose_the_unit_and_the_currency(patient: FlaskClient) -> None:
    in_spanish(patient)
    post(patient, "/find/where", {"location": "60611", "radius": "25", "unit": "km"})
    assert stored(patient)["unit"] == "km"
    post(patient, "/find/treatment", {"treatment": "ivf"})
    post(patient, "/find/budget", {"budget": "20000", "currency": "EUR", "include_unpriced": "y"})
    assert stored(patient)["currency"] == "EUR"
    html = patient.get("/find/results").get_data(as_text=True)
    assert "\u00a0km" in html


def device_position(patient: FlaskClient, latitude: str, longitude: str) -> str:
    """ "Use my location": the browser sends coordinates and no place name or country."""
    data = {"location": "", "latitude": latitude, "longitude": longitude, "radius": "25", "unit": "auto"}
    return post(patient, "/find/where", data).headers["Location"]


def test_a_spanish_speaker_located_by_the_browser_in_chicago_gets_miles_and_dollars(patient: FlaskClient) -> None:
    in_spanish(patient)
    assert device_position(patient, "41.8781", "-87.6298").endswith("/find/treatment")
    assert stored(patient)["unit"] == "mi"
    assert stored(patient)["place"]["country"] == "US"  # type: ignore[index]
    post(patient, "/find/treatment", {"treatment": "ivf"})
    assert '<option value="USD" selected>' in patient.get("/find/budget").get_data(as_text=True)


def test_a_browser_position_in_madrid_is_told_at_the_where_step(patient: FlaskClient) -> None:
    assert device_position(patient, "40.4168", "-3.7038").endswith("/find/where")
    html = patient.get("/find/where").get_data(as_text=True)
    assert "Search the US directory anyway" in html
    assert stored(patient)["unit"] == "km"


def test_a_browser_position_far_from_any_place_falls_back_to_the_language(patient: FlaskClient) -> None:
    in_spanish(patient)
    assert device_position(patient, "-40.0", "-30.0").endswith("/find/treatment")  # the South Atlantic
    assert stored(patient)["place"]["country"] is None  # type: ignore[index]
    assert stored(patient)["unit"] == "km"  # Spanish without a place: kilometres, as before
