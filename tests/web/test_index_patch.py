"""An index patched for the clinics a change touched is the index a full rebuild gives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from clinicfinder.core.domain import Availability, ClinicStatus, Treatment
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.db.models import Accreditation, Clinic, DirectoryState, OutcomeFigure, TreatmentOffer
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from clinicfinder.services.search import Services
from tests.support.index import PATIENCE, assert_same_index, by_id, search_ids


def change_the_directory(longest_name: int) -> set[str]:
    """One of each kind of change, in several commits; the clinics they touch."""
    clinics = db.session.scalars(select(Clinic).order_by(Clinic.id)).all()
    renamed, moved, closed, unplaced, deleted, reopened = clinics[:6]
    renamed.name = "A longer name than any before " + "x" * longest_name  # wider than the index's name column
    moved.latitude, moved.longitude = 47.61, -122.33
    db.session.commit()
    closed.status = ClinicStatus.INACTIVE
    reopened.status = ClinicStatus.INACTIVE
    unplaced.latitude = None
    db.session.commit()
    reopened.status = ClinicStatus.OPEN  # back in the index, last rather than at its old position
    db.session.delete(deleted)
    offer = db.session.scalars(select(TreatmentOffer).where(TreatmentOffer.clinic_id == clinics[6].id)).first()
    assert offer is not None
    offer.availability, offer.price, offer.currency = Availability.YES, Decimal("1250.00"), "EUR"
    figure = db.session.scalars(select(OutcomeFigure).where(OutcomeFigure.clinic_id == clinics[7].id)).first()
    assert figure is not None
    figure.total_cycles = 3
    for row in db.session.scalars(select(Accreditation).where(Accreditation.clinic_id == clinics[8].id)):
        db.session.delete(row)
    new = Clinic(id="zz-new", name="New Clinic", city="Chicago", country="US", latitude=41.9, longitude=-87.6,
                 status=ClinicStatus.OPEN)  # fmt: skip
    new.offers.append(
        TreatmentOffer(treatment=Treatment.IVF, availability=Availability.YES, price=Decimal("9000.00"),
                       currency="USD", source="Clinic-reported, verified by ClinicFinder", as_of=date(2026, 1, 1))
    )  # fmt: skip
    db.session.add(new)
    db.session.commit()
    return {clinic.id for clinic in clinics[:9]} | {"zz-new"}


def test_an_index_patched_for_the_changed_clinics_is_the_full_rebuild(seeded_app: Flask) -> None:
    matcher = Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy())
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        before = repository.revision()
        old = matcher.index_from_columns(repository.index_columns())
        touched = change_the_directory(max(len(name) for name in old.names.tolist()))
        after = repository.revision()
        changed = repository.changed_clinics(before, after)
        assert changed == touched
        patched = matcher.patch_index(old, changed, repository.index_columns(sorted(changed)))
        full = matcher.index_from_columns(repository.index_columns())
        assert "zz-new" in patched.ids.tolist()
        assert len(patched) == len(old) - 3 + 1  # closed, unplaced and deleted out; the new one in
        assert_same_index(by_id(patched), by_id(full))
        for latitude, longitude, radius in ((41.88, -87.63, 50.0), (40.71, -74.0, 100.0), (47.6, -122.3, None)):
            for treatment in (Treatment.IVF, Treatment.TESE):
                query = SearchQuery(latitude, longitude, radius, treatment, limit=50)
                ours = matcher.search(query, patched, repository.facts)
                theirs = matcher.search(query, full, repository.facts)
                assert ours == theirs, (latitude, radius, treatment)


def test_a_revision_that_did_not_itemise_its_changes_means_a_full_rebuild(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        before = repository.revision()
        clinic = db.session.scalars(select(Clinic).limit(1)).one()
        clinic.name = "Renamed"
        db.session.commit()
        assert repository.changed_clinics(before, before + 1) == {clinic.id}
        # A bump nobody itemised (a script writing SQL of its own): nothing can be patched across it.
        db.session.execute(update(DirectoryState).values(revision=DirectoryState.revision + 1))
        db.session.commit()
        assert repository.changed_clinics(before, before + 2) is None
        assert repository.changed_clinics(before + 2, before + 2) is None


def test_the_app_patches_its_index_after_a_small_change(seeded_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    services: Services = seeded_app.extensions["services"]
    first = search_ids(seeded_app)
    reads: list[list[str] | None] = []
    original = ClinicRepository.index_columns

    def spy(self: ClinicRepository, only: list[str] | None = None) -> Any:
        reads.append(None if only is None else list(only))
        return original(self, only)

    monkeypatch.setattr(ClinicRepository, "index_columns", spy)
    with seeded_app.app_context():
        clinic = db.session.get(Clinic, first[0])
        assert clinic is not None
        clinic.latitude, clinic.longitude = 47.61, -122.33  # out of the 25 km search from Chicago
        db.session.commit()
    search_ids(seeded_app)  # notices the change, starts the rebuild
    assert services.wait_for_index(PATIENCE)
    assert reads == [[first[0]]]
    assert first[0] not in search_ids(seeded_app)
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        served = services.index(repository)
        full = services.matcher.index_from_columns(original(repository))
    assert_same_index(by_id(served), by_id(full))


def test_a_fact_row_moved_to_another_clinic_changes_both(seeded_app: Flask) -> None:
    with seeded_app.app_context():
        repository = ClinicRepository(db.session)
        before = repository.revision()
        offered = {
            (row[0], row[1]) for row in db.session.execute(select(TreatmentOffer.clinic_id, TreatmentOffer.treatment))
        }
        clinic_ids = db.session.scalars(select(Clinic.id).order_by(Clinic.id)).all()
        # An offer, and a clinic without one for that treatment (the pair is unique).
        treatments = {treatment for _, treatment in offered}
        other, treatment = next((c, t) for t in treatments for c in clinic_ids if (c, t) not in offered)
        offer = db.session.scalars(select(TreatmentOffer).where(TreatmentOffer.treatment == treatment)).first()
        assert offer is not None
        left = offer.clinic_id
        offer.clinic_id = other
        db.session.commit()
        assert repository.changed_clinics(before, repository.revision()) == {left, other}
