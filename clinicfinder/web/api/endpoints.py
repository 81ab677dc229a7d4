"""What each `/api/v1` view does: read `request.args` into a model from `schemas`, call one service,
answer a model from `responses`. Imported by `views` on the first API request (it loads pydantic).
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from clinicfinder.core.domain import Treatment
from clinicfinder.core.geo import GeocodeError
from clinicfinder.core.matching.criteria import Context, evaluate
from clinicfinder.core.matching.engine import SearchQuery
from clinicfinder.core.matching.money import Money
from clinicfinder.services import search as services
from clinicfinder.web.api.errors import ApiError
from clinicfinder.web.api.openapi import openapi_document
from clinicfinder.web.api.responses import ClinicDetail, GeocodeResponse, Place, SearchResponse
from clinicfinder.web.api.schemas import ClinicParams, GeocodeParams, SearchParams


def clinic_url(clinic_id: str) -> str:
    return url_for("api.clinic", clinic_id=clinic_id)


def geocode() -> dict[str, Any]:
    params = GeocodeParams.parse(request.args)
    try:
        result = services.geocode(params.q)
    except GeocodeError as error:
        raise ApiError("q", error.message, suggestions=list(error.suggestions)) from None
    return GeocodeResponse.of(result, services.services().geocoder_attribution).to_json()


def search() -> dict[str, Any]:
    params = SearchParams.parse(request.args)
    origin = None
    if params.location is not None:
        try:
            result = services.geocode(params.location)
        except GeocodeError as error:
            raise ApiError("location", error.message, suggestions=list(error.suggestions)) from None
        if result.ambiguous:
            raise ApiError(
                "location",
                f"{params.location!r} matches several places; choose one and send its lat and lon.",
                code="ambiguous",
                candidates=[Place.of(place) for place in result.candidates],
            )
        origin = result.best
    latitude = origin.latitude if origin else params.latitude
    longitude = origin.longitude if origin else params.longitude
    assert latitude is not None and longitude is not None  # guaranteed by SearchParams
    query = SearchQuery(
        latitude=latitude,
        longitude=longitude,
        radius_km=params.radius_km,
        treatment=params.treatment,
        budget=None if params.budget is None else Money(params.budget, params.currency),
        currency=params.currency,
        include_unpriced=params.include_unpriced,
        include_unconfirmed=params.include_unconfirmed,
        language=params.language,
        limit=params.limit,
        age_band=params.age_band,
        order=params.order,
        offset=params.offset,
    )
    outcome = services.search_clinics(query)
    rates = services.services().matcher.rates
    return SearchResponse.of(params, origin, query, outcome, rates, clinic_url).to_json()


def clinic(clinic_id: str) -> dict[str, Any]:
    treatment = ClinicParams.parse(request.args).treatment
    facts = services.clinic_facts(clinic_id)
    if facts is None:
        raise ApiError("clinic_id", f"No clinic has the id {clinic_id!r}.", status=404)
    matcher = services.services().matcher
    context = Context(treatment or Treatment.IVF, "en", matcher.today())
    criteria = evaluate(facts, matcher.policy, context)
    if treatment is None:
        criteria = tuple(item for item in criteria if item.gate)  # the rest depend on the treatment
    return ClinicDetail.of_clinic(facts, criteria, clinic_url).to_json()


def openapi() -> dict[str, Any]:
    return openapi_document()
