"""The directory in the database: records in, records out, and the diff between them.

`import_directory` is an idempotent upsert keyed by clinic id, applied in one transaction:
every clinic is written or none is. Clinics missing from a file are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session, selectinload

from clinicfinder.core.directory.records import (
    Accreditations,
    ClinicRecord,
    Languages,
    MaleFactor,
    Offer,
    Outcomes,
    Provenance,
    to_row,
)
from clinicfinder.core.domain import AccreditationStatus, MaleFactorCapability, Treatment
from clinicfinder.db.models import (
    CDC_VERIFIED_LAB,
    SART_SOCIETY,
    Accreditation,
    AccreditationKind,
    AuditEntry,
    Clinic,
    ClinicLanguage,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
    sort_accreditations,
    utcnow,
)

# Flask-SQLAlchemy hands out a scoped session; scripts and benchmarks may pass a plain one.
AnySession = Session | scoped_session[Any]
IDENTITY_FIELDS = (
    "name", "medical_director", "address", "city", "region", "postal_code", "country", "latitude",
    "longitude", "coordinates_source", "phone", "email", "website", "description", "status",
)  # fmt: skip


@dataclass
class ImportSummary:
    dry_run: bool
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # clinic id -> changed columns
    # clinic id -> (column, old cell, new cell), for a preview that shows exactly what will change
    differences: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    unchanged: int = 0

    def describe(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {self.unchanged} unchanged "
            f"({'dry run: nothing ' + verb + ' written' if self.dry_run else 'saved'})"
        )


def _with_facts() -> Any:
    return (
        selectinload(Clinic.offers),
        selectinload(Clinic.accreditations),
        selectinload(Clinic.outcomes),
        selectinload(Clinic.male_factor),
        selectinload(Clinic.languages),
    )


def import_directory(
    session: AnySession,
    records: Iterable[ClinicRecord],
    *,
    actor_label: str,
    actor_id: int | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    summary = ImportSummary(dry_run=dry_run)
    existing = {clinic.id: clinic for clinic in session.scalars(select(Clinic).options(*_with_facts()))}
    try:
        for record in records:
            clinic = existing.get(record.clinic_id)
            if clinic is None:
                summary.added.append(record.clinic_id)
                if not dry_run:
                    clinic = Clinic(id=record.clinic_id)
                    apply_record(clinic, record)
                    session.add(clinic)
                    session.add(_audit(actor_label, actor_id, "clinic.create", record.clinic_id))
                continue
            old_row, new_row = to_row(record_from_clinic(clinic)), to_row(record)
            changed = [column for column, value in new_row.items() if old_row[column] != value]
            if not changed:
                summary.unchanged += 1
                continue
            summary.changed[record.clinic_id] = changed
            summary.differences[record.clinic_id] = [(column, old_row[column], new_row[column]) for column in changed]
            if not dry_run:
                apply_record(clinic, record)
                session.add_all(
                    _audit(actor_label, actor_id, "clinic.update", clinic.id, column, old_row[column], new_row[column])
                    for column in changed
                )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary


def export_directory(session: AnySession) -> Iterator[ClinicRecord]:
    """Every clinic, in natural id order (us-cdc-2 before us-cdc-10), as clinics.csv has them."""
    clinics = session.scalars(select(Clinic).options(*_with_facts())).all()
    for clinic in sorted(clinics, key=lambda clinic: natural_key(clinic.id)):
        yield record_from_clinic(clinic)


def natural_key(clinic_id: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", clinic_id) if part)


def _audit(
    actor_label: str,
    actor_id: int | None,
    action: str,
    clinic_id: str,
    column: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> AuditEntry:
    return AuditEntry(
        actor_label=actor_label, actor_id=actor_id, action=action, clinic_id=clinic_id,
        field=column, old_value=old, new_value=new,
    )  # fmt: skip


# --- record -> database --------------------------------------------------------------


def apply_record(clinic: Clinic, record: ClinicRecord) -> None:
    """Make `clinic` and its fact rows say exactly what `record` says."""
    for name in IDENTITY_FIELDS:
        setattr(clinic, name, getattr(record, name))
    clinic.listing_source = record.listing.source if record.listing else None
    clinic.listing_as_of = record.listing.as_of if record.listing else None
    # Touching the row bumps the version even when only fact rows changed.
    clinic.updated_at = utcnow()

    _sync(
        clinic.offers,
        {offer.treatment: _offer_values(offer) for offer in record.offers},
        key=lambda row: row.treatment,
        make=lambda key: TreatmentOffer(treatment=key),
    )
    _sync(
        clinic.accreditations,
        _accreditation_values(record.accreditations),
        key=lambda row: (row.kind, row.body),
        make=lambda key: Accreditation(kind=key[0], body=key[1]),
    )
    outcomes = record.outcomes
    _sync(
        clinic.outcomes,
        {} if outcomes is None else {outcomes.year: _outcome_values(outcomes)},
        key=lambda row: row.year,
        make=lambda key: OutcomeFigure(year=key),
    )
    male_factor = record.male_factor
    _sync(
        clinic.male_factor,
        {} if male_factor is None else {
            capability: {"availability": availability, **_provenance(male_factor.provenance)}
            for capability, availability in male_factor.capabilities
        },
        key=lambda row: row.capability,
        make=lambda key: MaleFactorFact(capability=key),
    )  # fmt: skip
    languages = record.languages
    _sync(
        clinic.languages,
        {} if languages is None else {code: _provenance(languages.provenance) for code in languages.codes},
        key=lambda row: row.language,
        make=lambda key: ClinicLanguage(language=key),
    )


Row = TypeVar("Row")


def _sync(
    rows: list[Row],
    wanted: dict[Any, dict[str, Any]],
    *,
    key: Callable[[Row], Hashable],
    make: Callable[[Any], Row],
) -> None:
    """Update rows in place by key, add the new ones, drop the rest.

    Updating in place (rather than replacing the list) keeps unique constraints happy:
    the unit of work would otherwise insert a new row before deleting its twin.
    """
    by_key = {key(row): row for row in rows}
    for row_key in set(by_key) - set(wanted):
        rows.remove(by_key[row_key])
    for row_key, values in wanted.items():
        row = by_key.get(row_key)
        if row is None:
            row = make(row_key)
            rows.append(row)
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)


def _provenance(provenance: Provenance) -> dict[str, Any]:
    return {"source": provenance.source, "as_of": provenance.as_of}


def _offer_values(offer: Offer) -> dict[str, Any]:
    return {
        "availability": offer.availability, "price": offer.price, "currency": offer.currency,
        **_provenance(offer.provenance),
    }  # fmt: skip


def _outcome_values(outcomes: Outcomes) -> dict[str, Any]:
    return {
        "total_cycles": outcomes.total_cycles,
        "fertility_preservation_cycles": outcomes.fertility_preservation_cycles,
        "pregnancies": outcomes.pregnancies,
        "deliveries": outcomes.deliveries,
        "infants_born": outcomes.infants_born,
        **_provenance(outcomes.provenance),
    }


def _accreditation_values(accreditations: Accreditations | None) -> dict[tuple[AccreditationKind, str], dict[str, Any]]:
    if accreditations is None:
        return {}
    provenance = _provenance(accreditations.provenance)
    wanted: dict[tuple[AccreditationKind, str], dict[str, Any]] = {}
    if accreditations.verified_lab_accreditation is not None:
        wanted[(AccreditationKind.LAB, CDC_VERIFIED_LAB)] = {
            "status": accreditations.verified_lab_accreditation, **provenance,
        }  # fmt: skip
    for body in accreditations.bodies:
        wanted[(AccreditationKind.LAB, body)] = {"status": AccreditationStatus.YES, **provenance}
    if accreditations.sart_member is not None:
        wanted[(AccreditationKind.SOCIETY, SART_SOCIETY)] = {"status": accreditations.sart_member, **provenance}
    for society in accreditations.other_memberships:
        wanted[(AccreditationKind.SOCIETY, society)] = {"status": AccreditationStatus.YES, **provenance}
    return wanted


# --- database -> record --------------------------------------------------------------


def record_from_clinic(clinic: Clinic) -> ClinicRecord:
    listing = (
        Provenance(clinic.listing_source, clinic.listing_as_of)
        if clinic.listing_source and clinic.listing_as_of
        else None
    )
    return ClinicRecord(
        clinic_id=clinic.id,
        **{name: getattr(clinic, name) for name in IDENTITY_FIELDS},
        listing=listing,
        outcomes=_outcomes_record(clinic),
        accreditations=_accreditations_record(clinic),
        offers=tuple(
            Offer(row.treatment, row.availability, row.price, row.currency, Provenance(row.source, row.as_of))
            for row in sorted(clinic.offers, key=lambda row: list(Treatment).index(row.treatment))
        ),
        male_factor=_male_factor_record(clinic),
        languages=_languages_record(clinic),
    )


def _outcomes_record(clinic: Clinic) -> Outcomes | None:
    if not clinic.outcomes:
        return None
    latest = max(clinic.outcomes, key=lambda row: row.year)
    return Outcomes(
        year=latest.year,
        total_cycles=latest.total_cycles,
        fertility_preservation_cycles=latest.fertility_preservation_cycles,
        pregnancies=latest.pregnancies,
        deliveries=latest.deliveries,
        infants_born=latest.infants_born,
        provenance=Provenance(latest.source, latest.as_of),
    )


def _accreditations_record(clinic: Clinic) -> Accreditations | None:
    if not clinic.accreditations:
        return None
    first = clinic.accreditations[0]
    rows = sort_accreditations(clinic.accreditations)
    return Accreditations(
        verified_lab_accreditation=rows.verified.status if rows.verified else None,
        bodies=tuple(sorted(row.body for row in rows.bodies)),
        sart_member=rows.sart.status if rows.sart else None,
        other_memberships=tuple(sorted(row.body for row in rows.societies)),
        provenance=Provenance(first.source, first.as_of),
    )


def _male_factor_record(clinic: Clinic) -> MaleFactor | None:
    if not clinic.male_factor:
        return None
    first = clinic.male_factor[0]
    ordered = sorted(clinic.male_factor, key=lambda row: list(MaleFactorCapability).index(row.capability))
    capabilities = tuple((row.capability, row.availability) for row in ordered)
    return MaleFactor(capabilities, Provenance(first.source, first.as_of))


def _languages_record(clinic: Clinic) -> Languages | None:
    if not clinic.languages:
        return None
    first = clinic.languages[0]
    return Languages(tuple(sorted(row.language for row in clinic.languages)), Provenance(first.source, first.as_of))
