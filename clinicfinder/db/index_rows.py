"""The rows the search index needs, read as plain columns, and which clinics changed since an index was built.

Part of `ClinicRepository` (a mixin on its session), kept apart so each file stays readable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
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
# Between the values of a column the database hands over as one string (a full rebuild): a control
# character no clinic id or accreditation body holds. One that did would change the count of parts,
# and the rebuild reads rows instead (see `_packed_columns`).
PACKED_SEP = "\x1f"
# An offer packed into one integer: claim (1 bit), availability (2), treatment (3: at most 8 codes,
# tests/web/test_index_columns.py checks), currency + 1 (10 bits: up to 1,022 currencies), then its
# price in cents + 1 (0: no price; Numeric(12, 2) needs 40 bits, so the whole stays below 2^63).
_CURRENCY_SHIFT, _PRICE_SHIFT, _CURRENCIES_PACKED = 6, 16, 1022
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

        if only is None and (packed := self._packed_columns()) is not None:
            return packed
        return self._row_columns(only)

    def _row_columns(self, only: Sequence[str] | None) -> DirectoryColumns:
        """`index_columns` from one driver row per database row (a patch for a few clinics)."""

        def of(column: Any) -> Any:
            return true() if only is None else column.in_(list(only))

        clinics = self._clinics(of(Clinic.id))
        position = clinics.position

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
        currencies = self._currencies(of(TreatmentOffer.clinic_id))
        unverified = _unverified()
        offer_clinics, treatments, availability, prices, currency_codes, claims = self._arrays(
            select(
                TreatmentOffer.clinic_id,
                _code(TreatmentOffer.treatment, TREATMENT_CODES),
                _code(TreatmentOffer.availability, AVAILABILITY_CODES),
                cast(TreatmentOffer.price, Float),
                _currency_code(currencies),
                case((unverified, literal_column("0")), else_=literal_column("1")),
            ).where(_offer_counts(unverified), of(TreatmentOffer.clinic_id)),
            position,
            (_ints, _ints, _floats, _ints, lambda counts: np.array(counts, dtype=np.bool_)),
        )
        return DirectoryColumns(
            **clinics.columns(),
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

    def _packed_columns(self) -> DirectoryColumns | None:
        """`index_columns` of the whole directory, each child table's column as one string.

        The driver makes a tuple and an object per value it hands over, holding the GIL: for ~420,000
        offers that was most of a full rebuild. Here the database concatenates each
        column (offers packed into one integer each) and numpy parses the numbers in C. None when a
        string does not split into as many parts as the table has rows (a separator inside a value):
        the caller reads rows instead. Clinics stay rows: SQLite's text for a float is not always
        exact, and their coordinates must be.
        """
        clinics = self._clinics(true())
        position = clinics.position
        currencies = self._currencies(true())
        if len(currencies) > _CURRENCIES_PACKED:
            return None
        unverified = _unverified()
        price = TreatmentOffer.price
        offer = (
            case((price.is_(None), literal(0)), else_=cast(func.round(price * 100), BigInteger) + 1)
            * (1 << _PRICE_SHIFT)
            + (_currency_code(currencies) + 1) * (1 << _CURRENCY_SHIFT)
            + _code(TreatmentOffer.treatment, TREATMENT_CODES) * 8
            + _code(TreatmentOffer.availability, AVAILABILITY_CODES) * 2
            + case((unverified, literal(0)), else_=literal(1))
        )
        offers = self._joined(
            select(_joined(TreatmentOffer.clinic_id), _joined(offer, " ")).where(_offer_counts(unverified)),
            position,
            (_parse_ints,),
        )
        figures = self._joined(
            select(
                _joined(OutcomeFigure.clinic_id),
                _joined(OutcomeFigure.year, " "),
                _joined(func.coalesce(cast(OutcomeFigure.total_cycles, String), "nan"), " "),
            ),
            position,
            (_parse_ints, _parse_floats),  # a cycle count of None becomes NaN
        )
        labs = self._joined(
            select(_joined(Accreditation.clinic_id), _joined(Accreditation.body), _joined(Accreditation.status)).where(
                Accreditation.kind == AccreditationKind.LAB
            ),
            position,
            (_parse_strings, _parse_strings),
        )
        if offers is None or figures is None or labs is None:
            return None
        offer_clinics, numbers = offers
        cents = (numbers >> _PRICE_SHIFT) - 1
        figure_clinics, years, cycles = figures
        lab_clinics, body_values, status_values = labs
        is_verified = body_values == CDC_VERIFIED_LAB
        is_held = ~is_verified & (status_values == AccreditationStatus.YES.value)
        return DirectoryColumns(
            **clinics.columns(),
            outcome_clinic=figure_clinics,
            outcome_year=years,
            outcome_cycles=cycles,
            verified_clinic=lab_clinics[is_verified],
            verified_status=status_values[is_verified].tolist(),
            body_clinic=lab_clinics[is_held],
            bodies=body_values[is_held].tolist(),
            offer_clinic=offer_clinics,
            offer_treatment=(numbers >> 3) & 7,
            offer_availability=(numbers >> 1) & 3,
            # Cents over 100 is the same double as the price read as a float (both correctly rounded).
            offer_price=np.where(cents >= 0, cents / 100, math.nan),
            offer_currency=((numbers >> _CURRENCY_SHIFT) & 1023) - 1,
            currencies=currencies,
            price_counts=(numbers & 1).astype(np.bool_),
        )

    def _joined(
        self, statement: Any, position: dict[str, int], parse: tuple[Callable[[str], Any], ...]
    ) -> list[Any] | None:
        """A select of joined columns, the first the clinics: their positions, then each other column
        parsed into an array, the rows of clinics left out of the index (inactive, no coordinates)
        dropped. None when a column does not give one value a row (a separator inside a value)."""
        (row,) = self._plain(statement.add_columns(func.count()))
        *texts, count = row
        if count == 0:
            return [_ints([]), *(to("")[:0] for to in parse)]
        clinic_ids = texts[0].split(PACKED_SEP)
        columns = [to(text) for to, text in zip(parse, texts[1:], strict=True)]
        if len(clinic_ids) != count or any(len(column) != count for column in columns):
            return None
        spots = np.fromiter(map(position.get, clinic_ids, repeat(-1)), dtype=np.int64, count=count)
        listed = spots >= 0
        if listed.all():
            return [spots, *columns]
        return [spots[listed], *(column[listed] for column in columns)]

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

    def _clinics(self, where: Any) -> _Clinics:
        """The listed, placed clinics (`where` narrows them), read as rows in both paths: SQLite's text
        for a float is not always exact, and coordinates must be."""
        rows = self._plain(
            select(Clinic.id, Clinic.name, Clinic.status, Clinic.latitude, Clinic.longitude).where(
                Clinic.status != ClinicStatus.INACTIVE,
                Clinic.latitude.is_not(None),
                Clinic.longitude.is_not(None),
                where,
            )
        )
        return _Clinics(*_columns(rows, 5))

    def _currencies(self, where: Any) -> list[str]:
        """The currencies the directory's prices are in."""
        statement = select(TreatmentOffer.currency).where(TreatmentOffer.price.is_not(None), where).distinct()
        return [str(code) for (code,) in self._plain(statement)]

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


