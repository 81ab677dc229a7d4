"""Reads clinic facts for the matching core straight from the database.

Plain SQL expressions, not ORM objects: loading the whole directory for the search index
and the facts of the clinics a search returns are both on the patient's critical path.
"""

from __future__ import annotations

import functools
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import NullType

from clinicfinder.core.domain import (
    CLINIC_REPORTED,
    VERIFIED_CLAIM,
    AccreditationStatus,
    Availability,
    ClinicStatus,
    MaleFactorCapability,
    Treatment,
    is_unverified_claim,
)
from clinicfinder.core.matching.columns import AVAILABILITY_CODES, TREATMENT_CODES, DirectoryColumns
from clinicfinder.core.matching.criteria import SURGICAL_SPERM_RETRIEVAL
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import Money
from clinicfinder.core.outcomes import OutcomeLibrary, outcome_library
from clinicfinder.db.models import (
    CDC_VERIFIED_LAB,
    Accreditation,
    AccreditationKind,
    Clinic,
    ClinicLanguage,
    DirectoryChange,
    DirectoryState,
    MaleFactorFact,
    OutcomeFigure,
    TreatmentOffer,
    sort_accreditations,
)

# Keeps every IN (...) list well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# Rows fetched and turned into arrays at a time when building the search index.
ARRAY_CHUNK = 20_000
# How services/listing.py marks a clinic's price on a service CDC lists: "… price; offered per <CDC source>".
CDC_OFFERED = "offered per "
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


