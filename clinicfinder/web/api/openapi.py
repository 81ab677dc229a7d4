"""The OpenAPI 3.1 document of `/api/v1`, generated from the models; nothing in it is written twice.

A route here says what a view in `views.py` does; a test holds the two lists to each other.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, NoDefault, models_json_schema
from pydantic_core import core_schema

from clinicfinder.web.api import responses
from clinicfinder.web.api.schemas import ClinicParams, GeocodeParams, QueryModel, SearchParams

PREFIX = "/api/v1"
REF_TEMPLATE = "#/components/schemas/{model}"
BAD_PARAMETER = "A parameter is missing or malformed; `error.parameter` names it."


@dataclass(frozen=True)
class Route:
    path: str  # as OpenAPI writes it, under PREFIX: "/clinics/{clinic_id}"
    operation_id: str
    summary: str
    response: type[responses.ApiModel] | None  # None: a JSON object described elsewhere
    parameters: type[QueryModel] | None = None
    path_parameters: Mapping[str, str] = field(default_factory=dict)  # name → description
    errors: Mapping[int, str] = field(default_factory=dict)  # status → when; the body is always an Error
    description: str | None = None
    method: Literal["get"] = "get"


ROUTES = (
    Route(
        "/geocode",
        "geocode",
        "Find the places a text could mean (never a silent first hit).",
        responses.GeocodeResponse,
        GeocodeParams,
        errors={400: BAD_PARAMETER},
    ),
    Route(
        "/clinics/search",
        "searchClinics",
        "Clinics that fit, ranked and explained.",
        responses.SearchResponse,
        SearchParams,
        errors={400: BAD_PARAMETER},
        description="Give `location` or `lat` and `lon`. An ambiguous `location` is answered with a 400 whose "
        "`error.code` is `ambiguous` and whose `error.candidates` list the places to choose from.",
    ),
    Route(
        "/clinics/{clinic_id}",
        "getClinic",
        "Every fact we hold about one clinic, with sources and as-of dates.",
        responses.ClinicDetail,
        ClinicParams,
        path_parameters={"clinic_id": "The clinic's id, as search results give it."},
        errors={400: BAD_PARAMETER, 404: "No such clinic."},
    ),
    Route("/openapi.json", "openapi", "This document.", None),
)


class _Generator(GenerateJsonSchema):
    # Pydantic titles every property after its name ("Radius Km"): noise in a document read by people.
    def field_title_should_be_set(self, schema: object) -> bool:
        return False

    # A None default means "absent" (an optional parameter, an error field that does not apply), not null.
    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        default = super().get_default_value(schema)
        return NoDefault if default is None else default


def openapi_document() -> dict[str, Any]:
    return copy.deepcopy(_document())  # a copy: a caller may change it without changing the next answer


@cache
def _document() -> dict[str, Any]:
    query_models = [route.parameters for route in ROUTES if route.parameters is not None]
    answer_models = [route.response for route in ROUTES if route.response is not None] + [responses.Error]
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in query_models]
    modes += [(m, "serialization") for m in answer_models]
    _, top = models_json_schema(modes, ref_template=REF_TEMPLATE, schema_generator=_Generator)
    schemas: dict[str, Any] = top.get("$defs", {})
    # A query model becomes a list of parameters, not a schema of its own.
    query_schemas = {model: schemas.pop(model.__name__) for model in dict.fromkeys(query_models)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClinicFinder API",
            "version": "1.0.0",
            "description": "Find fertility clinics that fit a place, a treatment and a budget. Every clinic fact "
            "carries its source and as-of date. Place names: GeoNames (CC BY 4.0).",
        },
        "paths": {
            PREFIX + route.path: {
                route.method: _operation(route, None if route.parameters is None else query_schemas[route.parameters])
            }
            for route in ROUTES
        },
        "components": {"schemas": schemas},
    }


def _operation(route: Route, query: dict[str, Any] | None) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": route.operation_id, "summary": route.summary}
    if route.description:
        operation["description"] = route.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}
        for name, description in route.path_parameters.items()
    ]
    if query is not None and "oneOf" in query:
        # Parameters that constrain one another (location or lat and lon): OpenAPI can state that only
        # of one object parameter, exploded into the usual name=value pairs (style form).
        properties = {name: _without_null(schema) for name, schema in query["properties"].items()}
        schema = {"type": "object", "properties": properties, "additionalProperties": False, "oneOf": query["oneOf"]}
        if query.get("required"):
            schema["required"] = query["required"]
        parameters.append({"name": "query", "in": "query", "style": "form", "explode": True, "required": True,
                           "description": "The parameters below, each as its own name=value pair.",
                           "schema": schema})  # fmt: skip
    elif query is not None:
        required = set(query.get("required", ()))
        for name, schema in query["properties"].items():
            schema = _without_null(schema)
            parameter = {"name": name, "in": "query", "required": name in required}
            if "description" in schema:
                parameter["description"] = schema.pop("description")
            parameters.append({**parameter, "schema": schema})
    if parameters:
        operation["parameters"] = parameters
    ok = {"$ref": REF_TEMPLATE.format(model=route.response.__name__)} if route.response else {"type": "object"}
    operation["responses"] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
        **{
            str(status): {
                "description": when,
                "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}},
            }
            for status, when in route.errors.items()
        },
    }
    return operation


def _without_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A query parameter is a string or absent, never null: `float | None` documents as a number."""
    schema = dict(schema)
    branches = [branch for branch in schema.get("anyOf", ()) if branch != {"type": "null"}]
    if len(branches) == 1:
        del schema["anyOf"]
        schema = {**branches[0], **schema}
    return schema


def flask_rule(route: Route) -> str:
    """The route as Flask's url_map writes it: "/api/v1/clinics/<clinic_id>"."""
    return PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", route.path)
