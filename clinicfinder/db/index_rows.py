"""The rows the search index needs, read as plain columns, and which clinics changed since an index was built.

Part of `ClinicRepository` (a mixin on its session), kept apart so each file stays readable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import (
    Float,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, scoped_session

from clinicfinder.core.domain import CLINIC_REPORTED, VERIFIED_CLAIM, AccreditationStatus, ClinicStatus
from clinicfinder.core.matching.columns import AVAILABILITY_CODES, TREATMENT_CODES, DirectoryColumns
from clinicfinder.db.models import (
    CDC_VERIFIED_LAB,
    Accreditation,
    AccreditationKind,
    Clinic,
    DirectoryChange,
    OutcomeFigure,
    TreatmentOffer,
)

# Rows fetched and turned into arrays at a time when building the search index.
ARRAY_CHUNK = 20_000
# How services/listing.py marks a clinic's price on a service CDC lists: "… price; offered per <CDC source>".
CDC_OFFERED = "offered per "


class IndexRows:
    _session: Session | scoped_session[Any]

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