class ClinicRepository:
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

    def changed_clinics(self, since: int, until: int) -> set[str] | None:
        """The clinics revisions `since` (excluded) to `until` touched; None unless every one of those
        revisions itemised its changes (see models.DirectoryChange)."""
        if until <= since:
            return None
        rows = self._plain(
            select(DirectoryChange.revision, DirectoryChange.clinic_id).where(
                DirectoryChange.revision > since, DirectoryChange.revision <= until
            )
        )
        if len({revision for revision, _ in rows}) != until - since:
            return None
        return {str(clinic_id) for _, clinic_id in rows}

    def index_columns(self, only: Sequence[str] | None = None) -> DirectoryColumns:
        """The rows the search index needs, as plain columns: no ORM objects, no `Money` per price.

        Read through the driver's cursor, codes and floats computed in SQL: building rows, enums and
        `Decimal`s one by one was most of the cost of the index at 100,000 clinics. `only`: the rows
        of these clinics alone, to update an index for a few changed clinics.
        """

        def of(column: Any) -> Any:
            return true() if only is None else column.in_(list(only))

        clinics = self._plain(
            select(Clinic.id, Clinic.name, Clinic.status, Clinic.latitude, Clinic.longitude).where(
                Clinic.status != ClinicStatus.INACTIVE,
                Clinic.latitude.is_not(None),
                Clinic.longitude.is_not(None),
                of(Clinic.id),
            )
        )
        ids, names, statuses, latitudes, longitudes = _columns(clinics, 5)
        position = {clinic_id: spot for spot, clinic_id in enumerate(ids)}

        def positions(values: Sequence[str]) -> Any:
            return np.array(list(map(position.__getitem__, values)), dtype=np.int64).reshape(-1)

        # Rows of the clinics left out above (inactive, no coordinates) are dropped by `_arrays`.
        figure_clinics, years, cycles = self._arrays(
            select(OutcomeFigure.clinic_id, OutcomeFigure.year, OutcomeFigure.total_cycles).where(
                of(OutcomeFigure.clinic_id)
            ),
            position,
            (_ints, _floats),  # a cycle count of None becomes NaN
        )
        labs = self._plain(
            select(Accreditation.clinic_id, Accreditation.body, Accreditation.status).where(
                Accreditation.kind == AccreditationKind.LAB, of(Accreditation.clinic_id)
            )
        )
        labs = [row for row in labs if row[0] in position]
        verified = [row for row in labs if row[1] == CDC_VERIFIED_LAB]
        held = [row for row in labs if row[1] != CDC_VERIFIED_LAB and row[2] == AccreditationStatus.YES.value]
        # An unverified clinic claim is told apart in SQL (substr and replace, the same on SQLite and
        # PostgreSQL): it counts only on a service CDC lists ("… offered per <CDC source>"), and then
        # for the service alone, not its price. A test in Python for each of 400,000 rows cost ~0.3 s.
        source = TreatmentOffer.source
        unverified = and_(
            func.substr(source, 1, len(CLINIC_REPORTED)) == CLINIC_REPORTED,
            func.substr(source, 1, len(VERIFIED_CLAIM)) != VERIFIED_CLAIM,
            TreatmentOffer.verified_at.is_(None),
        )
        currencies = [
            str(code)
            for (code,) in self._plain(
                select(TreatmentOffer.currency)
                .where(TreatmentOffer.price.is_not(None), of(TreatmentOffer.clinic_id))
                .distinct()
            )
        ]
        # No prices at all: a CASE needs at least one WHEN.
        currency_code = (
            case({code: spot for spot, code in enumerate(currencies)}, value=TreatmentOffer.currency, else_=-1)
            if currencies
            else literal(-1)
        )
        cdc_listed = func.replace(source, CDC_OFFERED, "") != source  # case-sensitive, unlike LIKE on SQLite
        offer_clinics, treatments, availability, prices, currency_codes, claims = self._arrays(
            select(
                TreatmentOffer.clinic_id,
                _code(TreatmentOffer.treatment, TREATMENT_CODES),
                _code(TreatmentOffer.availability, AVAILABILITY_CODES),
                cast(TreatmentOffer.price, Float),
                currency_code,
                case((unverified, literal_column("0")), else_=literal_column("1")),
            ).where(or_(not_(unverified), cdc_listed), of(TreatmentOffer.clinic_id)),
            position,
            (_ints, _ints, _floats, _ints, lambda counts: np.array(counts, dtype=np.bool_)),
        )
        return DirectoryColumns(
            ids=ids,
            names=names,
            statuses=statuses,
            latitude=np.array(latitudes, dtype=np.float64),
            longitude=np.array(longitudes, dtype=np.float64),
            outcome_clinic=figure_clinics,
            outcome_year=years,
            outcome_cycles=cycles,
            verified_clinic=positions([row[0] for row in verified]),
            verified_status=[row[2] for row in verified],
            body_clinic=positions([row[0] for row in held]),
            bodies=[row[1] for row in held],
            offer_clinic=offer_clinics,
            offer_treatment=treatments,
            offer_availability=availability,
            offer_price=prices,
            offer_currency=currency_codes,
            currencies=currencies,
            price_counts=claims,
        )

    def _arrays(
        self, statement: Any, position: dict[str, int], convert: tuple[Callable[[list[Any]], Any], ...]
    ) -> list[Any]:
        """The rows of a select whose first column is a clinic in `position`, as arrays: that clinic's
        position, then one per other column, converted a few thousand rows at a time.

        Converting as they come keeps the Python objects of 400,000 rows from ever living at once:
        the memory they took stayed with the process after the build.
        """
        parts: list[list[Any]] = [[_ints([]), *(to([]) for to in convert)]]
        connection = self._session.connection()
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        cursor = connection.connection.cursor()
        try:
            cursor.execute(str(compiled))
            while rows := cursor.fetchmany(ARRAY_CHUNK):
                clinic_ids, *columns = _columns(rows, len(convert) + 1)
                spots = np.fromiter(map(position.get, clinic_ids, repeat(-1)), dtype=np.int64, count=len(rows))
                part = [spots, *(to(column) for to, column in zip(convert, columns, strict=True))]
                listed = spots >= 0  # a clinic left out of the index (inactive, no coordinates)
                parts.append(part if listed.all() else [array[listed] for array in part])
        finally:
            cursor.close()
        return [np.concatenate([part[spot] for part in parts]) for spot in range(len(convert) + 1)]

    def _plain(self, statement: Any) -> list[tuple[Any, ...]]:
        """All rows of a select as the driver's tuples, skipping SQLAlchemy's per-row result processing."""
        connection = self._session.connection()
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        cursor = connection.connection.cursor()
        try:
            cursor.execute(str(compiled))
            return list(cursor.fetchall())
        finally:
            cursor.close()

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


def _ints(values: list[Any]) -> Any:
    return np.array(values, dtype=np.int64)


def _floats(values: list[Any]) -> Any:
    return np.array(values, dtype=np.float64)  # None becomes NaN


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows into columns (one comprehension per column: `zip(*rows)` is far slower on 400,000 rows)."""
    return [[row[spot] for row in rows] for spot in range(width)]


def _code(column: Any, codes: Mapping[Any, int]) -> Any:
    """An enum column as its small-integer code, computed by the database."""
    return case({member.value: code for member, code in codes.items()}, value=type_coerce(column, String))


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
