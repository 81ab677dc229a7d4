"""Hand-made clinics and a search through the same index and explanation path as the app."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, Treatment
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher, SearchOutcome, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import ExchangeRates, Money

TODAY = date(2026, 11, 25)
CDC = "CDC NASS 2022 ART Services and Profiles"
CDC_DATE = date(2022, 12, 31)
CLINIC_SAYS = "Clinic admin"
CHICAGO = (41.8781, -87.6298)


def usd(amount: int | str) -> Money:
    return Money(Decimal(amount), "USD")


def clinic(clinic_id: str = "c1", *, km_north: float = 0.0, **changes: object) -> ClinicFacts:
    """A clinic that passes every gate, `km_north` of central Chicago."""
    base = ClinicFacts(
        id=clinic_id,
        name=f"Clinic {clinic_id}",
        city="Chicago",
        region="IL",
        country="US",
        latitude=CHICAGO[0] + km_north / 111.2,
        longitude=CHICAGO[1],
        status=ClinicStatus.OPEN,
        listing_source=CDC,
        listing_as_of=CDC_DATE,
        outcomes=Outcomes(2022, 500, CDC, CDC_DATE),
        verified_lab_accreditation=Fact(AccreditationStatus.YES, CDC, CDC_DATE),
        sart_member=Fact(AccreditationStatus.YES, CDC, CDC_DATE),
        offers={Treatment.IVF: Offer(Availability.YES, None, CDC, CDC_DATE)},
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # changes are ClinicFacts field values, typed object


def make_matcher() -> Matcher:
    return Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy(), today=lambda: TODAY)


def search(matcher: Matcher, clinics: list[ClinicFacts], **query: object) -> SearchOutcome:
    """Search hand-made clinics through the same index and explanation path as the app."""
    defaults: dict[str, object] = {
        "latitude": CHICAGO[0],
        "longitude": CHICAGO[1],
        "radius_km": 50.0,
        "treatment": Treatment.IVF,
    }
    by_id = {item.id: item for item in clinics}
    return matcher.search(
        # The dicts hold SearchQuery field values, typed object
        SearchQuery(**{**defaults, **query}),  # type: ignore[arg-type]
        matcher.build_index(clinics),
        lambda ids, treatment: {clinic_id: by_id[clinic_id] for clinic_id in ids},
    )
