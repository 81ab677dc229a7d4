"""The index built from plain rows is the index built from the reference facts, column for column."""

from __future__ import annotations

import numpy as np
from flask import Flask

from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.index import DirectoryIndex
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db


def assert_same_index(built: DirectoryIndex, reference: DirectoryIndex) -> None:
    assert len(built) == len(reference) > 0
    for name in ("ids", "names", "sort_names", "is_open", "outcomes_year", "lab_verified", "accepted_lab_body"):
        assert np.array_equal(getattr(built, name), getattr(reference, name)), name
    for name in ("latitude", "longitude", "yearly_cycles"):
        assert np.array_equal(getattr(built, name), getattr(reference, name), equal_nan=True), name
    for treatment, offered in reference.availability.items():
        assert np.array_equal(built.availability[treatment], offered), treatment
    for currency, columns in reference.price.items():
        for treatment, prices in columns.items():
            assert np.array_equal(built.price[currency][treatment], prices, equal_nan=True), (currency, treatment)
    for age, lower in reference.success_lower.items():
        assert np.array_equal(built.success_lower[age], lower, equal_nan=True), age


def test_index_from_rows_is_the_index_from_facts_on_the_real_directory(seeded_app: Flask) -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy())
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        reference = matcher.build_index(repository.load_all())
        built = matcher.index_from_columns(repository.index_columns())
    assert_same_index(built, reference)
