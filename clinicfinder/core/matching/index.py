"""The directory as columns (numpy arrays), for answering a search in a few milliseconds.

Every rule here mirrors one in `criteria.py` and `engine.Matcher.assess`, which stay the
reference: they explain the clinics a patient sees, and `tests/web/test_index.py` checks that the
two agree on every clinic of the real directory for every treatment. Keep them in step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from clinicfinder.core.domain import (
    CURRENCIES,
    AccreditationStatus,
    Availability,
    ClinicStatus,
    Treatment,
)
from clinicfinder.core.geo.distance import EARTH_RADIUS_KM, bounding_box, geodesic_km, vincenty_km
from clinicfinder.core.matching.criteria import QualityPolicy, listed_status_passes, yearly_cycles
from clinicfinder.core.matching.facts import ClinicFacts
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.core.matching.ordering import success_key
from clinicfinder.core.outcomes import AGE_CHOICES

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

# The spherical distance is within 0.5% of the geodesic one: near the radius, the geodesic decides.
BOUNDARY_SHARE = 0.006
# Vincenty's formula agrees with the geodesic to under 0.1 mm; closer than this to the radius, geopy decides.
VINCENTY_MARGIN_KM = 1e-6

_AVAILABILITY = {Availability.UNKNOWN: 0, Availability.YES: 1, Availability.NO: 2}
_YES, _NO = 1, 2
_LAB = {AccreditationStatus.YES: 1, AccreditationStatus.NO: 2, AccreditationStatus.PENDING: 3}


@dataclass(frozen=True)
class DirectoryIndex:
    ids: npt.NDArray[np.str_]
    names: npt.NDArray[np.str_]
    sort_names: npt.NDArray[np.str_]
    latitude: Floats
    longitude: Floats
    is_open: Bools
    outcomes_year: Ints  # -1: unknown
    yearly_cycles: Floats  # what the volume gate and "most experience" judge (criteria.yearly_cycles); NaN: unknown
    lab_verified: Bools
    accepted_lab_body: Bools
    availability: dict[Treatment, npt.NDArray[np.int8]]
    # Published prices per patient currency, converted and rounded exactly as `pricing` does; NaN: none.
    price: dict[str, dict[Treatment, Floats]]
    # The lower end of the 95 % interval of live births per intended retrieval, per age answer; NaN: none
    # or too few cycles (see ordering.success_key). What "success rate for my age" sorts by.
    success_lower: dict[str, Floats]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, clinics: Iterable[ClinicFacts], policy: QualityPolicy, rates: ExchangeRates) -> DirectoryIndex:
        rows = [c for c in clinics if c.status is not ClinicStatus.INACTIVE]

        def column(values: Iterable[object], dtype: npt.DTypeLike) -> npt.NDArray[Any]:
            return np.fromiter(values, dtype=dtype, count=len(rows))

        def price_in(currency: str, clinic: ClinicFacts, treatment: Treatment) -> float:
            offer = clinic.offers.get(treatment)
            if offer is None or offer.price is None:
                return math.nan
            return float(rates.convert_whole(offer.price, currency).amount)

        return cls(
            ids=np.array([c.id for c in rows], dtype=np.str_),
            names=np.array([c.name for c in rows], dtype=np.str_),
            sort_names=np.array([c.name.casefold() for c in rows], dtype=np.str_),
            latitude=column((c.latitude for c in rows), np.float64),
            longitude=column((c.longitude for c in rows), np.float64),
            is_open=column((listed_status_passes(c) for c in rows), np.bool_),
            outcomes_year=column((c.outcomes.year if c.outcomes else -1 for c in rows), np.int64),
            yearly_cycles=column((_or_nan(yearly_cycles(c)) for c in rows), np.float64),
            lab_verified=column(
                (
                    c.verified_lab_accreditation is not None
                    and c.verified_lab_accreditation.value is AccreditationStatus.YES
                    for c in rows
                ),
                np.bool_,
            ),
            accepted_lab_body=column((_accepted_body(c, policy) for c in rows), np.bool_),
            availability={
                t: column((_AVAILABILITY[c.offers[t].availability] if t in c.offers else 0 for c in rows), np.int8)
                for t in Treatment
            },
            price={
                currency: {t: column((price_in(currency, c, t) for c in rows), np.float64) for t in Treatment}
                for currency in CURRENCIES
            },
            success_lower={
                age: column((_or_nan(success_key(c, age)) for c in rows), np.float64) for age in AGE_CHOICES
            },
        )

    def within(self, latitude: float, longitude: float, radius_km: float | None) -> tuple[Ints, Floats]:
        """Positions of the clinics within the radius (all when None), and their distances in km."""
        if radius_km is None:
            positions = np.arange(len(self.ids))
        else:
            # Widened by the sphere's error, so a clinic the geodesic puts inside is not cut by the box.
            box = bounding_box(latitude, longitude, radius_km * (1 + BOUNDARY_SHARE))
            mask = (self.latitude >= box.min_lat) & (self.latitude <= box.max_lat)
            in_lon = np.zeros(len(self.ids), dtype=np.bool_)
            for low, high in box.lon_ranges:
                in_lon |= (self.longitude >= low) & (self.longitude <= high)
            positions = np.flatnonzero(mask & in_lon)
        distances = _haversine_km(latitude, longitude, self.latitude[positions], self.longitude[positions])
        if radius_km is None:
            return positions, distances
        edge = np.flatnonzero(np.abs(distances - radius_km) <= BOUNDARY_SHARE * radius_km)
        exact, converged = vincenty_km(
            latitude, longitude, self.latitude[positions[edge]], self.longitude[positions[edge]]
        )
        distances[edge] = exact
        # geopy's geodesic costs ~80 µs a point: only for the few the vectorised formula cannot settle.
        for spot in edge[~converged | (np.abs(exact - radius_km) <= VINCENTY_MARGIN_KM)]:
            position = positions[spot]
            distances[spot] = geodesic_km(latitude, longitude, self.latitude[position], self.longitude[position])
        keep = distances <= radius_km
        return positions[keep], distances[keep]


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _accepted_body(clinic: ClinicFacts, policy: QualityPolicy) -> bool:
    bodies = clinic.accreditation_bodies
    return bool(bodies and set(bodies.value) & policy.accepted_lab_bodies)


def _haversine_km(latitude: float, longitude: float, lats: Floats, lons: Floats) -> Floats:
    lat1, lat2 = math.radians(latitude), np.radians(lats)
    dlat = lat2 - lat1
    dlon = np.radians(lons) - math.radians(longitude)
    h = np.sin(dlat / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    distances: Floats = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return distances


@dataclass(frozen=True)
class Scores:
    """The columnar verdicts for the clinics at `positions`."""

    positions: Ints
    distances: Floats
    exclusion: npt.NDArray[np.int8]  # 0: fits; otherwise 1 + index into EXCLUSION_ORDER
    price: Floats  # published price in the patient's currency, NaN when none


def score_columns(
    index: DirectoryIndex,
    positions: Ints,
    distances: Floats,
    *,
    treatment: Treatment,
    budget: float | None,
    currency: str,
    include_unpriced: bool,
    include_unconfirmed: bool,
    policy: QualityPolicy,
    today: date,
) -> Scores:
    """Mirror of `Matcher.assess` (gates and filters) over many clinics at once."""
    take = positions
    year = index.outcomes_year[take]
    fresh = np.ones(len(take), dtype=np.bool_)
    if policy.max_outcome_age_years is not None:
        fresh = today.year - year <= policy.max_outcome_age_years
    gates = (
        index.is_open[take] & (year >= 0) & fresh,
        index.lab_verified[take] | index.accepted_lab_body[take],
        index.yearly_cycles[take] >= policy.min_cycles_per_year,  # NaN (unknown) fails, as in `assess`
    )
    availability = index.availability[treatment][take]
    price = index.price[currency][treatment][take]
    published = ~np.isnan(price)
    over = published & (price > budget) if budget is not None else np.zeros(len(take), dtype=np.bool_)
    # In the order `assess` checks them; the first rule broken is the reason.
    broken = (
        ~gates[0],
        ~gates[1],
        ~gates[2],
        availability == _NO,
        (availability == 0) & (not include_unconfirmed),
        over,
        ~published & (not include_unpriced),
    )
    exclusion = np.zeros(len(take), dtype=np.int8)
    for code, mask in reversed(list(enumerate(broken, start=1))):
        exclusion[mask] = code
    return Scores(take, distances, exclusion, price)
