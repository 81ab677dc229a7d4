"""What the matching core knows about a clinic: plain, immutable facts with provenance.

The database adapter (`repository.py`) builds these; the core never sees an ORM object, so
it can be tested with hand-made clinics and benchmarked without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.matching.money import Money
from clinicfinder.core.outcomes.library import ClinicRecord

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    value: T
    source: str
    as_of: date


@dataclass(frozen=True, slots=True)
class Offer:
    availability: Availability
    price: Money | None
    source: str
    as_of: date


@dataclass(frozen=True, slots=True)
class Outcomes:
    year: int
    total_cycles: int | None
    source: str
    as_of: date


@dataclass(frozen=True, slots=True)
class ClinicFacts:
    id: str
    name: str
    city: str
    region: str | None
    country: str
    latitude: float
    longitude: float
    status: ClinicStatus
    listing_source: str | None = None
    listing_as_of: date | None = None
    address: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    description: str | None = None  # the clinic's own words: plain text, shown escaped
    outcomes: Outcomes | None = None
    verified_lab_accreditation: Fact[AccreditationStatus] | None = None
    accreditation_bodies: Fact[tuple[str, ...]] | None = None
    sart_member: Fact[AccreditationStatus] | None = None
    other_memberships: Fact[tuple[str, ...]] | None = None
    # Verified facts only: these decide filters and order. A clinic admin's claim waits in `pending_*`
    # (shown as "clinic-reported, not yet verified") until a site admin verifies it.
    offers: Mapping[Treatment, Offer] = field(default_factory=dict)
    male_factor: Mapping[MaleFactorCapability, Fact[Availability]] = field(default_factory=dict)
    pending_offers: Mapping[Treatment, Offer] = field(default_factory=dict)
    pending_male_factor: Mapping[MaleFactorCapability, Fact[Availability]] = field(default_factory=dict)
    languages: Fact[tuple[str, ...]] | None = None
    # CDC's outcomes by age, male-factor and ICSI shares, single-women service and 2020–2022
    # history (reference data shipped with the app, attached by id); None for a clinic CDC lacks.
    cdc: ClinicRecord | None = None
