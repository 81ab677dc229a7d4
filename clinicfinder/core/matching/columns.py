"""The search index built from the directory's rows as columns, without a `ClinicFacts` per clinic.

`DirectoryIndex.build` (from facts) stays the reference: `tests/web/test_index.py` checks that both
give the same index on the real directory. This path exists because building 100,000 `ClinicFacts`,
with a `Money` and a `Decimal` per price and one conversion per price and currency, took over ten
seconds; plain rows into numpy arrays take about one.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from clinicfinder.core.domain import CURRENCIES, AccreditationStatus, Availability, ClinicStatus, Treatment
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.index import DirectoryIndex, Floats, Ints
from clinicfinder.core.matching.money import ExchangeRates, Money, UnknownCurrency
from clinicfinder.core.outcomes import AGE_CHOICES, Comparison, OutcomeLibrary

# A converted price this close to a half unit is rounded again with Decimal, exactly as `convert_whole`
# does: float arithmetic agrees with it everywhere else (prices are below 10^10 with two decimals).
_HALF_MARGIN = 1e-6
# How the database hands over an offer's treatment and availability: small integers, not strings.
TREATMENT_CODES = {treatment: code for code, treatment in enumerate(Treatment)}
AVAILABILITY_CODES = {Availability.UNKNOWN: 0, Availability.YES: 1, Availability.NO: 2}  # as index.availability


@dataclass(frozen=True)
class DirectoryColumns:
    """The directory's rows as the database gives them; child rows point at clinics by position."""

    ids: list[str]  # listed clinics with coordinates, not inactive
    names: list[str]
    statuses: list[str]  # ClinicStatus values
    latitude: Floats
    longitude: Floats
    outcome_clinic: Ints  # one entry per outcome figure (any year)
    outcome_year: Ints
    outcome_cycles: Floats  # NaN: not reported
    verified_clinic: Ints  # CDC's "verified lab accreditation" rows
    verified_status: list[str]  # AccreditationStatus values
    body_clinic: Ints  # named lab accreditations held (status yes)
    bodies: list[str]
    # Offers that decide filters: verified ones, and unverified claims on a service CDC lists (CDC's word
    # on the service stands; the claimed price does not, hence `price_counts`).
    offer_clinic: Ints
    offer_treatment: Ints  # TREATMENT_CODES
    offer_availability: Ints  # AVAILABILITY_CODES
    offer_price: Floats  # NaN: none
    offer_currency: Ints  # position in `currencies`; -1: none
    currencies: list[str]
    price_counts: npt.NDArray[np.bool_]


def index_from_columns(
    rows: DirectoryColumns, policy: QualityPolicy, rates: ExchangeRates, library: OutcomeLibrary
) -> DirectoryIndex:
    count = len(rows.ids)
    ids = np.array(rows.ids, dtype=np.str_)
    names = np.array(rows.names, dtype=np.str_)
    # The library's own dict, not a method call per clinic: 100,000 calls were ~0.15 s of a full rebuild.
    records = library.records
    cdc = [(spot, records[clinic_id]) for spot, clinic_id in enumerate(rows.ids) if clinic_id in records]

    is_open = np.fromiter(map(ClinicStatus.OPEN.value.__eq__, rows.statuses), dtype=np.bool_, count=count)
    for spot, record in cdc:
        if rows.statuses[spot] == ClinicStatus.REORGANIZED.value and record.reorganized_but_reported:
            is_open[spot] = True

    # The newest year's figure per clinic, as `ClinicRepository._outcomes` keeps it.
    year = np.full(count, -1, dtype=np.int64)
    cycles = np.full(count, math.nan)
    order = np.lexsort((rows.outcome_year, rows.outcome_clinic))
    if len(order):
        clinic_sorted = rows.outcome_clinic[order]
        last = order[np.append(clinic_sorted[1:] != clinic_sorted[:-1], True)]
        year[rows.outcome_clinic[last]] = rows.outcome_year[last]
        cycles[rows.outcome_clinic[last]] = rows.outcome_cycles[last]
    yearly = cycles
    for spot, record in cdc:
        if (mean := record.mean_cycles_per_year) is not None:
            yearly[spot] = mean

    lab_verified = np.zeros(count, dtype=np.bool_)
    yes = np.array(rows.verified_status, dtype=np.str_) == AccreditationStatus.YES.value
    lab_verified[rows.verified_clinic[yes]] = True
    accepted = np.zeros(count, dtype=np.bool_)
    held = np.array([body in policy.accepted_lab_bodies for body in rows.bodies], dtype=np.bool_)
    accepted[rows.body_clinic[held]] = True

    treatments = rows.offer_treatment
    # One table per column family, one row per treatment: each scattered in one step, then handed
    # out as row views (no copies).
    table = np.zeros((len(TREATMENT_CODES), count), dtype=np.int8)
    table[rows.offer_treatment, rows.offer_clinic] = rows.offer_availability
    availability = {treatment: table[code] for treatment, code in TREATMENT_CODES.items()}

    priced = rows.price_counts & ~np.isnan(rows.offer_price)
    treatments, clinics = rows.offer_treatment[priced], rows.offer_clinic[priced]
    price: dict[str, dict[Treatment, Floats]] = {}
    for currency in CURRENCIES:
        prices = np.full((len(TREATMENT_CODES), count), math.nan)
        prices[treatments, clinics] = _convert_whole(
            rows.offer_price[priced], rows.offer_currency[priced], rows.currencies, currency, rates
        )
        price[currency] = {treatment: prices[code] for treatment, code in TREATMENT_CODES.items()}

    success_lower: dict[str, Floats] = {}
    for age in AGE_CHOICES:
        column = np.full(count, math.nan)
        for spot, record in cdc:
            outcome = record.success(age)
            if outcome is not None and outcome.interval is not None and outcome.comparison is not Comparison.TOO_FEW:
                column[spot] = outcome.interval[0]
        success_lower[age] = column

    return DirectoryIndex(
        ids=ids,
        names=names,
        sort_names=np.array(list(map(str.casefold, rows.names)), dtype=np.str_),
        latitude=rows.latitude,
        longitude=rows.longitude,
        is_open=is_open,
        outcomes_year=year,
        yearly_cycles=yearly,
        lab_verified=lab_verified,
        accepted_lab_body=accepted,
        availability=availability,
        price=price,
        success_lower=success_lower,
    )


