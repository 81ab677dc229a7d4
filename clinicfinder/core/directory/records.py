"""One `clinics.csv` row as a typed, validated record — and back to its canonical row.

`parse_row` checks every cell and reports all problems of a row at once, each naming its
column. `to_row` writes the canonical form, so that import → export → import is stable.
Pure Python: the database side lives in `clinicfinder/db/directory.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from clinicfinder.core.directory.columns import (
    COLUMNS,
    LIST_SEPARATOR,
    male_factor_column,
    treatment_column,
)
from clinicfinder.core.domain import (
    CURRENCIES,
    AccreditationStatus,
    Availability,
    ClinicStatus,
    MaleFactorCapability,
    Treatment,
)

CLINIC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2}$")
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
LIST_ITEM_PATTERN = re.compile(r"^[^;\r\n]{1,120}$")

EnumT = TypeVar("EnumT", ClinicStatus, Availability, AccreditationStatus)


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class CellError:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


class RowInvalid(ValueError):
    def __init__(self, errors: list[CellError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class Provenance:
    source: str
    as_of: date


@dataclass(frozen=True)
class Outcomes:
    year: int
    total_cycles: int | None
    fertility_preservation_cycles: int | None
    pregnancies: int | None
    deliveries: int | None
    infants_born: int | None
    provenance: Provenance


@dataclass(frozen=True)
class Accreditations:
    verified_lab_accreditation: AccreditationStatus | None
    bodies: tuple[str, ...]
    sart_member: AccreditationStatus | None
    other_memberships: tuple[str, ...]
    provenance: Provenance


@dataclass(frozen=True)
class Offer:
    treatment: Treatment
    availability: Availability
    price: Decimal | None
    currency: str | None
    provenance: Provenance


@dataclass(frozen=True)
class MaleFactor:
    capabilities: tuple[tuple[MaleFactorCapability, Availability], ...]
    provenance: Provenance


@dataclass(frozen=True)
class Languages:
    codes: tuple[str, ...]
    provenance: Provenance


@dataclass(frozen=True)
class ClinicRecord:
    clinic_id: str
    name: str
    medical_director: str | None
    address: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None
    coordinates_source: str | None
    phone: str | None
    email: str | None
    website: str | None
    description: str | None
    status: ClinicStatus
    listing: Provenance | None
    outcomes: Outcomes | None = None
    accreditations: Accreditations | None = None
    offers: tuple[Offer, ...] = field(default=())
    male_factor: MaleFactor | None = None
    languages: Languages | None = None


class _Cells:
    """Reads typed values out of one row, collecting every error instead of stopping at the first."""

    def __init__(self, row: Mapping[str, str | None]) -> None:
        self._row = row
        self.errors: list[CellError] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(CellError(column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = (self._row.get(column) or "").strip()
        if not value:
            if required:
                self.error(column, "is required")
            return None
        if len(value) > max_length:
            self.error(column, f"is longer than {max_length} characters")
            return None
        return value

    def choice(self, column: str, enum_type: type[EnumT]) -> EnumT | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return enum_type(value.lower())
        except ValueError:
            allowed = ", ".join(member.value for member in enum_type)
            self.error(column, f"must be one of {allowed} (or empty), got {value!r}")
            return None

    def integer(self, column: str, *, minimum: int = 0, maximum: int = 10_000_000) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            number = int(value.replace(",", ""))
        except ValueError:
            self.error(column, f"must be a whole number, got {value!r}")
            return None
        if not minimum <= number <= maximum:
            self.error(column, f"must be between {minimum} and {maximum}, got {number}")
            return None
        return number

    def coordinate(self, column: str, limit: float) -> float | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            self.error(column, f"must be a decimal number, got {value!r}")
            return None
        if not -limit <= number <= limit:
            self.error(column, f"must be between -{limit:g} and {limit:g}, got {value}")
            return None
        return round(number, 4)

    def price(self, column: str) -> Decimal | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            self.error(column, f"must be an amount like 12500 or 12500.50, got {value!r}")
            return None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
            self.error(column, f"must be a positive amount, got {value!r}")
            return None
        return amount.quantize(Decimal("0.01"))

    def iso_date(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.error(column, f"must be a date as YYYY-MM-DD, got {value!r}")
            return None
        if parsed > _today():
            self.error(column, f"is in the future ({value})")
            return None
        return parsed

    def items(self, column: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        value = self.text(column, max_length=1000)
        if value is None:
            return ()
        items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        for item in items:
            if not pattern.match(item):
                self.error(column, f"{item!r} is not {what}")
        return tuple(sorted(set(items)))

    def provenance(self, prefix: str, *, needed: bool) -> Provenance | None:
        """Every group of facts names its source and date; an empty group needs neither."""
        source = self.text(f"{prefix}_source")
        as_of = self.iso_date(f"{prefix}_as_of")
        if not needed:
            return None
        if source is None and not self.has_error(f"{prefix}_source"):
            self.error(f"{prefix}_source", "is required when the group has facts (where do they come from?)")
        if as_of is None and not self.has_error(f"{prefix}_as_of"):
            self.error(f"{prefix}_as_of", "is required when the group has facts (as of which date?)")
        return Provenance(source, as_of) if source is not None and as_of is not None else None

    def has_error(self, column: str) -> bool:
        return any(error.column == column for error in self.errors)


def parse_row(row: Mapping[str, str | None]) -> ClinicRecord:
    """Validate one CSV row; raise `RowInvalid` listing every bad cell."""
    cells = _Cells(row)
    clinic_id = cells.text("clinic_id", required=True, max_length=64)
    if clinic_id is not None and not CLINIC_ID_PATTERN.match(clinic_id):
        cells.error("clinic_id", "must be 2–64 lowercase letters, digits or dashes, e.g. us-cdc-1")
    country = cells.text("country", required=True, max_length=2)
    if country is not None and not COUNTRY_PATTERN.match(country):
        cells.error("country", f"must be a two-letter ISO code such as US or ES, got {country!r}")
    latitude = cells.coordinate("latitude", 90)
    longitude = cells.coordinate("longitude", 180)
    if (latitude is None) != (longitude is None) and not cells.errors:
        cells.error("latitude" if latitude is None else "longitude", "latitude and longitude go together")
    email = cells.text("email", max_length=254)
    if email is not None and not EMAIL_PATTERN.match(email):
        cells.error("email", f"is not an email address: {email!r}")
    website = cells.text("website", max_length=500)
    if website is not None and not website.lower().startswith(("https://", "http://")):
        cells.error("website", "must start with https:// or http://")
    status = cells.choice("status", ClinicStatus)
    if status is None and not cells.has_error("status"):
        cells.error("status", "is required")
    identity = {
        "name": cells.text("name", required=True),
        "medical_director": cells.text("medical_director"),
        "address": cells.text("address", max_length=300),
        "city": cells.text("city", required=True, max_length=120),
        "region": cells.text("region", max_length=120),
        "postal_code": cells.text("postal_code", max_length=16),
        "coordinates_source": cells.text("coordinates_source"),
        "phone": cells.text("phone", max_length=40),
        "description": cells.text("description", max_length=5000),
    }
    listing = cells.provenance("listing", needed=True)
    outcomes = _parse_outcomes(cells)
    accreditations = _parse_accreditations(cells)
    offers = tuple(offer for treatment in Treatment if (offer := _parse_offer(cells, treatment)) is not None)
    male_factor = _parse_male_factor(cells)
    languages = _parse_languages(cells)

    if cells.errors:
        raise RowInvalid(cells.errors)
    assert clinic_id and country and status and identity["name"] and identity["city"]  # guaranteed by the checks
    return ClinicRecord(
        clinic_id=clinic_id,
        name=identity["name"],
        medical_director=identity["medical_director"],
        address=identity["address"],
        city=identity["city"],
        region=identity["region"],
        postal_code=identity["postal_code"],
        country=country,
        latitude=latitude,
        longitude=longitude,
        coordinates_source=identity["coordinates_source"],
        phone=identity["phone"],
        email=email,
        website=website,
        description=identity["description"],
        status=status,
        listing=listing,
        outcomes=outcomes,
        accreditations=accreditations,
        offers=offers,
        male_factor=male_factor,
        languages=languages,
    )


def _parse_outcomes(cells: _Cells) -> Outcomes | None:
    year = cells.integer("outcomes_year", minimum=1980, maximum=_today().year)
    counts = {
        name: cells.integer(name)
        for name in ("total_cycles", "fertility_preservation_cycles", "pregnancies", "deliveries", "infants_born")
    }
    has_figures = any(value is not None for value in counts.values())
    if has_figures and year is None and not cells.has_error("outcomes_year"):
        cells.error("outcomes_year", "is required when outcome figures are given")
    provenance = cells.provenance("outcomes", needed=has_figures or year is not None)
    if year is None or provenance is None:
        return None
    return Outcomes(year=year, provenance=provenance, **counts)


def _parse_accreditations(cells: _Cells) -> Accreditations | None:
    lab = cells.choice("verified_lab_accreditation", AccreditationStatus)
    bodies = cells.items("accreditation_bodies", LIST_ITEM_PATTERN, "an accreditation body")
    sart = cells.choice("sart_member", AccreditationStatus)
    others = cells.items("other_society_memberships", LIST_ITEM_PATTERN, "a society name")
    # These names are how the register's own flags are stored; as free text they would forge them.
    if any(body.casefold() == "verified" for body in bodies):
        cells.error("accreditation_bodies", "'verified' is not a body's name; use verified_lab_accreditation")
    if any(society.casefold() == "sart" for society in others):
        cells.error("other_society_memberships", "SART has its own column: sart_member")
    needed = lab is not None or sart is not None or bool(bodies) or bool(others)
    provenance = cells.provenance("accreditation", needed=needed)
    if provenance is None:
        return None
    return Accreditations(lab, bodies, sart, others, provenance)


def _parse_offer(cells: _Cells, treatment: Treatment) -> Offer | None:
    offered = cells.choice(treatment_column(treatment, "offered"), Availability)
    price = cells.price(treatment_column(treatment, "price"))
    currency_column = treatment_column(treatment, "currency")
    currency = cells.text(currency_column, max_length=3)
    if currency is not None:
        currency = currency.upper()
        if currency not in CURRENCIES:
            cells.error(currency_column, f"must be one of {', '.join(CURRENCIES)}, got {currency!r}")
    if price is not None and currency is None and not cells.has_error(currency_column):
        cells.error(currency_column, "is required when a price is given")
    price_reported = cells.has_error(treatment_column(treatment, "price"))
    if currency is not None and price is None and not price_reported and not cells.has_error(currency_column):
        cells.error(currency_column, "is given without a price")
    # "unknown" with no price says nothing, so it is the same as an empty group.
    needed = offered not in (None, Availability.UNKNOWN) or price is not None
    provenance = cells.provenance(treatment.value, needed=needed)
    if provenance is None:
        return None
    return Offer(treatment, offered or Availability.UNKNOWN, price, currency, provenance)


def _parse_male_factor(cells: _Cells) -> MaleFactor | None:
    facts = tuple(
        (capability, value)
        for capability in MaleFactorCapability
        if (value := cells.choice(male_factor_column(capability), Availability)) not in (None, Availability.UNKNOWN)
    )
    provenance = cells.provenance("male_factor", needed=bool(facts))
    return MaleFactor(facts, provenance) if provenance is not None else None


def _parse_languages(cells: _Cells) -> Languages | None:
    codes = tuple(code.lower() for code in cells.items("languages", LANGUAGE_PATTERN, "a two-letter language code"))
    provenance = cells.provenance("languages", needed=bool(codes))
    return Languages(codes, provenance) if provenance is not None else None


def to_row(record: ClinicRecord) -> dict[str, str]:
    """The canonical CSV row: every column present, '' for unknown."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        clinic_id=record.clinic_id,
        name=record.name,
        medical_director=record.medical_director or "",
        address=record.address or "",
        city=record.city,
        region=record.region or "",
        postal_code=record.postal_code or "",
        country=record.country,
        latitude=_coordinate(record.latitude),
        longitude=_coordinate(record.longitude),
        coordinates_source=record.coordinates_source or "",
        phone=record.phone or "",
        email=record.email or "",
        website=record.website or "",
        description=record.description or "",
        status=record.status.value,
    )
    _put_provenance(row, "listing", record.listing)
    if (outcomes := record.outcomes) is not None:
        row["outcomes_year"] = str(outcomes.year)
        for name in ("total_cycles", "fertility_preservation_cycles", "pregnancies", "deliveries", "infants_born"):
            value = getattr(outcomes, name)
            row[name] = "" if value is None else str(value)
        _put_provenance(row, "outcomes", outcomes.provenance)
    if (accreditations := record.accreditations) is not None:
        row["verified_lab_accreditation"] = _value(accreditations.verified_lab_accreditation)
        row["accreditation_bodies"] = LIST_SEPARATOR.join(accreditations.bodies)
        row["sart_member"] = _value(accreditations.sart_member)
        row["other_society_memberships"] = LIST_SEPARATOR.join(accreditations.other_memberships)
        _put_provenance(row, "accreditation", accreditations.provenance)
    for offer in record.offers:
        # An offer row with only a price has availability unknown, written as an empty cell.
        offered = "" if offer.availability is Availability.UNKNOWN else offer.availability.value
        row[treatment_column(offer.treatment, "offered")] = offered
        row[treatment_column(offer.treatment, "price")] = "" if offer.price is None else str(offer.price)
        row[treatment_column(offer.treatment, "currency")] = offer.currency or ""
        _put_provenance(row, offer.treatment.value, offer.provenance)
    if (male_factor := record.male_factor) is not None:
        for capability, availability in male_factor.capabilities:
            row[male_factor_column(capability)] = availability.value
        _put_provenance(row, "male_factor", male_factor.provenance)
    if (languages := record.languages) is not None:
        row["languages"] = LIST_SEPARATOR.join(languages.codes)
        _put_provenance(row, "languages", languages.provenance)
    return row


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _value(status: AccreditationStatus | None) -> str:
    return "" if status is None else status.value


def _put_provenance(row: dict[str, str], prefix: str, provenance: Provenance | None) -> None:
    if provenance is not None:
        row[f"{prefix}_source"] = provenance.source
        row[f"{prefix}_as_of"] = provenance.as_of.isoformat()
