"""The facts of the clinics a search returns come in one query, and are the facts the five queries gave."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from clinicfinder.core.domain import (
    CLINIC_REPORTED,
    VERIFIED_CLAIM,
    AccreditationStatus,
    Availability,
    MaleFactorCapability,
    Treatment,
)
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.db.models import (
    Accreditation,
    AccreditationKind,
    Clinic,
    ClinicLanguage,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
)
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from tests.support.facts_reference import FiveQueryFacts

AS_OF = date(2026, 3, 1)
CDC_SERVICE = "CDC ART Services and Profiles 2022"
CHICAGO = (41.88, -87.63)


def add_every_kind_of_fact(clinic_ids: list[str]) -> None:
    """What the real directory has few of: claims pending and verified, languages, bodies, older years."""
    first, second, third = clinic_ids[:3]
    claimed = f"{CLINIC_REPORTED} price; offered per {CDC_SERVICE}"
    db.session.add_all(
        [
            ClinicLanguage(clinic_id=first, language="es", source=CLINIC_REPORTED, as_of=AS_OF),
            ClinicLanguage(clinic_id=first, language="en", source=CLINIC_REPORTED, as_of=AS_OF),
            ClinicLanguage(clinic_id=second, language="pl", source=VERIFIED_CLAIM, as_of=AS_OF),
            MaleFactorFact(
                clinic_id=first, capability=MaleFactorCapability.MICRO_TESE, availability=Availability.YES,
                source=CLINIC_REPORTED, as_of=AS_OF,
            ),
            MaleFactorFact(
                clinic_id=second, capability=MaleFactorCapability.REPRODUCTIVE_UROLOGIST,
                availability=Availability.NO, source=CLINIC_REPORTED, as_of=AS_OF,
                verified_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC), verified_by="admin@example.org",
            ),
            Accreditation(
                clinic_id=first, kind=AccreditationKind.LAB, body="CAP", status=AccreditationStatus.YES,
                source=CLINIC_REPORTED, as_of=AS_OF,
            ),
            Accreditation(
                clinic_id=first, kind=AccreditationKind.SOCIETY, body="ESHRE", status=AccreditationStatus.YES,
                source=CLINIC_REPORTED, as_of=AS_OF,
            ),
            OutcomeFigure(clinic_id=third, year=2015, total_cycles=None, source="CDC 2015", as_of=AS_OF),
        ]
    )  # fmt: skip
    offers = db.session.scalars(select(TreatmentOffer).where(TreatmentOffer.clinic_id.in_([first, second]))).all()
    for offer, source in zip(offers, [claimed, CLINIC_REPORTED, VERIFIED_CLAIM], strict=False):
        offer.source, offer.price, offer.currency = source, Decimal("7345.25"), "EUR"
    for offer in offers[3:]:
        offer.price, offer.currency = Decimal("12000.50"), "USD"
    db.session.commit()


@pytest.fixture
def directory(seeded_app: Flask) -> Any:
    with seeded_app.app_context():
        clinic_ids = list(db.session.scalars(select(Clinic.id).order_by(Clinic.id)))
        add_every_kind_of_fact(clinic_ids)
        yield clinic_ids


def test_one_query_gives_the_facts_the_five_queries_gave(seeded_app: Flask, directory: list[str]) -> None:
    repository, reference = ClinicRepository(db.session), FiveQueryFacts(db.session)
    for treatment in Treatment:
        facts = repository.facts(directory, treatment)
        expected = reference.facts(directory, treatment)
        assert facts.keys() == expected.keys() and len(facts) == len(directory)
        for clinic_id, clinic in expected.items():
            assert facts[clinic_id] == clinic, (clinic_id, treatment)
    assert repository.facts([*directory[:2], "no-such-clinic"], Treatment.IVF).keys() == set(directory[:2])
    assert repository.get("no-such-clinic") is None
    first = repository.get(directory[0])
    assert first is not None
    # The rows added above arrived: pending and verified claims apart, languages sorted, CDC's word kept.
    assert first.languages is not None and first.languages.value == ("en", "es")
    assert first.pending_male_factor and not first.male_factor.get(MaleFactorCapability.MICRO_TESE)
    assert first.accreditation_bodies is not None and "CAP" in first.accreditation_bodies.value
    assert any(offer.source == CDC_SERVICE for offer in first.offers.values())


def test_a_search_explains_its_clinics_with_one_query_and_shows_the_same_results(
    seeded_app: Flask, directory: list[str]
) -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy())
    repository, reference = ClinicRepository(db.session), FiveQueryFacts(db.session)
    index = matcher.index_from_columns(repository.index_columns())
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = db.engine
    for treatment in Treatment:
        for budget in (None, Money(Decimal(15000), "USD")):
            query = SearchQuery(*CHICAGO, radius_km=250, treatment=treatment, budget=budget, limit=20)
            expected = matcher.search(query, index, reference.facts)
            event.listen(engine, "before_cursor_execute", count)
            try:
                outcome = matcher.search(query, index, repository.facts)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert outcome.results, query
            assert outcome == expected, query
    assert len(statements) == 2 * len(Treatment), "one query for the facts of each search"
