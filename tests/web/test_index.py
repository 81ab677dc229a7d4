"""The columnar search index must agree with the reference rules (`Matcher.assess`) on every clinic.

Ranking runs on columns for speed; explanations run on the reference rules. If the two ever
disagreed, a patient would see a clinic ranked for one reason and explained by another.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import EXCLUSION_ORDER, Matcher, RankedClinic, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db

TODAY = date(2026, 11, 25)
ORIGIN = (41.88, -87.63)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy(), today=lambda: TODAY)


def assert_agree(matcher: Matcher, clinics: list[ClinicFacts], query: SearchQuery) -> None:
    index = matcher.build_index(clinics)
    scores = matcher.score(query, index, query.radius_km)
    positions, distances = scores.positions, scores.distances
    by_id = {clinic.id: clinic for clinic in clinics}
    for spot, position in enumerate(positions):
        clinic = by_id[str(index.ids[position])]
        reference = matcher.assess(clinic, float(distances[spot]), query)
        code = int(scores.exclusion[spot])
        if isinstance(reference, RankedClinic):
            assert code == 0, f"{clinic.id}: index excludes for {EXCLUSION_ORDER[code - 1]}, reference ranks it"
            assert scores.price[spot] == (reference.price.amount.amount if reference.price.amount else None) or (
                math.isnan(scores.price[spot]) and reference.price.amount is None
            ), clinic.id
        else:
            assert code and EXCLUSION_ORDER[code - 1] is reference, f"{clinic.id}: index {code}, reference {reference}"


@pytest.mark.parametrize("treatment", list(Treatment))
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"include_unconfirmed": False},
        {"include_unpriced": False, "budget": Money(Decimal(15000), "USD")},
        {"language": "es", "currency": "EUR", "budget": Money(Decimal(9000), "EUR")},
    ],
    ids=["defaults", "confirmed-only", "priced-only", "spanish-euros"],
)
def test_index_agrees_with_the_rules_on_every_real_clinic(
    seeded_app: Flask, matcher: Matcher, treatment: Treatment, options: dict[str, object]
) -> None:
    with seeded_app.app_context():
        clinics = ClinicRepository(db.session).load_all()
    # The dict is typed object, but each case holds the keyword's own type
    query = SearchQuery(ORIGIN[0], ORIGIN[1], None, treatment, **options)  # type: ignore[arg-type]
    assert_agree(matcher, clinics, query)


AVAILABILITY = st.sampled_from(list(Availability))
STATUS = st.sampled_from(list(AccreditationStatus))
SOURCE = st.just("test")
AS_OF = st.dates(min_value=date(2018, 1, 1), max_value=TODAY)


@st.composite
def clinics(draw: st.DrawFn, number: int) -> ClinicFacts:
    def maybe(strategy: st.SearchStrategy[object]) -> object:
        return draw(st.one_of(st.none(), strategy))

    offers = {}
    for treatment in draw(st.sets(st.sampled_from(list(Treatment)))):
        price = maybe(st.builds(Money, st.decimals(1000, 40000, places=2), st.sampled_from(["USD", "EUR", "GBP"])))
        # maybe() says object; it draws None or a Money
        offers[treatment] = Offer(draw(AVAILABILITY), price, "test", draw(AS_OF))  # type: ignore[arg-type]
    return ClinicFacts(
        id=f"c{number}",
        name=draw(st.sampled_from(["Alpha", "Beta", "alpha"])),
        city="Chicago",
        region="IL",
        country=draw(st.sampled_from(["US", "GB", "ES"])),
        latitude=ORIGIN[0] + draw(st.floats(-2, 2)),
        longitude=ORIGIN[1] + draw(st.floats(-2, 2)),
        status=draw(st.sampled_from([ClinicStatus.OPEN, ClinicStatus.OPEN, ClinicStatus.CLOSED])),
        listing_source="test",
        listing_as_of=maybe(AS_OF),  # type: ignore[arg-type]  # maybe() says object; it draws None or a date
        outcomes=maybe(
            st.builds(Outcomes, st.integers(2015, 2026), st.one_of(st.none(), st.integers(0, 3000)), SOURCE, AS_OF)
        ),  # type: ignore[arg-type]  # maybe() says object; it draws None or an Outcomes
        # maybe() says object; it draws None or a Fact
        verified_lab_accreditation=maybe(st.builds(Fact, STATUS, SOURCE, AS_OF)),  # type: ignore[arg-type]
        # maybe() says object; it draws None or a Fact
        accreditation_bodies=maybe(st.builds(Fact, st.sampled_from([("CAP",), ("Someone",), ()]), SOURCE, AS_OF)),  # type: ignore[arg-type]
        # maybe() says object; it draws None or a Fact
        sart_member=maybe(st.builds(Fact, STATUS, SOURCE, AS_OF)),  # type: ignore[arg-type]
        # maybe() says object; it draws None or a Fact
        other_memberships=maybe(st.builds(Fact, st.sampled_from([("ESHRE",), ()]), SOURCE, AS_OF)),  # type: ignore[arg-type]
        offers=offers,
        male_factor={
            m: Fact(draw(AVAILABILITY), "test", draw(AS_OF))
            for m in draw(st.sets(st.sampled_from(list(MaleFactorCapability))))
        },
        # maybe() says object; it draws None or a Fact
        languages=maybe(st.builds(Fact, st.sampled_from([("en",), ("es",), ("en", "es"), ()]), SOURCE, AS_OF)),  # type: ignore[arg-type]
    )


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    treatment=st.sampled_from(list(Treatment)),
    budget=st.one_of(st.none(), st.integers(2000, 30000)),
    currency=st.sampled_from(["USD", "EUR", "GBP"]),
    radius=st.one_of(st.none(), st.floats(5, 300)),
    include_unpriced=st.booleans(),
    include_unconfirmed=st.booleans(),
    language=st.sampled_from(["en", "es"]),
)
def test_index_agrees_with_the_rules_on_any_clinic(
    matcher: Matcher, data, treatment, budget, currency, radius, include_unpriced, include_unconfirmed, language
) -> None:
    facts = [data.draw(clinics(number)) for number in range(12)]
    query = SearchQuery(
        ORIGIN[0], ORIGIN[1], radius, treatment,
        budget=None if budget is None else Money(Decimal(budget), currency), currency=currency,
        include_unpriced=include_unpriced, include_unconfirmed=include_unconfirmed, language=language,
    )  # fmt: skip
    assert_agree(matcher, facts, query)


def test_index_distances_match_the_boundary_rule() -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), today=lambda: TODAY)
    base = ClinicFacts("edge", "Edge", "X", None, "US", ORIGIN[0], ORIGIN[1], ClinicStatus.OPEN)
    # 1° of latitude north of Chicago is 111.08 km on the ellipsoid, 111.20 km on the sphere.
    north = ClinicFacts("north", "North", "X", None, "US", ORIGIN[0] + 1.0, ORIGIN[1], ClinicStatus.OPEN)
    index = matcher.build_index([base, north])
    positions, distances = index.within(ORIGIN[0], ORIGIN[1], 111.1)
    assert [str(index.ids[p]) for p in positions] == ["edge", "north"]  # the geodesic decides: inside
    assert distances[1] == pytest.approx(111.08, abs=0.01)
    assert len(index.within(ORIGIN[0], ORIGIN[1], 111.0)[0]) == 1
    assert np.all(np.diff(index.within(ORIGIN[0], ORIGIN[1], None)[1]) >= 0)


@pytest.mark.parametrize(
    ("price", "budget", "fits"),
    [
        (Money(Decimal("12500.50"), "USD"), Money(Decimal(12500), "USD"), False),  # shown as $12,501
        (Money(Decimal("12500.49"), "USD"), Money(Decimal(12500), "USD"), True),
        (Money(Decimal(510), "USD"), Money(Decimal(456), "EUR"), True),  # 456.498 € → 456 €
        (Money(Decimal(511), "USD"), Money(Decimal(456), "EUR"), False),  # 457.393 € → 457 €
    ],
)
def test_prices_at_the_edge_of_the_budget_are_counted_as_they_are_shown(
    matcher: Matcher, price: Money, budget: Money, fits: bool
) -> None:
    clinic = ClinicFacts(
        "edge", "Edge", "Chicago", "IL", "US", ORIGIN[0], ORIGIN[1], ClinicStatus.OPEN,
        outcomes=Outcomes(2022, 500, "test", TODAY),
        verified_lab_accreditation=Fact(AccreditationStatus.YES, "test", TODAY),
        offers={Treatment.IVF: Offer(Availability.YES, price, "test", TODAY)},
    )  # fmt: skip
    query = SearchQuery(ORIGIN[0], ORIGIN[1], 10.0, Treatment.IVF, budget=budget, currency=budget.currency)
    outcome = matcher.search(query, matcher.build_index([clinic]), lambda ids, t: {"edge": clinic})
    assert outcome.total == len(outcome.results) == (1 if fits else 0)
    assert_agree(matcher, [clinic], query)
