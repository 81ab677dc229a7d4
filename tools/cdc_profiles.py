"""CDC's "ART Services and Profiles" files (2020–2022), one identity per clinic and year.

They carry the ClinicId that joins every CDC ART dataset; the 2018 tables do not, so these are
also what the 2018 matcher matches against.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROFILE_YEARS = (2020, 2021, 2022)
NATIONAL_FACILITY = "National"
STATUSES = frozenset({"Open", "Reorganized", "Closed", "Non-reporter"})
TOTAL_CYCLES = "Total cycles"
_POINT_RE = re.compile(r"POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)")


def profile_path(raw_dir: Path, year: int) -> Path:
    return raw_dir / f"cdc_art_services_profiles_{year}.csv"


def clinic_id(number: int) -> str:
    """The id `clinics.csv` gives a CDC clinic."""
    return f"us-cdc-{number}"


@dataclass(frozen=True, slots=True)
class Profile:
    number: int
    year: int
    name: str
    director: str
    address: str
    city: str
    state: str  # postal abbreviation
    state_name: str
    zipcode: str  # as CDC gives it (leading zeros lost for some)
    status: str
    total_cycles: str  # as given; "" when not reported
    longitude: str
    latitude: str

    @property
    def clinic_id(self) -> str:
        return clinic_id(self.number)


def _number(raw_id: str) -> int:
    digits = raw_id.replace(",", "")
    if not digits.isdigit():
        raise ValueError(f"ClinicId {raw_id!r} is not a number")
    return int(digits)


def read_profiles(rows: Iterable[Mapping[str, str]], year: int) -> dict[int, Profile]:
    """One `Profile` per ClinicId from a long (clinic × SubTopic) file; the National row is skipped."""
    identities: dict[int, dict[str, str]] = {}
    cycles: dict[int, str] = {}
    for row in rows:
        if row["FacilityName"] == NATIONAL_FACILITY:
            continue
        if row["Year"] != str(year):
            raise ValueError(f"expected Year {year}, got {row['Year']!r}")
        number = _number(row["ClinicId"])
        identity = {key: (row[key] or "").strip() for key in _IDENTITY}
        known = identities.setdefault(number, identity)
        if known != identity:
            raise ValueError(f"{year} ClinicId {number}: identity differs between rows")
        if row["SubTopic"] == TOTAL_CYCLES:
            cycles[number] = (row["Data_Value"] or "").strip()
    profiles: dict[int, Profile] = {}
    for number, identity in identities.items():
        status = identity["Clinic Status"]
        if status not in STATUSES:
            raise ValueError(f"{year} ClinicId {number}: unknown Clinic Status {status!r}")
        longitude = latitude = ""
        if identity["Geolocation"]:
            point = _POINT_RE.fullmatch(identity["Geolocation"])
            if point is None:
                raise ValueError(f"{year} ClinicId {number}: Geolocation {identity['Geolocation']!r}")
            longitude, latitude = point.groups()
        profiles[number] = Profile(
            number=number,
            year=year,
            name=identity["FacilityName"],
            director=identity["MedicalDirector"],
            address=identity["Address"],
            city=identity["City"],
            state=identity["LocationAbbr"],
            state_name=identity["LocationDesc"],
            zipcode=identity["Zipcode"],
            status=status,
            total_cycles=cycles.get(number, ""),
            longitude=longitude,
            latitude=latitude,
        )
    return profiles


_IDENTITY = (
    "FacilityName",
    "MedicalDirector",
    "Address",
    "City",
    "LocationAbbr",
    "LocationDesc",
    "Zipcode",
    "Clinic Status",
    "Geolocation",
)


def load_profiles(raw_dir: Path) -> dict[int, dict[int, Profile]]:
    """{year: {ClinicId number: Profile}} for 2020, 2021 and 2022."""
    loaded: dict[int, dict[int, Profile]] = {}
    for year in PROFILE_YEARS:
        with profile_path(raw_dir, year).open(newline="", encoding="utf-8") as raw:
            loaded[year] = read_profiles(csv.DictReader(raw), year)
    return loaded


HISTORY_COLUMNS = (
    "clinic_id",
    "year",
    "status",
    "total_cycles",
    "name",
    "medical_director",
    "address",
    "city",
    "state",
    "zipcode",
    "latitude",
    "longitude",
    "source",
)


def history_rows(profiles: Mapping[int, Mapping[int, Profile]]) -> list[dict[str, str]]:
    """`data/cdc_history.csv`: each clinic's status, volume and address per year, as CDC gives them."""
    rows = []
    for year, by_number in sorted(profiles.items()):
        for _number, profile in sorted(by_number.items()):
            total = profile.total_cycles.replace(",", "")
            # Non-reporters have an empty cell; "*" (withheld) would also leave it empty.
            rows.append(
                {
                    "clinic_id": profile.clinic_id,
                    "year": str(year),
                    "status": profile.status,
                    "total_cycles": total if total.isdigit() else "",
                    "name": profile.name,
                    "medical_director": profile.director,
                    "address": profile.address,
                    "city": profile.city,
                    "state": profile.state,
                    "zipcode": profile.zipcode,
                    "latitude": profile.latitude,
                    "longitude": profile.longitude,
                    "source": f"CDC NASS {year} ART Services and Profiles",
                }
            )
    return rows
