"""The JSON API on the real directory: answers, errors naming their parameter, the OpenAPI contract."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from clinicfinder.web.api.openapi import openapi_document
from clinicfinder.web.api.schemas import SearchParams
from tests.support.openapi import query_parameters

DOCUMENT = openapi_document()
REGISTRY = Registry().with_resource("urn:clinicfinder:api", DRAFT202012.create_resource(DOCUMENT))


def assert_matches_schema(body: Any, schema_name: str) -> None:
    validator = Draft202012Validator(
        {"$ref": f"urn:clinicfinder:api#/components/schemas/{schema_name}"}, registry=REGISTRY
    )
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def get_json(client: FlaskClient, path: str, status: int, schema: str) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert_matches_schema(body, schema)
    return body


# --- geocode -------------------------------------------------------------------------


def test_geocode_returns_every_valencia_for_the_patient_to_choose(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/geocode?q=Valencia", 200, "GeocodeResponse")
    assert body["ambiguous"] is True
    countries = {candidate["country"] for candidate in body["candidates"]}
    assert {"ES", "VE"} <= countries
    assert "GeoNames" in body["attribution"]


def test_geocode_an_unknown_place_is_a_400_with_suggestions(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/geocode?q=Valenciaa", 400, "Error")
    assert body["error"]["parameter"] == "q"
    assert any("Valencia" in suggestion for suggestion in body["error"]["suggestions"])


# --- search --------------------------------------------------------------------------


def test_search_near_chicago_ranks_real_clinics_and_explains_each(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/clinics/search?location=60611&treatment=ivf&radius_km=25", 200, "SearchResponse")
    assert body["query"]["location"]["label"].startswith("60611")
    assert body["total"] >= 3 and body["fewer_than_three"] is None
    first = body["results"][0]
    assert first["rank"] == 1 and first["clinic"]["region"] == "IL"
    assert all(r["distance_km"] <= 25 for r in body["results"])
    assert [r["distance_km"] for r in body["results"]] == sorted(r["distance_km"] for r in body["results"])
    assert first["explanation"].startswith("Nearest first:")
    assert "score" not in first and "quality" not in first
    gates = [c for c in first["criteria"] if c["gate"]]
    assert {c["code"] for c in gates} == {"open_and_reporting", "lab_accreditation", "minimum_volume"}
    assert all(c["outcome"] == "met" for c in gates)
    assert all(e["source"] and e["as_of"] for c in gates for e in c["evidence"])
    assert first["treatment"]["confirmed"] is True  # every CDC reporter performs IVF
    assert first["price"]["kind"] == "estimate"  # CDC publishes no prices
    assert first["price"]["estimate"]["figures"][0]["source_url"].startswith("https://")


def test_search_in_euros_converts_the_estimate_at_the_dated_rate(api: FlaskClient) -> None:
    body = get_json(
        api,
        "/api/v1/clinics/search?lat=41.88&lon=-87.63&treatment=ivf&budget=15000&currency=EUR",
        200,
        "SearchResponse",
    )
    price = body["results"][0]["price"]
    assert price["estimate"]["typical"] == {"amount": 19334.0, "currency": "EUR"}  # $21,600 at 1.1172 $/€
    assert price["exchange_rate_as_of"] == body["exchange_rates"]["as_of"] == "2026-10-30"
    assert price["budget_fit"] == "over"


def test_search_with_an_ambiguous_place_asks_the_client_to_choose(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/clinics/search?location=Valencia&treatment=ivf", 400, "Error")
    assert body["error"]["parameter"] == "location"
    assert body["error"]["code"] == "ambiguous"
    assert len(body["error"]["candidates"]) >= 2


def test_search_in_the_desert_says_why_and_what_would_add_more(api: FlaskClient) -> None:
    body = get_json(
        api, "/api/v1/clinics/search?lat=39.5&lon=-116.5&radius_km=50&treatment=tese", 200, "SearchResponse"
    )
    assert body["total"] == 0
    assert body["fewer_than_three"]["explanation"] == "We found no clinics within 50\u00a0km of this place."
    (wider,) = body["fewer_than_three"]["suggestions"]
    assert wider["code"] == "larger_radius" and wider["added"] >= 1


def test_search_without_unconfirmed_clinics_counts_them_for_tese(api: FlaskClient) -> None:
    body = get_json(
        api, "/api/v1/clinics/search?location=60611&treatment=tese&include_unconfirmed=false", 200, "SearchResponse"
    )
    assert body["total"] == 0  # no clinic has confirmed TESE: CDC does not publish it
    codes = {s["code"]: s for s in body["fewer_than_three"]["suggestions"]}
    assert codes["include_unconfirmed"]["added"] == body["excluded"]["treatment_unconfirmed"] > 0


BAD_SEARCHES = [
    ("treatment=ivf", "location", "location is required"),
    ("location=Chicago", "treatment", "treatment is required"),
    ("location=Chicago&treatment=ivx", "treatment", "treatment must be one of"),
    ("lat=91&lon=0&treatment=ivf", "lat", "lat must be between -90 and 90"),
    ("lat=41&treatment=ivf", "lon", "lat and lon must be given together"),
    ("location=Chicago&lat=41&lon=-87&treatment=ivf", "location", "either location or lat and lon"),
    ("location=Chicago&treatment=ivf&radius_km=-5", "radius_km", "radius_km must be between 0 and 20000"),
    ("location=Chicago&treatment=ivf&radius_km=0", "radius_km", "radius_km must be at least 0.1"),
    ("location=Chicago&treatment=ivf&radius_km=5e-324", "radius_km", "radius_km must be at least 0.1"),
    ("location=Chicago&treatment=ivf&treatment=tese", "treatment", "given more than once"),
    ("location=Chicago&treatment=ivf&budget=0.001", "budget", "budget must be an amount"),
    ("location=Chicago&treatment=ivf&budget=12.500", "budget", "budget must be an amount"),
    ("location=Chicago&treatment=ivf&budget=0.00", "budget", "budget must be more than 0"),
    ("location=Chicago&treatment=ivf&radius_km=far", "radius_km", "radius_km must be a number"),
    ("location=Chicago&treatment=ivf&radius_km=nan", "radius_km", "radius_km must be between"),
    ("location=Chicago&treatment=ivf&budget=abc", "budget", "budget must be an amount"),
    ("location=Chicago&treatment=ivf&budget=-5", "budget", "budget must be a positive amount"),
    ("location=Chicago&treatment=ivf&budget=1e400", "budget", "budget must be an amount"),
    ("location=Chicago&treatment=ivf&currency=JPY", "currency", "currency must be one of usd, eur, gbp"),
    ("location=Chicago&treatment=ivf&include_unpriced=maybe", "include_unpriced", "must be true or false"),
    ("location=Chicago&treatment=ivf&limit=0", "limit", "limit must be between 1 and 100"),
    ("location=Chicago&treatment=ivf&limit=2.5", "limit", "limit must be a whole number"),
    ("location=Chicago&treatment=ivf&radius=50", "radius", "did you mean radius_km?"),
    ("location=" + "x" * 121 + "&treatment=ivf", "location", "at most 120 characters"),
    ("location=Xyzzyplugh&treatment=ivf", "location", "couldn"),
]


@pytest.mark.parametrize(
    ("query", "parameter", "message"), BAD_SEARCHES, ids=[b[1] + ":" + b[0][:40] for b in BAD_SEARCHES]
)
def test_a_bad_search_parameter_is_a_400_naming_it(api: FlaskClient, query: str, parameter: str, message: str) -> None:
    body = get_json(api, f"/api/v1/clinics/search?{query}", 400, "Error")
    assert body["error"]["parameter"] == parameter
    assert message in body["error"]["message"]


def test_geocode_without_q_names_q(api: FlaskClient) -> None:
    assert get_json(api, "/api/v1/geocode", 400, "Error")["error"]["parameter"] == "q"


# --- clinic --------------------------------------------------------------------------


def test_clinic_detail_carries_every_fact_with_source_and_date(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/clinics/us-cdc-1", 200, "ClinicDetail")
    assert body["name"] == "Institute for Human Reproduction (IHR)"
    assert body["outcomes"] == {
        "year": 2022,
        "total_cycles": 1585,
        "source": "CDC NASS 2022 ART Services and Profiles",
        "as_of": "2022-12-31",
    }
    assert body["sart_member"]["value"] == "yes"
    assert body["treatments"]["ivf"]["availability"] == "yes"
    assert "icsi" not in body["treatments"]  # CDC doesn't say: unknown, not "no"
    assert [c["code"] for c in body["criteria"]] == ["open_and_reporting", "lab_accreditation", "minimum_volume"]


def test_clinic_detail_for_tese_adds_the_male_factor_criterion(api: FlaskClient) -> None:
    body = get_json(api, "/api/v1/clinics/us-cdc-1?treatment=TESE", 200, "ClinicDetail")
    male = next(c for c in body["criteria"] if c["code"] == "male_factor")
    assert male["outcome"] == "unknown"


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/api/v1/clinics/no-such-clinic", 404, "clinic_id"),
        ("/api/v1/clinics/us-cdc-1?treatment=ivx", 400, "treatment"),
        ("/api/v1/clinics/us-cdc-1?lang=es", 400, "lang"),
    ],
)
def test_clinic_detail_errors_name_the_parameter(api: FlaskClient, path: str, status: int, parameter: str) -> None:
    assert get_json(api, path, status, "Error")["error"]["parameter"] == parameter


def test_unknown_api_path_is_json_not_html(api: FlaskClient) -> None:
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["parameter"] is None


# --- the contract --------------------------------------------------------------------


def test_openapi_document_is_valid_and_served(api: FlaskClient) -> None:
    validate_openapi(DOCUMENT)
    served = api.get("/api/v1/openapi.json").get_json()
    assert served == DOCUMENT


def test_openapi_lists_exactly_the_search_parameters_the_endpoint_accepts() -> None:
    documented = {p["name"] for p in query_parameters(DOCUMENT["paths"]["/api/v1/clinics/search"]["get"])}
    assert documented == set(SearchParams.ALLOWED)


VALUES = st.one_of(
    st.text(max_size=30), st.sampled_from(["ivf", "tese", "anywhere", "nan", "inf", "-1", "1e309", "0", "true"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from([*SearchParams.ALLOWED, "extra"]), VALUES, max_size=6))
def test_no_combination_of_search_parameters_causes_a_server_error(api: FlaskClient, params: dict[str, str]) -> None:
    response = api.get("/api/v1/clinics/search", query_string=params)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert_matches_schema(response.get_json(), "SearchResponse" if response.status_code == 200 else "Error")


def test_an_edit_to_the_directory_shows_in_the_searches_after_it(seeded_app: Flask, tmp_path) -> None:
    import csv

    from tests.support.paths import CLINICS_CSV

    api = seeded_app.test_client()
    path = "/api/v1/clinics/search?lat=41.8945&lon=-87.639&radius_km=2&treatment=ivf"
    before = get_json(api, path, 200, "SearchResponse")
    assert "us-cdc-1" in [r["clinic"]["id"] for r in before["results"]]
    with CLINICS_CSV.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    (row,) = [r for r in rows if r["clinic_id"] == "us-cdc-1"]
    row |= {"ivf_offered": "no", "ivf_source": "Clinic admin", "ivf_as_of": "2026-11-01"}
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(row), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    assert seeded_app.test_cli_runner().invoke(args=["clinics", "import", str(edited)]).exit_code == 0
    # The next search already leaves it out (the facts of the clinics returned are read fresh), and
    # starts the index rebuild in the background; once built, the counts say why it is out.
    first = get_json(api, path, 200, "SearchResponse")
    assert "us-cdc-1" not in [r["clinic"]["id"] for r in first["results"]]
    assert seeded_app.extensions["services"].wait_for_index(30)
    after = get_json(api, path, 200, "SearchResponse")
    assert "us-cdc-1" not in [r["clinic"]["id"] for r in after["results"]]
    assert after["excluded"]["treatment_not_offered"] == 1
