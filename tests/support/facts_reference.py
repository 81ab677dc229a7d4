"""The facts of clinics as `ClinicRepository` read them before one query replaced five: the reference.

A copy of the old path (one select per table), kept only so tests can check that the single query
gives the same `ClinicFacts`, field for field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, scoped_session

from clinicfinder.core.domain import AccreditationStatus, Treatment, is_unverified_claim
from clinicfinder.core.matching.criteria import SURGICAL_SPERM_RETRIEVAL
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import Money
from clinicfinder.core.outcomes import outcome_library
from clinicfinder.db.models import (
    Accreditation,
    Clinic,
    ClinicLanguage,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
    sort_accreditations,
)
from clinicfinder.db.repository import _CLINIC_COLUMNS, CDC_OFFERED, CHUNK, MaleFactorById, OffersById


class FiveQueryFacts:
    def __init__(self, session: Session | scoped_session[Any]) -> None:
        self._session = session
        self._library = None

    def _execute(self, statement: Any) -> Any:
        return self._session.connection().execute(statement)

    def facts(self, clinic_ids: Sequence[str], treatment: Treatment) -> dict[str, ClinicFacts]:
        """The facts of the given clinics, for one treatment."""
        rows: list[Any] = []
        for start in range(0, len(clinic_ids), CHUNK):
            chunk = list(clinic_ids[start : start + CHUNK])
            rows.extend(self._execute(select(*_CLINIC_COLUMNS).where(Clinic.id.in_(chunk))))
        return self._facts(rows, (treatment,))

    def _facts(self, rows: Sequence[Any], treatments: tuple[Treatment, ...]) -> dict[str, ClinicFacts]:
        ids = [row.id for row in rows]
        outcomes = self._outcomes(ids)
        accreditations = self._accreditations(ids)
        offers, pending_offers = self._offers(ids, treatments)
        male_factor, pending_male_factor = (
            self._male_factor(ids) if SURGICAL_SPERM_RETRIEVAL & set(treatments) else ({}, {})
        )
        languages = self._languages(ids)
        library = self._library if self._library is not None else outcome_library()
        result = {}
        for row in rows:
            lab = accreditations.get(row.id, {})
            result[row.id] = ClinicFacts(
                id=row.id,
                name=row.name,
                city=row.city,
                region=row.region,
                country=row.country,
                latitude=row.latitude,
                longitude=row.longitude,
                status=row.status,
                listing_source=row.listing_source,
                listing_as_of=row.listing_as_of,
                address=row.address,
                postal_code=row.postal_code,
                phone=row.phone,
                email=row.email,
                website=row.website,
                description=row.description,
                outcomes=outcomes.get(row.id),
                verified_lab_accreditation=lab.get("verified"),
                accreditation_bodies=lab.get("bodies"),
                sart_member=lab.get("sart"),
                other_memberships=lab.get("societies"),
                offers=offers.get(row.id, {}),
                male_factor=male_factor.get(row.id, {}),
                pending_offers=pending_offers.get(row.id, {}),
                pending_male_factor=pending_male_factor.get(row.id, {}),
                languages=languages.get(row.id),
                cdc=library.get(row.id),
            )
        return result

    def _rows(self, statement_for: Any, ids: list[str]) -> Iterator[Any]:
        for start in range(0, len(ids), CHUNK):
            yield from self._execute(statement_for(ids[start : start + CHUNK]))

    def _outcomes(self, ids: list[str]) -> dict[str, Outcomes]:
        latest: dict[str, Outcomes] = {}
        columns = (OutcomeFigure.clinic_id, OutcomeFigure.year, OutcomeFigure.total_cycles)
        provenance = (OutcomeFigure.source, OutcomeFigure.as_of)
        for row in self._rows(
            lambda chunk: select(*columns, *provenance).where(OutcomeFigure.clinic_id.in_(chunk)), ids
        ):
            known = latest.get(row.clinic_id)
            if known is None or row.year > known.year:
                latest[row.clinic_id] = Outcomes(row.year, row.total_cycles, row.source, row.as_of)
        return latest

    def _accreditations(self, ids: list[str]) -> dict[str, dict[str, Fact[Any]]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        columns = (Accreditation.clinic_id, Accreditation.kind, Accreditation.body, Accreditation.status)
        provenance = (Accreditation.source, Accreditation.as_of)
        for row in self._rows(
            lambda chunk: select(*columns, *provenance).where(Accreditation.clinic_id.in_(chunk)), ids
        ):
            grouped[row.clinic_id].append(row)
        return {clinic_id: _accreditation_facts(rows) for clinic_id, rows in grouped.items()}

    def _offers(self, ids: list[str], treatments: tuple[Treatment, ...]) -> tuple[OffersById, OffersById]:
        """Verified offers (they decide filters and order) and unverified clinic claims, apart."""
        offers: OffersById = defaultdict(dict)
        pending: OffersById = defaultdict(dict)
        columns = (
            TreatmentOffer.clinic_id,
            TreatmentOffer.treatment,
            TreatmentOffer.availability,
            TreatmentOffer.price,
            TreatmentOffer.currency,
            TreatmentOffer.source,
            TreatmentOffer.as_of,
            TreatmentOffer.verified_at,
        )

        def statement(chunk: list[str]) -> Any:
            return select(*columns).where(
                and_(TreatmentOffer.clinic_id.in_(chunk), TreatmentOffer.treatment.in_(treatments))
            )

        for row in self._rows(statement, ids):
            price = None if row.price is None else Money(Decimal(row.price), row.currency)
            offer = Offer(row.availability, price, row.source, row.as_of)
            if not is_unverified_claim(row.source, row.verified_at):
                offers[row.clinic_id][row.treatment] = offer
                continue
            pending[row.clinic_id][row.treatment] = offer
            if CDC_OFFERED in row.source:
                # "Clinic-reported price; offered per CDC …": CDC's word on the service still stands.
                cdc_source = row.source.split(CDC_OFFERED, 1)[1].strip()
                offers[row.clinic_id][row.treatment] = Offer(row.availability, None, cdc_source, row.as_of)
        return offers, pending

    def _male_factor(self, ids: list[str]) -> tuple[MaleFactorById, MaleFactorById]:
        facts: MaleFactorById = defaultdict(dict)
        pending: MaleFactorById = defaultdict(dict)
        columns = (MaleFactorFact.clinic_id, MaleFactorFact.capability, MaleFactorFact.availability)
        provenance = (MaleFactorFact.source, MaleFactorFact.as_of, MaleFactorFact.verified_at)
        for row in self._rows(
            lambda chunk: select(*columns, *provenance).where(MaleFactorFact.clinic_id.in_(chunk)), ids
        ):
            target = pending if is_unverified_claim(row.source, row.verified_at) else facts
            target[row.clinic_id][row.capability] = Fact(row.availability, row.source, row.as_of)
        return facts, pending

    def _languages(self, ids: list[str]) -> dict[str, Fact[tuple[str, ...]]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        columns = (ClinicLanguage.clinic_id, ClinicLanguage.language, ClinicLanguage.source, ClinicLanguage.as_of)
        for row in self._rows(lambda chunk: select(*columns).where(ClinicLanguage.clinic_id.in_(chunk)), ids):
            grouped[row.clinic_id].append(row)
        return {
            clinic_id: Fact(tuple(sorted(row.language for row in rows)), rows[0].source, rows[0].as_of)
            for clinic_id, rows in grouped.items()
        }


def _accreditation_facts(rows: Iterable[Any]) -> dict[str, Fact[Any]]:
    facts: dict[str, Fact[Any]] = {}
    grouped = sort_accreditations(rows)
    for key, row in (("verified", grouped.verified), ("sart", grouped.sart)):
        if row is not None:
            facts[key] = Fact(row.status, row.source, row.as_of)
    for key, group in (("bodies", grouped.bodies), ("societies", grouped.societies)):
        held = [row for row in group if row.status is AccreditationStatus.YES]
        if held:
            facts[key] = Fact(tuple(sorted(row.body for row in held)), held[0].source, held[0].as_of)
    return facts
