"""The generated OpenAPI document against the app itself: the routes Flask serves and the parameters it accepts."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi

from clinicfinder.web.api import openapi
from clinicfinder.web.api.openapi import openapi_document
from tests.support.openapi import query_parameters

DOCUMENT = openapi_document()
API_DIR = Path(openapi.__file__).parent
PATH_EXAMPLES = {"clinic_id": "us-cdc-1"}


def served_api_routes(app: Flask) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            routes.setdefault(rule.rule, set()).update((rule.methods or set()) - {"HEAD", "OPTIONS"})
    return routes


def documented_routes() -> dict[str, set[str]]:
    return {
        re.sub(r"\{(\w+)\}", r"<\1>", path): {method.upper() for method in operations}
        for path, operations in DOCUMENT["paths"].items()
    }


def example_value(schema: dict[str, Any]) -> str:
    """A value the schema allows, as a query string would carry it."""
    if "$ref" in schema:
        target = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return example_value({**target, **{key: value for key, value in schema.items() if key != "$ref"}})
    for key in ("examples", "enum"):
        if schema.get(key):
            return str(schema[key][0])
    if schema.get("type") == "boolean":
        return "false"
    if "default" in schema:
        return str(schema["default"])
    return str(schema.get("minimum", "1"))


def documented_query_parameters() -> list[tuple[str, str, str]]:
    cases = []
    for path, operations in DOCUMENT["paths"].items():
        url = re.sub(r"\{(\w+)\}", lambda match: PATH_EXAMPLES[match[1]], path)
        for operation in operations.values():
            for parameter in query_parameters(operation):
                cases.append((url, parameter["name"], example_value(parameter["schema"])))
    return cases


def test_the_generated_document_is_valid_openapi() -> None:
    validate_openapi(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.")


def test_every_api_route_is_documented_with_its_methods_and_nothing_else_is(seeded_app: Flask) -> None:
    assert documented_routes() == served_api_routes(seeded_app)


@pytest.mark.parametrize(("url", "name", "value"), documented_query_parameters())
def test_every_documented_query_parameter_is_accepted(seeded_app: Flask, url: str, name: str, value: str) -> None:
    response = seeded_app.test_client().get(url, query_string={name: value})
    body = response.get_json()
    # Alone, a parameter may leave another one missing; it must never be the one at fault.
    assert not (response.status_code == 400 and body["error"]["parameter"] == name), body
    assert "Unknown parameter" not in str(body)


def test_the_document_states_each_default_the_parser_fills_in(seeded_app: Flask) -> None:
    search = DOCUMENT["paths"]["/api/v1/clinics/search"]["get"]
    defaults = {p["name"]: p["schema"]["default"] for p in query_parameters(search) if "default" in p["schema"]}
    body = seeded_app.test_client().get("/api/v1/clinics/search?lat=41.88&lon=-87.63&treatment=ivf").get_json()
    assert {name: body["query"][name] for name in defaults} == defaults


@pytest.mark.parametrize("module", ["schemas.py", "responses.py", "openapi.py"])
def test_the_contract_modules_know_nothing_of_flask(module: str) -> None:
    tree = ast.parse((API_DIR / module).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"flask", "werkzeug"}}


def test_choices_ignore_case(api: FlaskClient) -> None:
    path = "/api/v1/clinics/search?lat=41.88&lon=-87.63&treatment=IVF&currency=eur&language=ES&radius_km=Anywhere"
    query = api.get(path).get_json()["query"]
    assert (query["treatment"], query["currency"], query["language"]) == ("ivf", "EUR", "es")
    assert query["radius_km"] is None and query["budget"] is None


@pytest.mark.parametrize(
    ("path", "parameter", "message"),
    [
        ("/api/v1/clinics/us-cdc-1?treatment=", "treatment", "treatment must be one of ivf, icsi, tese"),
        ("/api/v1/clinics/search?lat=41&lon=-87&treatment=", "treatment", "treatment must be one of ivf"),
        ("/api/v1/clinics/search?lat=41&lon=-87&treatment=ivf&budget=", "budget", "budget must be an amount"),
        ("/api/v1/clinics/search?lat=41&lon=-87&treatment=ivf&currency=", "currency", "currency must be one of"),
        ("/api/v1/clinics/search?location=&treatment=ivf", "location", "location must not be empty."),
        ("/api/v1/clinics/search?location=%20%20&treatment=ivf", "location", "location must not be empty."),
        ("/api/v1/geocode?q=", "q", "q must not be empty."),
        ("/api/v1/geocode?q=" + "a" * 121, "q", "q must be at most 120 characters."),
        ("/api/v1/clinics/search?location=60611&lat=41&lon=-87&treatment=ivf", "location", "either location or lat"),
    ],
    ids=["clinic-treatment", "search-treatment", "budget", "currency", "location", "location-spaces", "q", "q-long",
         "location-and-lat"],
)  # fmt: skip
def test_a_blank_or_combined_parameter_is_refused_naming_it(
    api: FlaskClient, path: str, parameter: str, message: str
) -> None:
    response = api.get(path)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter and message in error["message"], error


def test_the_document_says_location_excludes_lat_and_lon_and_that_text_cannot_be_blank() -> None:
    from jsonschema import Draft202012Validator

    search = DOCUMENT["paths"]["/api/v1/clinics/search"]["get"]
    (parameter,) = search["parameters"]
    assert (parameter["style"], parameter["explode"]) == ("form", True)
    # The document's components alongside, so the schema's $refs resolve as they do in the document.
    valid = Draft202012Validator({**parameter["schema"], "components": DOCUMENT["components"]}).is_valid
    assert valid({"location": "60611", "treatment": "ivf"})
    assert valid({"lat": 41.9, "lon": -87.6, "treatment": "ivf"})
    assert not valid({"location": "60611", "lat": 41.9, "lon": -87.6, "treatment": "ivf"})
    assert not valid({"location": "60611", "lat": 41.9, "treatment": "ivf"})
    assert not valid({"lat": 41.9, "treatment": "ivf"})
    assert not valid({"location": "  ", "treatment": "ivf"}) and not valid({"location": "", "treatment": "ivf"})
    assert not valid({"location": "60611", "treatment": ""})
    (q,) = DOCUMENT["paths"]["/api/v1/geocode"]["get"]["parameters"]
    assert Draft202012Validator(q["schema"]).is_valid("60611")
    assert not Draft202012Validator(q["schema"]).is_valid("") and not Draft202012Validator(q["schema"]).is_valid(" ")


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("lat=41&lon=-87&treatment=ivf&limit=abc", "limit", "limit must be a whole number, got 'abc'."),
        ("lat=41&lon=-87&treatment=ivf&radius_km=20001", "radius_km", "radius_km must be between 0 and 20000"),
        ("lat=inf&lon=-87&treatment=ivf", "lat", "lat must be between -90 and 90, got inf."),
        ("lat=41&lon=-87&treatment=ivf&language=fr", "language", "language must be one of en, es, got 'fr'."),
        ("lat=41&lon=-87&treatment=ivf&budget=100000000", "budget", "budget must be an amount"),
        ("lon=-87&treatment=ivf", "lat", "lat and lon must be given together."),
    ],
)
def test_a_pydantic_error_becomes_one_sentence_naming_the_parameter(
    api: FlaskClient, query: str, parameter: str, message: str
) -> None:
    response = api.get(f"/api/v1/clinics/search?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter and message in error["message"]
    assert set(error) == {"parameter", "message"}  # no pydantic internals leak into the answer