def _parse_ints(text: str) -> Any:
    return np.fromstring(text, dtype=np.int64, sep=" ")  # C's strtoll over the whole string


def _parse_floats(text: str) -> Any:
    return np.fromstring(text, dtype=np.float64, sep=" ")  # "nan" becomes NaN


def _parse_strings(text: str) -> Any:
    return np.array(text.split(PACKED_SEP), dtype=np.str_)


@dataclass(frozen=True)
class _Clinics:
    """The clinics' own columns of an index, and each clinic's position in them (for the child tables)."""

    ids: list[str]
    names: list[str]
    statuses: list[str]
    latitudes: list[float]
    longitudes: list[float]

    @cached_property
    def position(self) -> dict[str, int]:
        return {clinic_id: spot for spot, clinic_id in enumerate(self.ids)}

    def columns(self) -> dict[str, Any]:
        """Their part of `DirectoryColumns`."""
        return {"ids": self.ids, "names": self.names, "statuses": self.statuses,
                "latitude": np.array(self.latitudes, dtype=np.float64),
                "longitude": np.array(self.longitudes, dtype=np.float64)}  # fmt: skip


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows into columns (one comprehension per column: `zip(*rows)` is far slower on 400,000 rows)."""
    return [[row[spot] for row in rows] for spot in range(width)]


def _code(column: Any, codes: Mapping[Any, int]) -> Any:
    """An enum column as its small-integer code, computed by the database."""
    return case({member.value: code for member, code in codes.items()}, value=type_coerce(column, String))


def _joined(column: Any, separator: str = PACKED_SEP) -> Any:
    """A column's values joined into one string (group_concat on SQLite, string_agg on PostgreSQL)."""
    return func.aggregate_strings(cast(column, String), separator)


def _unverified() -> Any:
    """An unverified clinic claim, told apart in SQL (substr, the same on SQLite and PostgreSQL): it
    counts only on a service CDC lists ("… offered per <CDC source>"), and then for the service alone,
    not its price. A test in Python for each of 400,000 rows cost ~0.3 s."""
    source = TreatmentOffer.source
    return and_(
        func.substr(source, 1, len(CLINIC_REPORTED)) == CLINIC_REPORTED,
        func.substr(source, 1, len(VERIFIED_CLAIM)) != VERIFIED_CLAIM,
        TreatmentOffer.verified_at.is_(None),
    )


def _offer_counts(unverified: Any) -> Any:
    """The offers that decide filters: all but unverified claims on a service CDC does not list."""
    source = TreatmentOffer.source
    cdc_listed = func.replace(source, CDC_OFFERED, "") != source  # case-sensitive, unlike LIKE on SQLite
    return or_(not_(unverified), cdc_listed)


def _currency_code(currencies: list[str]) -> Any:
    """An offer's currency as its position in `currencies`, -1 when none."""
    if not currencies:  # no prices at all: a CASE needs at least one WHEN
        return literal(-1)
    return case({code: spot for spot, code in enumerate(currencies)}, value=TreatmentOffer.currency, else_=-1)
