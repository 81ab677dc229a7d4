"""Reads clinic facts for the matching core straight from the database.

Plain SQL expressions, not ORM objects: loading the whole directory for the search index
and the facts of the clinics a search returns are both on the patient's critical path.
"""

from __future__ import annotations

import functools
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import NullType

from clinicfinder.core.domain import (
    AccreditationStatus,
    Availability,
    ClinicStatus,
    MaleFactorCapability,
    Treatment,
    is_unverified_claim,
)
from clinicfinder.core.matching.criteria import SURGICAL_SPERM_RETRIEVAL
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import Money
from clinicfinder.core.outcomes import OutcomeLibrary, outcome_library
from clinicfinder.db.index_rows import CDC_OFFERED, IndexRows
from clinicfinder.db.models import (
    Accreditation,
    Clinic,
    ClinicLanguage,
    DirectoryState,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
    sort_accreditations,
)

# Keeps every IN (...) list well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
OffersById = dict[str, dict[Treatment, Offer]]
MaleFactorById = dict[str, dict[MaleFactorCapability, Fact[Availability]]]

_CLINIC_COLUMNS = (
    Clinic.id,
    Clinic.name,
    Clinic.city,
    Clinic.region,
    Clinic.country,
    Clinic.latitude,
    Clinic.longitude,
    Clinic.status,
    Clinic.listing_source,
    Clinic.listing_as_of,
    Clinic.address,
    Clinic.postal_code,
    Clinic.phone,
    Clinic.email,
    Clinic.website,
    Clinic.description,
)


