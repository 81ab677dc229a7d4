"""Domain objects → JSON-ready dicts, in the shapes `openapi.py` documents."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for

from clinicfinder.core.geo import Place
from clinicfinder.core.matching.criteria import CriterionResult
from clinicfinder.core.matching.engine import RankedClinic, Suggestion
from clinicfinder.core.matching.estimates import CostEstimate
from clinicfinder.core.matching.facts import ClinicFacts, Fact
from clinicfinder.core.matching.money import Money
from clinicfinder.core.matching.pricing import PriceAssessment


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def money(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": float(value.amount), "currency": value.currency}


def fact(value: Fact[Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    raw = value.value
    shown = list(raw) if isinstance(raw, tuple) else getattr(raw, "value", raw)
    return {"value": shown, "source": value.source, "as_of": _date(value.as_of)}


def place(value: Place) -> dict[str, Any]:
    return {
        "label": value.label,
        "name": value.name,
        "locality": value.locality,
        "region": value.region,
        "country": value.country,
        "country_name": value.country_name,
        "latitude": value.latitude,
        "longitude": value.longitude,
        "kind": value.kind,
    }


def criterion(value: CriterionResult) -> dict[str, Any]:
    return {
        "code": value.code,
        "title": value.title,
        "why_it_matters": value.why_it_matters,
        "gate": value.gate,
        "outcome": value.outcome.value,
        "detail": value.detail,
        "points": value.points,
        "max_points": value.max_points,
        "evidence": [{"source": e.source, "as_of": _date(e.as_of)} for e in value.evidence],
    }


def estimate(value: CostEstimate | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "low": money(value.low),
        "typical": money(value.typical),
        "high": money(value.high),
        "is_sum_of_figures": value.is_sum,
        "figures": [
            {
                "item": figure.cost_key,
                "includes": figure.includes,
                "year": figure.year,
                "source_title": figure.source_title,
                "source_url": figure.source_url,
            }
            for figure in value.figures
        ],
    }


def price(value: PriceAssessment) -> dict[str, Any]:
    return {
        "kind": value.kind.value,
        "budget_fit": value.fit.value,
        "amount": money(value.amount),
        "original": money(value.original),
        "estimate": estimate(value.estimate),
        "source": value.source,
        "as_of": _date(value.as_of),
        "exchange_rate_as_of": _date(value.rate_as_of),
    }


def clinic_summary(value: ClinicFacts) -> dict[str, Any]:
    return {
        "id": value.id,
        "name": value.name,
        "address": value.address,
        "city": value.city,
        "region": value.region,
        "postal_code": value.postal_code,
        "country": value.country,
        "latitude": value.latitude,
        "longitude": value.longitude,
        "phone": value.phone,
        "email": value.email,
        "website": value.website,
        "status": value.status.value,
        "url": url_for("api.clinic", clinic_id=value.id),
    }


def clinic_detail(value: ClinicFacts, criteria: tuple[CriterionResult, ...]) -> dict[str, Any]:
    outcomes = value.outcomes
    return {
        **clinic_summary(value),
        "listing": {"source": value.listing_source, "as_of": _date(value.listing_as_of)},
        "outcomes": None
        if outcomes is None
        else {
            "year": outcomes.year,
            "total_cycles": outcomes.total_cycles,
            "source": outcomes.source,
            "as_of": _date(outcomes.as_of),
        },
        "verified_lab_accreditation": fact(value.verified_lab_accreditation),
        "accreditation_bodies": fact(value.accreditation_bodies),
        "sart_member": fact(value.sart_member),
        "other_society_memberships": fact(value.other_memberships),
        "treatments": {
            treatment.value: {
                "availability": offer.availability.value,
                "price": money(offer.price),
                "source": offer.source,
                "as_of": _date(offer.as_of),
            }
            for treatment, offer in value.offers.items()
        },
        "male_factor": {capability.value: fact(item) for capability, item in value.male_factor.items()},
        "languages": fact(value.languages),
        "criteria": [criterion(item) for item in criteria],
    }


def ranked(value: RankedClinic) -> dict[str, Any]:
    offer = value.offer
    return {
        "rank": value.rank,
        "score": value.score,
        "quality": value.quality,
        "distance_penalty": value.distance_penalty,
        "distance_km": round(value.distance_km, 1),
        "explanation": value.explanation,
        "clinic": clinic_summary(value.clinic),
        "treatment": {
            "availability": value.availability.value,
            "confirmed": value.availability.value == "yes",
            "source": None if offer is None else offer.source,
            "as_of": None if offer is None else _date(offer.as_of),
        },
        "price": price(value.price),
        "criteria": [criterion(item) for item in value.criteria],
    }


def suggestion(value: Suggestion) -> dict[str, Any]:
    return {
        "code": value.code,
        "added": value.added,
        "message": value.message,
        "radius_km": value.radius_km,
        "budget": money(value.budget),
    }
