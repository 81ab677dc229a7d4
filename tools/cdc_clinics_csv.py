"""Convert CDC's 2022 "ART Services and Profiles" file into `clinics.csv` rows.

The raw file is long (one row per clinic × SubTopic); this pivots it to one row per
clinic, fixes the known defects listed in `docs/clinics-csv.md` and fills only what CDC
published. Pure Python: no Flask, no SQLAlchemy.

    python scripts/build_clinics_csv.py data/raw/cdc_art_services_profiles_2022.csv clinics.csv

reads the 2020 and 2021 files beside the 2022 one (or those given with `--previous`) to spot a
clinic that moved while CDC kept its old point.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, cast

import zipcodes

from clinicfinder.core.directory.columns import COLUMNS, treatment_column
from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, Treatment

SOURCE = "CDC NASS 2022 ART Services and Profiles"
AS_OF = "2022-12-31"
OUTCOMES_YEAR = "2022"
COORDINATES_KEPT = "CDC NASS 2022"
CENTROID_SOURCE = "ZIP centroid (zipcodes package)"
# The ZIP centroid is a median 1.9 km from CDC's point (95th percentile ~8 km). The misplaced
# clinics are hundreds of km off, but CDC also carries a moved clinic's old point forward
# (Kindbody St Louis sat 42 km away, in Illinois): past 10 km the centroid is the safer place.
MAX_POINT_TO_CENTROID_KM = 10.0
EARTH_RADIUS_KM = 6371.0

NATIONAL_FACILITY = "National"
NON_REPORTER = "Non-reporter"
STATUSES: Mapping[str, ClinicStatus] = {
    "Open": ClinicStatus.OPEN,
    "Reorganized": ClinicStatus.REORGANIZED,
    "Closed": ClinicStatus.CLOSED,
}

# SubTopics are matched by name, not id: the National row reuses ST15 for
# "Verified lab accreditation - Yes" and adds ST16/ST17, with percentages as values.
COUNT_SUBTOPICS: Mapping[str, str] = {
    "Total cycles": "total_cycles",
    "Fertility preservation cycles": "fertility_preservation_cycles",
    "Pregnancies": "pregnancies",
    "Deliveries": "deliveries",
    "Total infants born": "infants_born",
}
DONOR_EGG = "Donor egg services"
EGG_FREEZING = "Egg cryopreservation services"
SART_MEMBER = "SART member"
LAB_ACCREDITATION = "Verified lab accreditation"
FLAG_SUBTOPICS = frozenset({DONOR_EGG, EGG_FREEZING, SART_MEMBER, LAB_ACCREDITATION})
# Published by CDC but with no column in clinics.csv (yet).
UNUSED_SUBTOPICS = frozenset(
    {"Donated embryo services", "Embryo cryopreservation services", "Gestational carrier services"}
)
# CDC's marker for a count withheld to protect privacy: unknown, not zero.
SUPPRESSED = "*"

# The raw columns that repeat, identically, on every SubTopic row of a clinic.
IDENTITY_FIELDS: tuple[str, ...] = (
    "FacilityName",
    "MedicalDirector",
    "Address",
    "City",
    "LocationAbbr",
    "Zipcode",
    "Phone",
    "Clinic Status",
    "Geolocation",
)

POINT_RE = re.compile(r"POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)")

ZipCentroid: TypeAlias = Callable[[str], tuple[float, float] | None]
PREVIOUS_YEARS = (2021, 2020)  # newest first: "address changed since 2021" names the latest one


@dataclass(frozen=True)
class EarlierListing:
    """A clinic's address and point in an earlier year's file."""

    year: int
    address: str
    point: tuple[float, float] | None


_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def street_key(address: str) -> str:
    """The street line of an address, so a new suite, spelling or ZIP fix is not a move."""
    parts = [part.strip() for part in address.lower().split(",")]
    street = next((part for part in parts if part[:1].isdigit()), parts[0] if parts else "")
    words = re.findall(r"[a-z0-9]+", street)
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def moved_with_old_point(
    address: str, point: tuple[float, float] | None, earlier: Sequence[EarlierListing]
) -> int | None:
    """The newest earlier year whose *different* address had the same point: CDC kept the old point.

    A clinic whose point changed along with its address was placed again by CDC; that point stays.
    """
    if point is None:
        return None
    for listing in sorted(earlier, key=lambda listing: listing.year, reverse=True):
        if listing.point == point and street_key(listing.address) != street_key(address):
            return listing.year
    return None


@dataclass
class ConversionReport:
    """What the converter changed or dropped, for the build summary."""

    clinics_written: int = 0
    skipped_non_reporters: list[str] = field(default_factory=list)
    zeros_restored: list[tuple[str, str, str]] = field(default_factory=list)
    coordinates_replaced: list[tuple[str, str, str]] = field(default_factory=list)
    suppressed_counts: int = 0


def _cell(row: Mapping[str, str], key: str) -> str:
    # csv.DictReader yields None for a short row; treat it like an empty cell.
    return (row.get(key) or "").strip()


def _clinic_number(raw_id: str) -> int:
    digits = raw_id.replace(",", "")
    if not digits.isdigit():
        raise ValueError(f"ClinicId {raw_id!r} is not a number")
    return int(digits)


def _count(value: str, report: ConversionReport) -> str:
    if value == SUPPRESSED:
        report.suppressed_counts += 1
        return ""
    digits = value.replace(",", "")
    if digits == "":
        return ""
    if not digits.isdigit():
        raise ValueError(f"count {value!r} is not a whole number")
    return str(int(digits))


def _flag(value: str, allowed: Mapping[str, str]) -> str:
    if value == "":
        return ""
    if value not in allowed:
        raise ValueError(f"unexpected value {value!r}, expected one of {sorted(allowed)}")
    return allowed[value]


YES_NO: Mapping[str, str] = {"Yes": Availability.YES.value, "No": Availability.NO.value}
ACCREDITATION: Mapping[str, str] = {
    "Yes": AccreditationStatus.YES.value,
    "No": AccreditationStatus.NO.value,
    "Pending": AccreditationStatus.PENDING.value,
}


def _postal_code(zipcode: str) -> str:
    if zipcode == "":
        return ""
    if not zipcode.isdigit() or len(zipcode) > 5:
        raise ValueError(f"Zipcode {zipcode!r} is not a 5-digit US ZIP")
    # CDC's export stored ZIPs as numbers, dropping leading zeros (07013 -> 7013).
    return zipcode.zfill(5)


def parse_point(geolocation: str) -> tuple[float, float] | None:
    """Return (lat, lon) from CDC's `POINT (lon lat)`, or None when empty."""
    if geolocation == "":
        return None
    match = POINT_RE.fullmatch(geolocation)
    if match is None:
        raise ValueError(f"Geolocation {geolocation!r} is not 'POINT (lon lat)'")
    lon, lat = float(match.group(1)), float(match.group(2))
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"Geolocation {geolocation!r} is out of range")
    return lat, lon


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def resolve_coordinates(
    point: tuple[float, float] | None,
    centroid: tuple[float, float] | None,
    moved_since: int | None = None,
) -> tuple[tuple[float, float] | None, str]:
    """Pick CDC's point or the ZIP centroid; return it with its `coordinates_source`.

    `moved_since`: the year of an earlier, different address that had this same point.
    """
    if point is None and centroid is None:
        return None, ""
    if centroid is None:
        return point, COORDINATES_KEPT
    if point is None:
        return centroid, f"{CENTROID_SOURCE}; CDC gave no point"
    if moved_since is not None:
        return centroid, f"{CENTROID_SOURCE}; address changed since {moved_since}, CDC kept the old point"
    distance = haversine_km(point, centroid)
    if distance > MAX_POINT_TO_CENTROID_KM:
        return centroid, f"{CENTROID_SOURCE}; CDC point was {round(distance)} km away"
    return point, COORDINATES_KEPT


