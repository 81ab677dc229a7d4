"""`/api/v1`: thin adapters from query strings to the geocoder and the matching core.

The Flask side of the API. Each view hands its request to `endpoints`, which reads `request.args`
into a model from `schemas`, calls one service and answers a model from `responses`. Every view has
its line in `openapi.ROUTES`. Those modules load pydantic (a tenth of a second), so they are imported
by the first API request, not by every web process at start-up.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from clinicfinder.web.api.errors import ApiError

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, int]:
    from clinicfinder.web.api.responses import Error

    return jsonify(Error.of(error).to_json()), error.status


@blueprint.get("/geocode")
def geocode() -> dict[str, Any]:
    from clinicfinder.web.api import endpoints

    return endpoints.geocode()


@blueprint.get("/clinics/search")
def search() -> dict[str, Any]:
    from clinicfinder.web.api import endpoints

    return endpoints.search()


@blueprint.get("/clinics/<clinic_id>")
def clinic(clinic_id: str) -> dict[str, Any]:
    from clinicfinder.web.api import endpoints

    return endpoints.clinic(clinic_id)


@blueprint.get("/openapi.json")
def openapi() -> dict[str, Any]:
    from clinicfinder.web.api.openapi import openapi_document

    return openapi_document()