class ClinicRepository(IndexRows):
    def __init__(self, session: Session | scoped_session[Any], outcomes: OutcomeLibrary | None = None) -> None:
        self._session = session
        # CDC's reference data ships with the app (like data/cost_reference.csv): read once per
        # process, attached to each clinic by id with a dict lookup.
        self._library = outcomes

    def _execute(self, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
        # Core, on the session's connection and transaction: these are plain selects, and the
        # ORM's per-statement machinery would cost more than the queries themselves.
        return self._session.connection().execute(statement, parameters)

    def revision(self) -> int:
        """Bumped by every change to the directory (see models.bump_directory_revision)."""
        return int(self._execute(select(DirectoryState.revision)).scalar() or 0)

    def countries(self) -> tuple[str, ...]:
        """The countries with at least one open (or reorganized) listed clinic, by ISO code."""
        statuses = (ClinicStatus.OPEN, ClinicStatus.REORGANIZED)
        rows = self._execute(select(Clinic.country).where(Clinic.status.in_(statuses)).distinct()).scalars()
        return tuple(sorted({str(code).upper() for code in rows if code}))

    def load_all(self) -> list[ClinicFacts]:
        """Every listed clinic with all its facts: the input of the search index."""
        ids = self._execute(
            select(Clinic.id).where(
                Clinic.status != ClinicStatus.INACTIVE, Clinic.latitude.is_not(None), Clinic.longitude.is_not(None)
            )
        ).scalars()
        return list(self._facts(list(ids), tuple(Treatment)).values())

    def facts(self, clinic_ids: Sequence[str], treatment: Treatment) -> dict[str, ClinicFacts]:
        """The facts of the given clinics, for one treatment: one query for a page of results."""
        return self._facts(clinic_ids, (treatment,))

    def get(self, clinic_id: str) -> ClinicFacts | None:
        return self._facts([clinic_id], tuple(Treatment)).get(clinic_id)

    def _facts(self, clinic_ids: Sequence[str], treatments: tuple[Treatment, ...]) -> dict[str, ClinicFacts]:
        """The clinics found among `clinic_ids`, in that order, each with all its facts.

        One UNION ALL query per CHUNK ids brings the clinic row and every child row, told apart by
        `kind`: a search explains its 20 clinics with one round trip instead of six.
        """
        dialect = self._session.connection().dialect
        statement = _facts_statement(bool(SURGICAL_SPERM_RETRIEVAL & set(treatments)), dialect.name != "sqlite")
        grouped: list[list[Any]] = [[] for _ in _FACT_TABLES]
        types: tuple[Any, ...] = ()
        for start in range(0, len(clinic_ids), CHUNK):
            chunk = list(clinic_ids[start : start + CHUNK])
            result = self._execute(statement, {"ids": chunk, "treatments": list(treatments)})
            # The driver's type of each slot: some processors depend on it (PostgreSQL's numerics).
            types = tuple(column[1] for column in result.cursor.description)
            for row in result.all():
                grouped[row[0]].append(row)
        rows = [_FACT_TABLES[kind].rows(found, dialect, types) for kind, found in enumerate(grouped)]
        clinics = {row.id: row for row in rows[0]}
        outcomes = _outcomes(rows[1])
        accreditations = _accreditations(rows[2])
        offers, pending_offers = _offers(rows[3])
        male_factor, pending_male_factor = _male_factor(rows[4])
        languages = _languages(rows[5])
        library = self._library if self._library is not None else outcome_library()
        result = {}
        for clinic_id in dict.fromkeys(clinic_ids):
            row = clinics.get(clinic_id)
            if row is None:
                continue
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


def _outcomes(rows: Iterable[Any]) -> dict[str, Outcomes]:
    latest: dict[str, Outcomes] = {}
    for row in rows:
        known = latest.get(row.clinic_id)
        if known is None or row.year > known.year:
            latest[row.clinic_id] = Outcomes(row.year, row.total_cycles, row.source, row.as_of)
    return latest


def _accreditations(rows: Iterable[Any]) -> dict[str, dict[str, Fact[Any]]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.clinic_id].append(row)
    return {clinic_id: _accreditation_facts(rows) for clinic_id, rows in grouped.items()}


def _offers(rows: Iterable[Any]) -> tuple[OffersById, OffersById]:
    """Verified offers (they decide filters and order) and unverified clinic claims, apart."""
    offers: OffersById = defaultdict(dict)
    pending: OffersById = defaultdict(dict)
    for row in rows:
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


def _male_factor(rows: Iterable[Any]) -> tuple[MaleFactorById, MaleFactorById]:
    facts: MaleFactorById = defaultdict(dict)
    pending: MaleFactorById = defaultdict(dict)
    for row in rows:
        target = pending if is_unverified_claim(row.source, row.verified_at) else facts
        target[row.clinic_id][row.capability] = Fact(row.availability, row.source, row.as_of)
    return facts, pending


def _languages(rows: Iterable[Any]) -> dict[str, Fact[tuple[str, ...]]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.clinic_id].append(row)
    return {
        clinic_id: Fact(tuple(sorted(row.language for row in rows)), rows[0].source, rows[0].as_of)
        for clinic_id, rows in grouped.items()
    }


class _FactTable(NamedTuple):
    """One table's share of the facts query: its columns, in their own slots of the union's rows."""

    clinic_id: Any
    columns: tuple[Any, ...]
    row: type[tuple[Any, ...]]  # a named tuple: clinic_id (`id` for clinics) and each column's name
    start: int  # its first slot, after `kind` and the clinic's id

    def rows(self, found: list[Any], dialect: Dialect, types: tuple[Any, ...]) -> list[Any]:
        """Its rows read back as SQLAlchemy reads these columns (enums, dates…), the other slots untouched."""
        end = self.start + len(self.columns)
        if not found:
            return []
        processors = _result_processors(self, dialect, types[self.start : end])
        active = [(spot, process) for spot, process in enumerate(processors) if process is not None]
        rows = []
        for row in found:
            values = list(row[self.start : end])
            for spot, process in active:
                if values[spot] is not None:
                    values[spot] = process(values[spot])
            rows.append(self.row(row[1], *values))
        return rows


_PROCESSORS: dict[tuple[int, str, tuple[Any, ...]], list[Callable[[Any], Any] | None]] = {}


def _result_processors(
    table: _FactTable, dialect: Dialect, types: tuple[Any, ...]
) -> list[Callable[[Any], Any] | None]:
    """Per column, what turns the driver's value into SQLAlchemy's (None: as it comes), computed once."""
    key = (table.start, dialect.name, types)
    found = _PROCESSORS.get(key)
    if found is None:
        impls = (column.type.dialect_impl(dialect) for column in table.columns)
        found = _PROCESSORS[key] = [
            impl.result_processor(dialect, coltype) for impl, coltype in zip(impls, types, strict=True)
        ]
    return found


def _fact_tables() -> tuple[_FactTable, ...]:
    provenance = ("source", "as_of")
    verified = (*provenance, "verified_at")
    layout: tuple[tuple[Any, Any, tuple[str, ...]], ...] = (
        (Clinic, Clinic.id, tuple(column.key for column in _CLINIC_COLUMNS[1:])),
        (OutcomeFigure, OutcomeFigure.clinic_id, ("year", "total_cycles", *provenance)),
        (Accreditation, Accreditation.clinic_id, ("kind", "body", "status", *provenance)),
        (TreatmentOffer, TreatmentOffer.clinic_id, ("treatment", "availability", "price", "currency", *verified)),
        (MaleFactorFact, MaleFactorFact.clinic_id, ("capability", "availability", *verified)),
        (ClinicLanguage, ClinicLanguage.clinic_id, ("language", *provenance)),
    )
    tables, start = [], 2
    for model, clinic_id, names in layout:
        row = namedtuple(f"{model.__name__}Row", ("id" if model is Clinic else "clinic_id", *names))  # type: ignore[misc]
        tables.append(_FactTable(clinic_id, tuple(getattr(model, name) for name in names), row, start))
        start += len(names)
    return tuple(tables)


_FACT_TABLES = _fact_tables()


@functools.cache
def _facts_statement(male_factor: bool, typed_nulls: bool) -> Any:
    """Every fact of the clinics in `:ids` (offers only for `:treatments`), one table after another.

    Built once: a statement made per search cost more than running it. Each table fills its own
    slots and leaves the others NULL. PostgreSQL resolves a UNION's column types branch by branch,
    so there each NULL is cast to its column's type (`typed_nulls`); SQLite needs no casts, and
    evaluating them took it longer than the five separate queries.
    """
    ids: Any = bindparam("ids", expanding=True)
    slots = [column for table in _FACT_TABLES for column in table.columns]
    branches = []
    for kind, table in enumerate(_FACT_TABLES):
        if table.clinic_id.class_ is MaleFactorFact and not male_factor:
            continue
        own = set(table.columns)
        where = table.clinic_id.in_(ids)
        if table.clinic_id.class_ is TreatmentOffer:
            where = and_(where, TreatmentOffer.treatment.in_(bindparam("treatments", expanding=True)))
        # Read back untyped: SQLAlchemy would otherwise run each slot's processor on every row, NULL or not.
        columns = (
            column if column in own else cast(null(), column.type) if typed_nulls else null() for column in slots
        )
        branches.append(
            select(
                literal_column(str(kind), Integer),
                table.clinic_id,
                *(type_coerce(column, NullType()) for column in columns),
            ).where(where)
        )
    return union_all(*branches)


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