@dataclass
class _Clinic:
    number: int
    identity: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)


def _group_rows(raw_rows: Iterable[Mapping[str, str]]) -> dict[int, _Clinic]:
    clinics: dict[int, _Clinic] = {}
    for row in raw_rows:
        if _cell(row, "FacilityName") == NATIONAL_FACILITY:
            continue
        number = _clinic_number(_cell(row, "ClinicId"))
        identity = {key: _cell(row, key) for key in IDENTITY_FIELDS}
        clinic = clinics.setdefault(number, _Clinic(number, identity))
        # Identity repeats on every SubTopic row; a mismatch means a bad upstream join.
        for key, value in identity.items():
            if clinic.identity[key] != value:
                raise ValueError(
                    f"ClinicId {number}: {key} differs between rows ({clinic.identity[key]!r} vs {value!r})"
                )
        subtopic = _cell(row, "SubTopic")
        if subtopic not in COUNT_SUBTOPICS and subtopic not in FLAG_SUBTOPICS:
            if subtopic in UNUSED_SUBTOPICS:
                continue
            raise ValueError(f"ClinicId {number}: unknown SubTopic {subtopic!r}")
        value = _cell(row, "Data_Value")
        if clinic.values.get(subtopic, value) != value:
            raise ValueError(f"ClinicId {number}: two different values for {subtopic!r}")
        clinic.values[subtopic] = value
    return clinics


