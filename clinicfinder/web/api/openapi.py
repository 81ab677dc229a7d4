"""The OpenAPI 3.1 description of `/api/v1`. Tests validate live responses against it."""

from __future__ import annotations

from typing import Any

from clinicfinder.core.domain import CURRENCIES, Treatment
from clinicfinder.web.api.schemas import LANGUAGES, MAX_LIMIT, MAX_RADIUS_KM, MIN_RADIUS_KM

TREATMENTS = [t.value for t in Treatment]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}
DATE = {"type": "string", "format": "date"}
NUMBER = {"type": "number"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["parameter", "message"],
                "properties": {
                    "parameter": {**_nullable(STRING), "description": "The query parameter at fault."},
                    "message": STRING,
                    "code": {"type": "string", "enum": ["ambiguous"]},
                    "suggestions": {"type": "array", "items": STRING},
                    "candidates": {"type": "array", "items": _ref("Place")},
                },
            }
        },
    },
    "Place": {
        "type": "object",
        "required": ["label", "name", "region", "country", "country_name", "latitude", "longitude", "kind"],
        "properties": {
            "label": STRING,
            "name": STRING,
            "locality": {**_nullable(STRING), "description": "The town of a postcode, when known."},
            "region": _nullable(STRING),
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "country_name": STRING,
            "latitude": NUMBER,
            "longitude": NUMBER,
            "kind": STRING,
        },
    },
    "Money": {
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {"amount": NUMBER, "currency": STRING},
    },
    "Fact": {
        "type": "object",
        "required": ["value", "source", "as_of"],
        "properties": {"value": {}, "source": STRING, "as_of": DATE},
    },
    "Evidence": {
        "type": "object",
        "required": ["source", "as_of"],
        "properties": {"source": STRING, "as_of": _nullable(DATE)},
    },
    "Criterion": {
        "type": "object",
        "required": [
            "code",
            "title",
            "why_it_matters",
            "gate",
            "outcome",
            "detail",
            "points",
            "max_points",
            "evidence",
        ],
        "properties": {
            "code": STRING,
            "title": STRING,
            "why_it_matters": STRING,
            "gate": {"type": "boolean", "description": "A gate must be met for a clinic to be listed."},
            "outcome": {"type": "string", "enum": ["met", "failed", "unknown"]},
            "detail": STRING,
            "points": NUMBER,
            "max_points": NUMBER,
            "evidence": {"type": "array", "items": _ref("Evidence")},
        },
    },
    "Estimate": {
        "type": "object",
        "required": ["low", "typical", "high", "is_sum_of_figures", "figures"],
        "properties": {
            "low": _nullable(_ref("Money")),
            "typical": _nullable(_ref("Money")),
            "high": _nullable(_ref("Money")),
            "is_sum_of_figures": {"type": "boolean"},
            "figures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["item", "includes", "year", "source_title", "source_url"],
                    "properties": {
                        "item": STRING,
                        "includes": STRING,
                        "year": STRING,
                        "source_title": STRING,
                        "source_url": STRING,
                    },
                },
            },
        },
    },
    "Price": {
        "type": "object",
        "required": ["kind", "budget_fit", "amount", "original", "estimate", "source", "as_of", "exchange_rate_as_of"],
        "properties": {
            "kind": {"type": "string", "enum": ["published", "estimate", "none"]},
            "budget_fit": {"type": "string", "enum": ["within", "over", "may_exceed", "no_budget", "unknown"]},
            "amount": _nullable(_ref("Money")),
            "original": _nullable(_ref("Money")),
            "estimate": _nullable(_ref("Estimate")),
            "source": _nullable(STRING),
            "as_of": _nullable(DATE),
            "exchange_rate_as_of": _nullable(DATE),
        },
    },
    "ClinicSummary": {
        "type": "object",
        "required": ["id", "name", "city", "country", "latitude", "longitude", "status", "url"],
        "description": "A clinic without coordinates can be looked up but is never in a search.",
        "properties": {
            "id": STRING,
            "name": STRING,
            "address": _nullable(STRING),
            "city": STRING,
            "region": _nullable(STRING),
            "postal_code": _nullable(STRING),
            "country": STRING,
            "latitude": _nullable(NUMBER),
            "longitude": _nullable(NUMBER),
            "phone": _nullable(STRING),
            "email": _nullable(STRING),
            "website": _nullable(STRING),
            "status": {"type": "string", "enum": ["open", "reorganized", "closed", "inactive"]},
            "url": STRING,
        },
    },
    "RankedClinic": {
        "type": "object",
        "required": [
            "rank",
            "score",
            "quality",
            "distance_penalty",
            "distance_km",
            "explanation",
            "clinic",
            "treatment",
            "price",
            "criteria",
        ],
        "properties": {
            "rank": {"type": "integer", "minimum": 1},
            "score": NUMBER,
            "quality": {"type": "number", "minimum": 0, "maximum": 100},
            "distance_penalty": NUMBER,
            "distance_km": NUMBER,
            "explanation": STRING,
            "clinic": _ref("ClinicSummary"),
            "treatment": {
                "type": "object",
                "required": ["availability", "confirmed", "source", "as_of"],
                "properties": {
                    "availability": {"type": "string", "enum": ["yes", "unknown"]},
                    "confirmed": {"type": "boolean"},
                    "source": _nullable(STRING),
                    "as_of": _nullable(DATE),
                },
            },
            "price": _ref("Price"),
            "criteria": {"type": "array", "items": _ref("Criterion")},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "total", "considered", "excluded", "results", "fewer_than_three", "exchange_rates"],
        "properties": {
            "query": {"type": "object"},
            "total": {"type": "integer", "description": "Clinics that fit; `results` holds the first `limit`."},
            "considered": {"type": "integer", "description": "Clinics within the radius."},
            "excluded": {"type": "object", "additionalProperties": {"type": "integer"}},
            "results": {"type": "array", "items": _ref("RankedClinic")},
            "fewer_than_three": _nullable(
                {
                    "type": "object",
                    "required": ["explanation", "suggestions"],
                    "properties": {
                        "explanation": STRING,
                        "suggestions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["code", "added", "message"],
                                "properties": {
                                    "code": {
                                        "type": "string",
                                        "enum": [
                                            "larger_radius",
                                            "higher_budget",
                                            "include_unconfirmed",
                                            "include_unpriced",
                                        ],
                                    },
                                    "added": {"type": "integer", "minimum": 1},
                                    "message": STRING,
                                    "radius_km": _nullable(NUMBER),
                                    "budget": _nullable(_ref("Money")),
                                },
                            },
                        },
                    },
                }
            ),
            "exchange_rates": {
                "type": "object",
                "required": ["as_of", "source"],
                "properties": {"as_of": DATE, "source": STRING},
            },
        },
    },
    "GeocodeResponse": {
        "type": "object",
        "required": ["query", "ambiguous", "candidates", "attribution"],
        "properties": {
            "query": STRING,
            "ambiguous": {"type": "boolean"},
            "candidates": {"type": "array", "items": _ref("Place"), "minItems": 1},
            "attribution": STRING,
        },
    },
    "ClinicDetail": {
        "allOf": [_ref("ClinicSummary")],
        "type": "object",
        "required": [
            "listing",
            "outcomes",
            "verified_lab_accreditation",
            "accreditation_bodies",
            "sart_member",
            "other_society_memberships",
            "treatments",
            "male_factor",
            "languages",
            "criteria",
        ],
        "properties": {
            "listing": {"type": "object"},
            "outcomes": _nullable({"type": "object"}),
            "verified_lab_accreditation": _nullable(_ref("Fact")),
            "accreditation_bodies": _nullable(_ref("Fact")),
            "sart_member": _nullable(_ref("Fact")),
            "other_society_memberships": _nullable(_ref("Fact")),
            "treatments": {"type": "object"},
            "male_factor": {"type": "object"},
            "languages": _nullable(_ref("Fact")),
            "criteria": {"type": "array", "items": _ref("Criterion")},
        },
    },
}


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _responses(ok: str, *, not_found: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": _ref(ok)}}},
        "400": {
            "description": "A parameter is missing or malformed; `error.parameter` names it.",
            "content": {"application/json": {"schema": _ref("Error")}},
        },
    }
    if not_found:
        responses["404"] = {
            "description": "No such clinic.",
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return responses


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClinicFinder API",
            "version": "1.0.0",
            "description": "Find fertility clinics that fit a place, a treatment and a budget. Every clinic fact "
            "carries its source and as-of date. Place names: GeoNames (CC BY 4.0).",
        },
        "paths": {
            "/api/v1/geocode": {
                "get": {
                    "operationId": "geocode",
                    "summary": "Find the places a text could mean (never a silent first hit).",
                    "parameters": [
                        _query("q", {"type": "string", "maxLength": 200}, "A city or a postcode.", required=True)
                    ],
                    "responses": _responses("GeocodeResponse"),
                }
            },
            "/api/v1/clinics/search": {
                "get": {
                    "operationId": "searchClinics",
                    "summary": "Clinics that fit, ranked and explained.",
                    "description": "Give `location` or `lat` and `lon`. An ambiguous `location` is answered with a "
                    "400 whose `error.code` is `ambiguous` and whose `error.candidates` list the places to "
                    "choose from.",
                    "parameters": [
                        _query("location", {"type": "string", "maxLength": 200}, "A city or postcode."),
                        _query("lat", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude."),
                        _query("lon", {"type": "number", "minimum": -180, "maximum": 180}, "Longitude."),
                        _query(
                            "radius_km",
                            {
                                "anyOf": [
                                    {"type": "number", "minimum": MIN_RADIUS_KM, "maximum": MAX_RADIUS_KM},
                                    {"const": "anywhere"},
                                ],
                                "default": 100,
                            },
                            "Search radius in km, or `anywhere`.",
                        ),
                        _query("treatment", {"type": "string", "enum": TREATMENTS}, "Treatment code.", required=True),
                        _query(
                            "budget",
                            {"type": "string", "pattern": "^\\d{1,8}(\\.\\d{1,2})?$"},
                            "Maximum the patient can pay, e.g. 15000 or 15000.50 (no thousands separators).",
                        ),
                        _query(
                            "currency",
                            {"type": "string", "enum": list(CURRENCIES), "default": "USD"},
                            "Currency of the budget and of the prices shown.",
                        ),
                        _query(
                            "include_unpriced",
                            {"type": "boolean", "default": True},
                            "Include clinics that publish no price.",
                        ),
                        _query(
                            "include_unconfirmed",
                            {"type": "boolean", "default": True},
                            "Include clinics that have not confirmed the treatment.",
                        ),
                        _query("language", {"type": "string", "enum": list(LANGUAGES), "default": "en"}, "Language."),
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20},
                            "How many ranked clinics to return.",
                        ),
                    ],
                    "responses": _responses("SearchResponse"),
                }
            },
            "/api/v1/clinics/{clinic_id}": {
                "get": {
                    "operationId": "getClinic",
                    "summary": "Every fact we hold about one clinic, with sources and as-of dates.",
                    "parameters": [
                        {"name": "clinic_id", "in": "path", "required": True, "schema": STRING},
                        _query(
                            "treatment",
                            {"type": "string", "enum": TREATMENTS},
                            "Also evaluate the treatment-specific criteria.",
                        ),
                    ],
                    "responses": _responses("ClinicDetail", not_found=True),
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