def _convert_whole(amounts: Floats, codes: Ints, currencies: list[str], target: str, rates: ExchangeRates) -> Floats:
    """`ExchangeRates.convert_whole` over many prices: float arithmetic, Decimal where a half unit is close."""
    result = np.empty(len(amounts))
    for code in np.unique(codes):
        source = currencies[code]
        chosen = codes == code
        given = amounts[chosen]
        if source == target:
            # Two decimals exactly: a half is exact in binary, so this rounds half up as Decimal does.
            result[chosen] = np.floor(given + 0.5)
            continue
        for unknown in (source, target):
            if unknown not in rates.per_eur:
                raise UnknownCurrency(f"no exchange rate for {unknown}")
        exact = given / float(rates.per_eur[source]) * float(rates.per_eur[target])
        rounded = np.floor(exact + 0.5)
        for spot in np.flatnonzero(np.abs(exact - np.floor(exact) - 0.5) < _HALF_MARGIN):
            # Two decimals, as the column stores them (Numeric(12, 2)).
            money = Money(Decimal(f"{given[spot]:.2f}"), source)
            rounded[spot] = float(rates.convert_whole(money, target).amount)
        result[chosen] = rounded
    return result


def patch_index(old: DirectoryIndex, changed: Collection[str], part: DirectoryIndex) -> DirectoryIndex:
    """`old` with the clinics in `changed` as `part` (built from those clinics' rows alone) has them.

    The index a full rebuild gives, cheaply when few clinics changed: every column is per clinic. A
    clinic still listed keeps its position, a clinic no longer listed is dropped, a newly listed one
    comes last, where a new row is in a full read of the table (positions decide no order: the search
    breaks ties by name and id).
    """
    changed_ids = np.array(sorted(changed), dtype=np.str_)
    touched = np.isin(old.ids, changed_ids)
    part_spot = {clinic_id: spot for spot, clinic_id in enumerate(part.ids.tolist())}
    old_spots = np.flatnonzero(touched)
    kept = [(spot, part_spot[clinic_id]) for spot, clinic_id in zip(old_spots, old.ids[old_spots].tolist(), strict=True)
            if clinic_id in part_spot]  # fmt: skip
    into = np.array([spot for spot, _ in kept], dtype=np.int64)
    source = np.array([spot for _, spot in kept], dtype=np.int64)
    gone = touched.copy()
    gone[into] = False
    keep = ~gone
    known = set(old.ids[old_spots].tolist())
    added = np.array(
        [spot for spot, clinic_id in enumerate(part.ids.tolist()) if clinic_id not in known], dtype=np.int64
    )

    def column(before: npt.NDArray[Any], after: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # The wider of the two string widths: a longer new name must not be cut to the old width.
        patched = before.astype(np.result_type(before, after), copy=True)
        patched[into] = after[source]
        return np.concatenate([patched[keep], after[added]])

    def patch(before: Any, after: Any) -> Any:
        if isinstance(before, dict):
            return {key: patch(value, after[key]) for key, value in before.items()}
        return column(before, after)

    return DirectoryIndex(**{f.name: patch(getattr(old, f.name), getattr(part, f.name)) for f in fields(old)})
