"""The optional age question and the new situations, through the Flask test client and the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clinicfinder.core.domain import Treatment
from clinicfinder.core.matching.engine import SearchQuery
from clinicfinder.core.report import builder
from clinicfinder.core.report.guide import first_visit_guide
from clinicfinder.core.vocabulary import AGE_BAND_LABELS, AGE_BANDS, SITUATION_LABELS
from clinicfinder.db.models import JourneyAnswers
from clinicfinder.extensions import db
from clinicfinder.services import delivery, journey

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ANSWERS = re.compile(r'<section class="answers".*?</section>', re.S)  # the results page's summary of answers
IVF_WITH_AGE = {"treatment": "ivf", "diagnosis": "", "situation": "", "age_band": "38_40"}


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def post(client: FlaskClient, path: str, data: dict[str, str], *, page: str | None = None) -> TestResponse:
    """Submit a form as a browser does: fetch the page for its CSRF token, then POST."""
    token = TOKEN.search(client.get(page or path).get_data(as_text=True))
    assert token, f"no CSRF token on {page or path}"
    return client.post(path, data={"csrf_token": token.group(1), **data})


def stored(client: FlaskClient) -> dict[str, Any]:
    with client.application.app_context(), client.session_transaction() as session:
        journey_id = session.get(journey.SESSION_KEY)
        row = db.session.get(JourneyAnswers, journey_id) if journey_id else None
        return dict(row.answers) if row else {}


def answer_all(client: FlaskClient, treatment: dict[str, str]) -> None:
    assert post(client, "/find/where", {"location": "60611", "radius": "25", "unit": "mi"}).status_code == 302
    response = post(client, "/find/treatment", treatment)
    assert response.status_code == 302 and response.headers["Location"].endswith("/find/budget")
    budget = {"budget": "20000", "currency": "USD", "include_unpriced": "y"}
    assert post(client, "/find/budget", budget).status_code == 302


def selected(html: str, field: str) -> str | None:
    select = re.search(rf'<select id="{field}".*?</select>', html, re.S)
    assert select, f"no {field} select"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return chosen.group(1) if chosen else None


def test_the_treatment_step_asks_the_age_with_every_cdc_band_and_says_why(patient: FlaskClient) -> None:
    assert post(patient, "/find/where", {"location": "60611", "radius": "25", "unit": "mi"}).status_code == 302
    html = patient.get("/find/treatment").get_data(as_text=True)
    assert '<label for="age_band">Age of the person whose eggs will be used (optional)</label>' in html
    assert "(with donor eggs, the donor's age)" in html and 'aria-describedby="age_band-hint"' in html
    select = re.search(r'<select id="age_band".*?</select>', html, re.S)
    assert select
    options = re.findall(r'<option value="([^"]*)"', select.group(0))
    assert options == ["", "under_35", "35_37", "38_40", "41_42", "over_42"]
    for label in ("Prefer not to say", "Under 35", "35–37", "38–40", "41–42", "43 or over"):
        assert f">{label}</option>" in html


def test_the_age_is_kept_server_side_across_steps_and_back_and_shown_in_the_summary(
    patient: FlaskClient, seeded_app: Flask
) -> None:
    answer_all(patient, IVF_WITH_AGE)
    assert stored(patient)["age_band"] == "38_40"
    assert selected(patient.get("/find/treatment").get_data(as_text=True), "age_band") == "38_40"  # "back"
    summary = ANSWERS.search(patient.get("/find/results").get_data(as_text=True))
    assert summary and "<dt>Age of the person whose eggs will be used</dt>" in summary.group(0)
    assert "38–40" in summary.group(0)
    # A later step does not lose it, and nothing of it is in the cookie.
    assert post(patient, "/find/budget", {"budget": "15000", "currency": "USD"}).status_code == 302
    assert stored(patient)["age_band"] == "38_40"
    cookie = patient.get_cookie("session")
    assert cookie is not None
    # Decoded, not searched as text: "38" turns up by chance in a signed cookie's random characters.
    serializer = seeded_app.session_interface.get_signing_serializer(seeded_app)  # type: ignore[attr-defined]
    content = serializer.loads(cookie.value)
    assert set(content) <= {"csrf_token", journey.SESSION_KEY, "language"}
    assert "38_40" not in str(content) and "age_band" not in str(content)


def test_the_age_is_shown_in_spanish(patient: FlaskClient) -> None:
    answer_all(patient, IVF_WITH_AGE)
    post(patient, "/language", {"language": "es", "next": "/find/results"}, page="/find/results")
    html = patient.get("/find/results").get_data(as_text=True)
    assert "Edad de la persona cuyos óvulos se usarán" in html and "38–40" in html


def test_prefer_not_to_say_stores_no_age_and_removes_an_earlier_one(patient: FlaskClient) -> None:
    answer_all(patient, IVF_WITH_AGE)
    assert post(patient, "/find/treatment", IVF_WITH_AGE | {"age_band": ""}).status_code == 302
    assert "age_band" not in stored(patient)
    html = patient.get("/find/results").get_data(as_text=True)
    assert "Age of the person whose eggs will be used" not in html
    assert selected(patient.get("/find/treatment").get_data(as_text=True), "age_band") == ""


@pytest.mark.parametrize("code", ["40", "over_43", "UNDER_35", "<script>", "35-37"])
def test_an_unknown_age_code_is_explained_next_to_the_field_and_nothing_is_stored(
    patient: FlaskClient, code: str
) -> None:
    answer_all(patient, IVF_WITH_AGE)
    before = stored(patient)
    response = post(patient, "/find/treatment", IVF_WITH_AGE | {"treatment": "icsi", "age_band": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/find/treatment")
    html = patient.get("/find/treatment").get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="age_band-error">([^<]+)</p>', html)
    assert error and error.group(1) == "Choose one of the age ranges in the list."
    assert 'aria-describedby="age_band-hint age_band-error" aria-invalid="true"' in html
    assert 'href="#age_band"' in html  # the error summary links to the field
    assert {key: value for key, value in stored(patient).items() if key != "rejected"} == before


def test_erasing_the_answers_erases_the_age(patient: FlaskClient) -> None:
    answer_all(patient, IVF_WITH_AGE)
    assert post(patient, "/find/forget", {}, page="/find/results").status_code == 302
    assert stored(patient) == {}
    with patient.application.app_context():
        assert db.session.query(JourneyAnswers).count() == 0


@pytest.mark.parametrize(("code", "label"), [("single_man", "A man on his own"), ("male_couple", "Two men")])
def test_a_single_man_or_a_male_couple_can_say_so(patient: FlaskClient, code: str, label: str) -> None:
    answer_all(patient, {"treatment": "egg_donation", "situation": code, "age_band": "under_35"})
    assert stored(patient)["situation"] == code
    assert f">{label}</option>" in patient.get("/find/treatment").get_data(as_text=True)
    summary = ANSWERS.search(patient.get("/find/results").get_data(as_text=True))
    assert summary and label in summary.group(0)


@pytest.mark.parametrize("situation", ["single_man", "male_couple"])
def test_a_situation_without_guide_content_gets_the_untailored_guide(situation: str) -> None:
    assert situation in SITUATION_LABELS
    plain = first_visit_guide(Treatment.EGG_DONATION, None, None)
    assert first_visit_guide(Treatment.EGG_DONATION, None, situation) == plain
    assert plain.sections  # the core and treatment items are all there


def test_the_age_goes_into_the_search_the_report_snapshot_and_the_report_cover(seeded_app: Flask) -> None:
    answers = {
        "place": {"latitude": 41.88, "longitude": -87.63, "label": "Chicago", "country": "US"},
        "radius": "25",
        "unit": "mi",
        "treatment": "egg_donation",
        "situation": "male_couple",
        "age_band": "35_37",
        "currency": "USD",
    }
    assert journey.search_query(answers, "en").age_band == "35_37"
    assert journey.search_query({**answers, "age_band": None}, "en").age_band is None
    assert SearchQuery(latitude=0, longitude=0, radius_km=None, treatment=Treatment.IVF).age_band is None
    kept = delivery.snapshot(answers, "Chicago, Illinois, United States")
    assert kept["age_band"] == "35_37" and kept["situation"] == "male_couple"
    with seeded_app.app_context():
        report = delivery.report_from_snapshot(kept, "es", datetime(2026, 12, 1, tzinfo=UTC))
    assert report.choices.age_band == "35_37"
    cover = re.search(r'<section class="cover".*?</section>', builder.render_html(report), re.S)
    assert cover
    assert "<dt>Edad de la persona cuyos óvulos se usarán</dt><dd>35–37</dd>" in cover.group(0)
    assert "<dd>Dos hombres</dd>" in cover.group(0)


def test_a_report_made_before_the_age_question_still_renders(seeded_app: Flask) -> None:
    answers = {"place": {"latitude": 41.88, "longitude": -87.63}, "place_label": "Chicago", "radius_km": 40.0,
               "unit": "mi", "treatment": "ivf", "currency": "USD"}  # fmt: skip
    with seeded_app.app_context():
        report = delivery.report_from_snapshot(answers, "en", datetime(2026, 12, 1, tzinfo=UTC))
    assert report.choices.age_band is None
    assert "Age of the person" not in builder.render_html(report)


# --- the API --------------------------------------------------------------------------


@pytest.mark.parametrize("code", [*AGE_BANDS, "OVER_42"])
def test_the_api_search_accepts_every_age_band(seeded_app: Flask, code: str) -> None:
    response = seeded_app.test_client().get(f"/api/v1/clinics/search?location=60611&treatment=ivf&age_band={code}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["query"]["age_band"] == code.lower()


def test_the_api_search_without_an_age_band_says_null(seeded_app: Flask) -> None:
    response = seeded_app.test_client().get("/api/v1/clinics/search?location=60611&treatment=ivf")
    assert response.status_code == 200 and response.get_json()["query"]["age_band"] is None


def test_the_api_search_refuses_a_blank_age_band_naming_it(seeded_app: Flask) -> None:
    response = seeded_app.test_client().get("/api/v1/clinics/search?location=60611&treatment=ivf&age_band=")
    assert response.status_code == 400 and response.get_json()["error"]["parameter"] == "age_band"


@pytest.mark.parametrize("code", ["40", "under35", "43_or_over", "35-37"])
def test_the_api_search_refuses_an_unknown_age_band_naming_the_parameter(seeded_app: Flask, code: str) -> None:
    response = seeded_app.test_client().get(f"/api/v1/clinics/search?location=60611&treatment=ivf&age_band={code}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "age_band"
    assert error["message"] == f"age_band must be one of {', '.join(AGE_BANDS)}, got {code!r}."


def test_the_age_band_labels_are_cdcs_bands() -> None:
    assert AGE_BAND_LABELS == {"": "Prefer not to say", "under_35": "Under 35", "35_37": "35–37",
                               "38_40": "38–40", "41_42": "41–42", "over_42": "43 or over"}  # fmt: skip