def _fill_group(out: dict[str, str], values: Sequence[str], source: str, as_of: str) -> None:
    # A source with no fact behind it would claim CDC said something it did not.
    if any(values):
        out[source] = SOURCE
        out[as_of] = AS_OF


def _convert_clinic(
    clinic: _Clinic,
    status: ClinicStatus,
    zip_centroid: ZipCentroid,
    report: ConversionReport,
    earlier: Sequence[EarlierListing] = (),
) -> dict[str, str]:
    out = dict.fromkeys(COLUMNS, "")
    ident = clinic.identity
    clinic_id = f"us-cdc-{clinic.number}"
    postal_code = _postal_code(ident["Zipcode"])
    if postal_code != ident["Zipcode"]:
        report.zeros_restored.append((clinic_id, ident["Zipcode"], postal_code))

    out.update(
        clinic_id=clinic_id,
        name=ident["FacilityName"],
        medical_director=ident["MedicalDirector"],
        address=ident["Address"],
        city=ident["City"],
        region=ident["LocationAbbr"],
        postal_code=postal_code,
        country="US",
        phone=ident["Phone"],
        status=status.value,
        listing_source=SOURCE,
        listing_as_of=AS_OF,
    )

    centroid = zip_centroid(postal_code) if postal_code else None
    point = parse_point(ident["Geolocation"])
    moved_since = moved_with_old_point(ident["Address"], point, earlier)
    coordinates, coordinates_source = resolve_coordinates(point, centroid, moved_since)
    if coordinates is not None:
        out["latitude"], out["longitude"] = (f"{x:.4f}" for x in coordinates)
        out["coordinates_source"] = coordinates_source
        if coordinates_source.startswith(CENTROID_SOURCE):
            report.coordinates_replaced.append((clinic_id, out["name"], coordinates_source))

    values = clinic.values
    counts = {column: _count(values.get(subtopic, ""), report) for subtopic, column in COUNT_SUBTOPICS.items()}
    out.update(counts)
    if any(counts.values()):
        out["outcomes_year"] = OUTCOMES_YEAR
    _fill_group(out, list(counts.values()), "outcomes_source", "outcomes_as_of")

    out["verified_lab_accreditation"] = _flag(values.get(LAB_ACCREDITATION, ""), ACCREDITATION)
    out["sart_member"] = _flag(values.get(SART_MEMBER, ""), YES_NO)
    _fill_group(
        out,
        [out["verified_lab_accreditation"], out["sart_member"]],
        "accreditation_source",
        "accreditation_as_of",
    )

    total_cycles = int(counts["total_cycles"] or 0)
    preservation_cycles = int(counts["fertility_preservation_cycles"] or 0)
    egg_freezing = _flag(values.get(EGG_FREEZING, ""), YES_NO)
    offered = {
        # Every cycle reported to NASS is an ART (IVF-based) cycle.
        Treatment.IVF: Availability.YES.value if total_cycles > 0 else "",
        Treatment.EGG_DONATION: _flag(values.get(DONOR_EGG, ""), YES_NO),
        # "No" to egg freezing says nothing of sperm or embryo freezing: stays unknown.
        Treatment.FERTILITY_PRESERVATION: (
            Availability.YES.value if egg_freezing == Availability.YES or preservation_cycles > 0 else ""
        ),
    }
    for treatment, value in offered.items():
        out[treatment_column(treatment, "offered")] = value
        _fill_group(
            out,
            [value],
            treatment_column(treatment, "source"),
            treatment_column(treatment, "as_of"),
        )
    return out


def convert_with_report(
    raw_rows: Iterable[Mapping[str, str]],
    zip_centroid: ZipCentroid,
    earlier: Mapping[int, Sequence[EarlierListing]] | None = None,
) -> tuple[list[dict[str, str]], ConversionReport]:
    """Like `convert`, also returning what was fixed or skipped."""
    earlier = earlier or {}
    report = ConversionReport()
    rows: list[dict[str, str]] = []
    for number, clinic in sorted(_group_rows(raw_rows).items()):
        raw_status = clinic.identity["Clinic Status"]
        if raw_status == NON_REPORTER:
            # Non-reporters published only a name and address: no basis for a listing.
            report.skipped_non_reporters.append(f"us-cdc-{number}")
            continue
        if raw_status not in STATUSES:
            raise ValueError(f"ClinicId {number}: unknown Clinic Status {raw_status!r}")
        rows.append(_convert_clinic(clinic, STATUSES[raw_status], zip_centroid, report, earlier.get(number, ())))
    report.clinics_written = len(rows)
    return rows, report


