"""The index built from plain rows is the index built from the reference facts, column for column."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import numpy as np
from flask import Flask
from sqlalchemy import select

from clinicfinder.core.domain import Availability, ClinicStatus
from clinicfinder.core.matching.columns import AVAILABILITY_CODES, TREATMENT_CODES, DirectoryColumns
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.db.index_rows import PACKED_SEP
from clinicfinder.db.models import Accreditation, AccreditationKind, Clinic, OutcomeFigure, TreatmentOffer
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from tests.support.index import assert_same_index


def test_index_from_rows_is_the_index_from_facts_on_the_real_directory(seeded_app: Flask) -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy())
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        reference = matcher.build_index(repository.load_all())
        built = matcher.index_from_columns(repository.index_columns())
    assert_same_index(built, reference)


# (price, currency) on the first offers of the real directory: half units before and after conversion
# (1,250.00 EUR is exactly $1,396.50 at the bundled rate), and currencies the patient never picks.
PRICES = [
    ("10000.50", "USD"),
    ("1250.00", "EUR"),
    ("0.50", "GBP"),
    ("9999.99", "EUR"),
    ("125000.00", "MXN"),
    ("18000.49", "USD"),
    ("7345.25", "GBP"),
]
SOURCES = [
    "Clinic-reported price; offered per CDC ART Services and Profiles 2022",  # CDC's word on the service stands
    "Clinic-reported",  # an unverified claim: neither its availability nor its price counts
    "Clinic-reported, verified by ClinicFinder",  # a verified claim counts
]


def test_index_from_rows_agrees_on_prices_claims_and_unlisted_clinics(seeded_app: Flask) -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy())
    with seeded_app.app_context():
        offers = db.session.scalars(select(TreatmentOffer).order_by(TreatmentOffer.id).limit(20)).all()
        for offer, (amount, currency) in zip(offers, PRICES, strict=False):
            offer.availability, offer.price, offer.currency = Availability.YES, Decimal(amount), currency
        for offer, source in zip(offers[len(PRICES) :], SOURCES * 2, strict=False):
            offer.source, offer.price, offer.currency = source, Decimal("5000.00"), "USD"
        clinics = db.session.scalars(select(Clinic).order_by(Clinic.id.desc()).limit(2)).all()
        clinics[0].status = ClinicStatus.INACTIVE
        clinics[1].latitude = None
        euros = (offers[1].clinic_id, offers[1].treatment)
        db.session.commit()
        repository = ClinicRepository(db.session)
        reference = matcher.build_index(repository.load_all())
        built = matcher.index_from_columns(repository.index_columns())
    assert_same_index(built, reference)
    # The edits reached the index: €1,250.00 is $1,396.50, rounded half up as every price shown.
    (spot,) = np.flatnonzero(built.ids == euros[0])
    assert built.price["USD"][euros[1]][spot] == 1397


def assert_same_columns(packed: DirectoryColumns, rows: DirectoryColumns) -> None:
    for field in fields(rows):
        got, expected = getattr(packed, field.name), getattr(rows, field.name)
        if isinstance(expected, list):
            assert got == expected, field.name
        else:
            assert got.dtype == expected.dtype, field.name
            assert np.array_equal(got, expected, equal_nan=expected.dtype.kind == "f"), field.name


def test_the_joined_columns_of_a_full_rebuild_are_the_rows(seeded_app: Flask) -> None:
    """The full rebuild reads each column as one string; the patch reads rows: both give the same columns,
    with clinics left out of the index (inactive, no coordinates), claims and prices in several currencies."""
    with seeded_app.app_context():
        offers = db.session.scalars(select(TreatmentOffer).order_by(TreatmentOffer.id).limit(12)).all()
        for offer, (amount, currency) in zip(offers, PRICES, strict=False):
            offer.availability, offer.price, offer.currency = Availability.YES, Decimal(amount), currency
        for offer, source in zip(offers[len(PRICES) :], SOURCES * 2, strict=False):
            offer.source = source
        clinics = db.session.scalars(select(Clinic).order_by(Clinic.id.desc()).limit(2)).all()
        clinics[0].status = ClinicStatus.INACTIVE
        clinics[1].longitude = None
        figure = db.session.scalars(select(OutcomeFigure).order_by(OutcomeFigure.id).limit(1)).one()
        figure.total_cycles = None
        db.session.commit()
        repository = ClinicRepository(db.session)
        packed = repository._packed_columns()
        assert packed is not None
        assert_same_columns(packed, repository._row_columns(None))
        assert clinics[0].id not in packed.ids and clinics[1].id not in packed.ids
        assert np.isnan(packed.outcome_cycles).any()


def test_an_offer_packs_into_its_bits() -> None:
    # The full rebuild packs an offer's treatment into 3 bits and its availability into 2 (index_rows).
    assert max(TREATMENT_CODES.values()) < 8 and max(AVAILABILITY_CODES.values()) < 4


def test_a_separator_inside_a_value_reads_rows_instead(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        lab = db.session.scalars(
            select(Accreditation).where(Accreditation.kind == AccreditationKind.LAB).order_by(Accreditation.id)
        ).first()
        assert lab is not None
        lab.body = f"Some{PACKED_SEP}Body"
        db.session.commit()
        repository = ClinicRepository(db.session)
        assert repository._packed_columns() is None
        assert_same_columns(repository.index_columns(), repository._row_columns(None))