def convert(
    raw_rows: Iterable[Mapping[str, str]],
    zip_centroid: Callable[[str], tuple[float, float] | None],
    earlier: Mapping[int, Sequence[EarlierListing]] | None = None,
) -> list[dict[str, str]]:
    """One `clinics.csv` row per reporting clinic, keyed by `COLUMNS`, by ClinicId.

    `earlier`: per ClinicId number, its listings in earlier years' files (see `read_earlier`).
    """
    return convert_with_report(raw_rows, zip_centroid, earlier)[0]


def read_earlier(paths: Iterable[Path]) -> dict[int, list[EarlierListing]]:
    """Each clinic's address and point in earlier Services and Profiles files."""
    earlier: dict[int, list[EarlierListing]] = {}
    for path in paths:
        with path.open(newline="", encoding="utf-8") as raw:
            seen: dict[int, EarlierListing] = {}
            for row in csv.DictReader(raw):
                if _cell(row, "FacilityName") == NATIONAL_FACILITY:
                    continue
                number = _clinic_number(_cell(row, "ClinicId"))
                seen.setdefault(
                    number,
                    EarlierListing(
                        int(_cell(row, "Year")), _cell(row, "Address"), parse_point(_cell(row, "Geolocation"))
                    ),
                )
        for number, listing in seen.items():
            earlier.setdefault(number, []).append(listing)
    return earlier


def default_previous(raw_csv: Path) -> list[Path]:
    """The 2020 and 2021 files kept beside the 2022 one in `data/raw/`, when they are there."""
    candidates = (raw_csv.with_name(f"cdc_art_services_profiles_{year}.csv") for year in PREVIOUS_YEARS)
    return [path for path in candidates if path.exists() and path != raw_csv]


# zipcodes' py.typed covers only its Rust core; the public wrapper is unannotated, so
# give it its documented type once here rather than silence mypy at the call.
_zip_matching = cast(Callable[[str], list[dict[str, Any]]], zipcodes.matching)


def zipcodes_centroid(zip5: str) -> tuple[float, float] | None:
    """(lat, lon) of a US ZIP from the offline `zipcodes` package; None if unknown."""
    # zipcodes raises on anything that is not #####, and on "" with a TypeError.
    if not re.fullmatch(r"\d{5}", zip5):
        return None
    matches = _zip_matching(zip5)
    if not matches:
        return None
    try:
        return float(matches[0]["lat"]), float(matches[0]["long"])
    except (KeyError, TypeError, ValueError):
        return None


def _summary(report: ConversionReport) -> str:
    lines = [
        f"clinics written: {report.clinics_written}",
        f"skipped non-reporters: {len(report.skipped_non_reporters)}",
        f"ZIP leading zeros restored: {len(report.zeros_restored)}",
        *(f"  {cid}: {raw} -> {fixed}" for cid, raw, fixed in report.zeros_restored),
        f"coordinates replaced with ZIP centroid: {len(report.coordinates_replaced)}",
        *(f"  {cid} {name}: {why}" for cid, name, why in report.coordinates_replaced),
        f"suppressed counts ('*') left empty: {report.suppressed_counts}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build clinics.csv from CDC's ART Services and Profiles CSV.")
    parser.add_argument("raw_csv", metavar="RAW_CSV", help="CDC long-format file")
    parser.add_argument("out_csv", metavar="OUT_CSV", help="where to write clinics.csv")
    parser.add_argument(
        "--previous",
        metavar="RAW_CSV",
        action="append",
        type=Path,
        help="an earlier year's file, to spot moved clinics (default: the 2020 and 2021 files beside RAW_CSV)",
    )
    args = parser.parse_args(argv)

    try:
        previous = args.previous if args.previous is not None else default_previous(Path(args.raw_csv))
        earlier = read_earlier(previous)
        with Path(args.raw_csv).open(newline="", encoding="utf-8") as raw:
            rows, report = convert_with_report(csv.DictReader(raw), zipcodes_centroid, earlier)
        with Path(args.out_csv).open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    except (OSError, ValueError, csv.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_summary(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
