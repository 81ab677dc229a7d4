"""The offline geocoder: free text → ranked places, from the SQLite index that
tools/build_gazetteer.py builds (GeoNames cities, US ZIP codes, UK and Spanish postcodes).

What a query may be, in the order it is tried:
  1. a postcode — US ZIP / ZIP+4, Spanish (5 digits), UK full or outward code;
  2. a place name, accent- and case-insensitive, in any Latin-script language GeoNames knows;
  3. either of those followed by a country or region: "Valencia, Spain", "Springfield IL", "46001 ES".
An ambiguous query returns every plausible place, best first; nothing is silently chosen.
"""

from __future__ import annotations

import csv
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clinicfinder.core.geo import postcodes
from clinicfinder.core.geo.distance import great_circle_km
from clinicfinder.core.geo.model import (
    EMPTY_QUERY,
    GeocodeError,
    GeocodeResult,
    Place,
    clean_query,
    quoted,
    split_notes,
)
from clinicfinder.core.geo.normalise import accent_key, edit_distance, fold, letters_gap
from clinicfinder.core.geo.schema import SCHEMA_VERSION, TIER_ACCENTED, TIER_ALTERNATE, TIER_PRIMARY

DEFAULT_INDEX = Path(__file__).resolve().parent / "data" / "gazetteer.sqlite"
# Nicknames and abbreviations of big US cities that GeoNames lacks ("NYC", "SF"): reviewed by hand.
DEFAULT_ALIASES = DEFAULT_INDEX.with_name("city_aliases.csv")

# Two hits for one name in the same country and region this close are one place.
DEDUPE_KM = 25.0
SUGGESTIONS = 5
# Added to log10(population): spelling a name exactly as the place does (accents and all) wins a
# tie between namesakes; an alternate name loses to a main name unless its place is ~20x bigger.
_TIER_BONUS = {TIER_ACCENTED: 1.0, TIER_PRIMARY: 0.0, TIER_ALTERNATE: -1.3}
# An alternate-name match this far (in score) below the best match is dropped as noise.
_ALTERNATE_REACH = 2.0
_CANDIDATE_KEYS = 4000  # per index scan when looking for close spellings
_MAX_KEY = 200
_CODE_LENGTH = 3

# What one qualifier allows: (country, region id), region None meaning the whole country.
_Allowed = frozenset[tuple[str, int | None]]


@dataclass(frozen=True)
class _Match:
    place: Place
    region_id: int | None
    score: float
    tier: int | None = None  # how the name matched; None for a postcode

    @property
    def by_name(self) -> bool:
        return self.tier is not None


@dataclass(frozen=True)
class _Qualifier:
    text: str
    allowed: _Allowed

    def admits(self, match: _Match) -> bool:
        country = match.place.country
        return (country, None) in self.allowed or (country, match.region_id) in self.allowed


class Gazetteer:
    """Offline geocoder. Loads in milliseconds (only small tables are read up front; the rest
    is queried from the read-only SQLite file) and may be shared between threads.
    """

    def __init__(
        self,
        path: Path,
        countries: dict[str, str],
        regions: dict[int, tuple[str, str]],
        attribution: str,
        aliases: dict[str, tuple[int, ...]] | None = None,
    ) -> None:
        self._path = path
        self._aliases = aliases or {}  # folded alias → GeoNames ids
        self._countries = countries  # ISO code → English name
        self._regions = regions  # id → (country, name)
        self._attribution = attribution
        self._local = threading.local()

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        path = path or DEFAULT_INDEX
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: build it with `python scripts/build_gazetteer.py`")
        db = _connect(path)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise RuntimeError(f"{path} has schema {version}, this code reads {SCHEMA_VERSION}: rebuild it")
            countries: dict[str, str] = dict(db.execute("SELECT code, name FROM countries").fetchall())
            regions = {rid: (c, n) for rid, c, n in db.execute("SELECT id, country, name FROM regions")}
            row = db.execute("SELECT value FROM meta WHERE key = 'attribution'").fetchone()
        finally:
            db.close()
        return cls(path, countries, regions, row[0] if row else "", read_aliases(DEFAULT_ALIASES))

    def attribution(self) -> str:
        return self._attribution

    def geocode(self, query: str, *, limit: int = 8) -> GeocodeResult:
        """Ranked candidates for `query`; raises GeocodeError (with suggestions) when there are none."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        matches = self._resolve(clean_query(query))
        return GeocodeResult(query=query.strip(), candidates=tuple(m.place for m in matches[:limit]))

    def country_near(self, latitude: float, longitude: float, *, within_km: float = 100.0) -> str | None:
        """The country of the nearest listed place, when one lies within `within_km`; else None.

        For a position from the browser, which comes without a country: the units, currency and
        paper then follow the place as they do for a typed one. Nothing leaves the machine.
        """
        lat_span = within_km / 111.0
        lon_span = within_km / (111.0 * max(math.cos(math.radians(latitude)), 0.01))
        rows = (
            self._db()
            .execute(
                "SELECT country, latitude, longitude FROM places"
                " WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?",
                (latitude - lat_span, latitude + lat_span, longitude - lon_span, longitude + lon_span),
            )
            .fetchall()
        )
        best = min(rows, key=lambda row: great_circle_km(latitude, longitude, row[1], row[2]), default=None)
        if best is None or great_circle_km(latitude, longitude, best[1], best[2]) > within_km:
            return None
        return str(best[0])

    # --- reading the query --------------------------------------------------------------

    def _resolve(self, text: str) -> list[_Match]:
        text, notes = split_notes(text)
        head, *rest = (part.strip() for part in text.split(","))
        if not head:
            raise GeocodeError(EMPTY_QUERY)
        qualifiers: list[_Qualifier] = []
        for part in filter(None, rest):
            qualifier = self._qualifier(part)
            if qualifier is None:
                nearby = _ranked(self._candidates(head))
                raise GeocodeError(f"We couldn't find {quoted(part)} as a country or region.", self._labels(nearby))
            qualifiers.append(qualifier)
        qualifiers += self._notes_as_qualifiers(head, notes)
        code = self._qualifier(head) if len(fold(head)) <= _CODE_LENGTH and not _is_postcode(head) else None
        if not qualifiers and code is not None:
            aliased = self._aliased(head)
            if aliased:
                # "LA" may be Los Angeles, or somewhere in Louisiana (or Laos): offer both, the city first.
                return _dedupe([*_ranked(aliased), *self._largest_in(code.allowed)])
            # "CA", "IL", "USA" alone are codes, not the hamlets that happen to share them.
            raise self._not_found(head, qualifiers)
        found = self._candidates(head)
        if found:
            return self._narrow(head, found, qualifiers)
        # No comma around the country or region: "Valencia Spain", "Springfield IL", "ES 46001".
        words = head.split()
        for size in range(1, min(3, len(words) - 1) + 1):
            for place_words, qualifier_words in ((words[:-size], words[-size:]), (words[size:], words[:size])):
                extra = self._qualifier(" ".join(qualifier_words))
                if extra is not None:
                    shorter = " ".join(place_words)
                    found = self._candidates(shorter)
                    if not found:
                        raise self._not_found(shorter, [*qualifiers, extra])
                    return self._narrow(shorter, found, [*qualifiers, extra])
        raise self._not_found(head, qualifiers)

    def _notes_as_qualifiers(self, head: str, notes: list[str]) -> list[_Qualifier]:
        """ "Valencia (Spain)" means "Valencia, Spain". A note that is not a country or region (the
        town in a postcode label, "60611 (Chicago, Illinois)") is only a reminder and is ignored.
        """
        if _is_postcode(head):
            return []
        found: list[_Qualifier] = []
        for note in notes:
            parts = [self._qualifier(part) for part in note.split(",") if part.strip()]
            if parts and all(parts):
                found += [part for part in parts if part is not None]
        return found

    def _narrow(self, head: str, found: list[_Match], qualifiers: Sequence[_Qualifier]) -> list[_Match]:
        kept = [m for m in found if all(q.admits(m) for q in qualifiers)]
        if not kept:
            where = " and ".join(q.text for q in qualifiers)
            raise GeocodeError(f"We couldn't find {quoted(head)} in {where}.", self._labels(_ranked(found)))
        return _ranked(kept)

    def _qualifier(self, text: str) -> _Qualifier | None:
        key = fold(text)
        if not key:
            return None
        rows = self._db().execute("SELECT country, region FROM qualifiers WHERE key = ?", (key,)).fetchall()
        return _Qualifier(text, frozenset((c, r or None) for c, r in rows)) if rows else None

    def _candidates(self, text: str) -> list[_Match]:
        """Every place `text` may mean, unranked; [] if none. Raises for a postcode that does not exist."""
        if postcodes.us_zip(text) or postcodes.five_digits(text):
            return self._numeric_postcode(text)
        uk = postcodes.uk_postcode(text)
        if uk is not None:
            # A district we have no centroid for falls back to its area's post town; the kind says so.
            found = self._postcode("uk_outcode", uk.outward) or self._postcode("uk_area", uk.area, name=uk.outward)
            if found is not None:
                return [found]
        return self._by_name(text)

    # --- postcodes ----------------------------------------------------------------------

    def _numeric_postcode(self, text: str) -> list[_Match]:
        found: list[_Match] = []
        zip5 = postcodes.us_zip(text)
        us = self._postcode("us_zip", zip5) if zip5 else None
        if us is not None:
            # Ranked above a Spanish reading of the same five digits: the directory is American.
            found.append(_Match(us.place, us.region_id, 2.0))
        code = postcodes.five_digits(text)
        if code is not None:
            spanish = self._postcode("es_postcode", code)
            province = postcodes.spanish_province(code)
            # A code missing from GeoNames' list still names its province, unless it is a real ZIP.
            if spanish is None and us is None and province is not None:
                spanish = self._postcode("es_province", province, name=code)
            if spanish is not None:
                found.append(spanish)
        if not found:
            raise GeocodeError(f"We couldn't find the postcode {quoted(text)}. Check the digits.")
        return found

    def _postcode(self, kind: str, code: str, *, name: str | None = None) -> _Match | None:
        row = (
            self._db()
            .execute(
                "SELECT locality, region, country, latitude, longitude FROM postcodes WHERE kind = ? AND code = ?",
                (kind, code),
            )
            .fetchone()
        )
        if row is None:
            return None
        locality, region_id, country, latitude, longitude = row
        place = Place(
            name=name or code,
            region=self._region_name(region_id),
            country=country,
            country_name=self._countries.get(country, country),
            latitude=latitude,
            longitude=longitude,
            kind=kind,
            locality=locality,
        )
        return _Match(place, region_id, 1.0)

    # --- names --------------------------------------------------------------------------

    def _by_name(self, text: str) -> list[_Match]:
        key = fold(text)
        return [*self._named({key, accent_key(text)}), *self._aliased(text)] if key else []

    def _aliased(self, text: str) -> list[_Match]:
        """The places a reviewed nickname stands for ("NYC"), matched as if it were their main name."""
        ids = self._aliases.get(fold(text), ())
        if not ids:
            return []
        sql = f"SELECT {_PLACE_COLUMNS} FROM places WHERE id IN ({','.join('?' * len(ids))})"  # noqa: S608  # constant text
        return [self._city(row, tier=TIER_PRIMARY) for row in self._db().execute(sql, ids)]

    def _named(self, keys: Iterable[str]) -> list[_Match]:
        keys = sorted(keys)
        sql = _PLACES_NAMED.format(marks=",".join("?" * len(keys)))
        return [self._city(row[:6], tier=row[6]) for row in self._db().execute(sql, keys)]

    def _city(self, row: Sequence[object], *, tier: int | None = None) -> _Match:
        name, region_id, country, latitude, longitude, population = row
        assert isinstance(name, str) and isinstance(country, str) and isinstance(population, int)
        assert isinstance(latitude, float) and isinstance(longitude, float)
        assert region_id is None or isinstance(region_id, int)
        place = Place(
            name=name,
            region=self._region_name(region_id),
            country=country,
            country_name=self._countries.get(country, country),
            latitude=latitude,
            longitude=longitude,
            kind="city",
            population=population,
        )
        bonus = _TIER_BONUS[tier] if tier is not None else 0.0
        return _Match(place, region_id, math.log10(population + 1) + bonus, tier if tier is not None else TIER_PRIMARY)

    def _region_name(self, region_id: int | None) -> str | None:
        region = self._regions.get(region_id) if region_id is not None else None
        return region[1] if region else None

    # --- errors and suggestions ---------------------------------------------------------

    def _not_found(self, text: str, qualifiers: Sequence[_Qualifier]) -> GeocodeError:
        whole = self._qualifier(text)
        if whole is not None and not qualifiers:
            # A country or region typed alone: offer its largest cities.
            kinds = {region is None for _, region in whole.allowed}
            what = "a country or a region" if len(kinds) > 1 else "a country" if True in kinds else "a region"
            labels = self._labels(self._largest_in(whole.allowed))
            return GeocodeError(f"{quoted(text)} is {what}: type a city or a postcode in it.", labels)
        close = [m for m in self._close_spellings(fold(text)) if all(q.admits(m) for q in qualifiers)]
        labels = self._labels(close)
        if labels:
            return GeocodeError(f"We couldn't find {quoted(text)}. Did you mean: {'; '.join(labels)}?", labels)
        return GeocodeError(f"We couldn't find {quoted(text)}. Check the spelling, or type a postcode.")

    def _largest_in(self, allowed: _Allowed) -> list[_Match]:
        found: list[_Match] = []
        for country, region_id in sorted(allowed, key=lambda a: (a[0], a[1] or 0)):
            columns = "name, region, country, latitude, longitude, population"
            if region_id is None:
                sql = f"SELECT {columns} FROM places WHERE country = ? ORDER BY population DESC LIMIT ?"  # noqa: S608  # constant text
                rows = self._db().execute(sql, (country, SUGGESTIONS))
            else:
                sql = f"SELECT {columns} FROM places WHERE country = ? AND region = ? ORDER BY population DESC LIMIT ?"  # noqa: S608  # constant text
                rows = self._db().execute(sql, (country, region_id, SUGGESTIONS))
            found += [self._city(row) for row in rows]
        return sorted(found, key=lambda m: -m.score)

    def _close_spellings(self, key: str) -> list[_Match]:
        """Places whose name is a few keystrokes from `key`, or starts with it; closest first."""
        if len(key) < 3:
            return []
        budget = 1 if len(key) <= 4 else 2 if len(key) <= 9 else 3
        shortest, longest = len(key) - budget, len(key) + budget
        db = self._db()
        # Candidates share the first letters (typo later on) or the last ones (typo early on).
        stem = key[:3] if len(key) > 4 else key[:2]
        spellings = [k for (k,) in db.execute(_KEYS_FROM, (stem, stem + "\x7f", shortest, longest, _CANDIDATE_KEYS))]
        ending = key[::-1][:3]
        spellings += [
            k[::-1]
            for (k,) in db.execute(_REVERSED_KEYS_FROM, (ending, ending + "\x7f", shortest, longest, _CANDIDATE_KEYS))
        ]
        costs: dict[str, int] = {}
        letters = Counter(key)
        for spelling in spellings:
            if spelling not in costs and spelling.isascii():
                close = letters_gap(letters, spelling) <= budget
                costs[spelling] = edit_distance(key, spelling, budget) if close else budget + 1
        if len(key) >= 4:
            # The start of a name ("Valenc") counts as one keystroke from the name.
            for (spelling,) in db.execute(_KEYS_FROM, (key, key + "\x7f", 0, _MAX_KEY, 50)):
                costs[spelling] = min(costs.get(spelling, 1), 1)
        near = sorted((cost, spelling) for spelling, cost in costs.items() if cost <= budget)[:40]
        matches = [
            _Match(m.place, m.region_id, m.score - 10 * cost, m.tier)
            for cost, spelling in near
            for m in _ranked(self._named([spelling]))
        ]
        return _dedupe(sorted(matches, key=lambda m: -m.score))[:SUGGESTIONS]

    def _labels(self, matches: Sequence[_Match]) -> tuple[str, ...]:
        """What to suggest: "Valencia, Spain" when that names one place, else the full label."""
        labels: list[str] = []
        for match in matches[:SUGGESTIONS]:
            place, label = match.place, match.place.label
            if match.by_name:
                namesakes = [m for m in _ranked(self._by_name(place.name)) if m.place.country == place.country]
                if len(namesakes) == 1:
                    label = f"{place.name}, {place.country_name}"
            if label not in labels:
                labels.append(label)
        return tuple(labels)

    # --- storage ------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        # One connection per thread: a sqlite3 connection must not be used by two threads at once.
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self._path)
            self._local.db = db
        return db


def _is_postcode(text: str) -> bool:
    return bool(postcodes.us_zip(text) or postcodes.five_digits(text) or postcodes.uk_postcode(text))


_PLACE_COLUMNS = "name, region, country, latitude, longitude, population"
_PLACES_NAMED = (
    "SELECT p.name, p.region, p.country, p.latitude, p.longitude, p.population, MIN(n.tier) "
    "FROM names n JOIN places p ON p.id = n.place WHERE n.key IN ({marks}) GROUP BY p.id"
)
_KEYS_FROM = "SELECT DISTINCT key FROM names WHERE key >= ? AND key < ? AND length(key) BETWEEN ? AND ? LIMIT ?"
_REVERSED_KEYS_FROM = "SELECT key FROM reversed_keys WHERE key >= ? AND key < ? AND length(key) BETWEEN ? AND ? LIMIT ?"


def read_aliases(path: Path) -> dict[str, tuple[int, ...]]:
    """city_aliases.csv as folded alias → GeoNames ids (an alias may stand for more than one city)."""
    aliases: dict[str, tuple[int, ...]] = {}
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            key = fold(row["alias"])
            aliases[key] = (*aliases.get(key, ()), int(row["geonames_id"]))
    return aliases


def _connect(path: Path) -> sqlite3.Connection:
    # immutable=1: the file never changes while we run, so SQLite skips locking altogether.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _ranked(matches: list[_Match]) -> list[_Match]:
    """Best first, weak alternate-name matches and near-duplicates removed."""
    best = max((m.score for m in matches if m.by_name), default=0.0)
    # An alternate name shared with a far bigger place is noise ("New York" is also an old name
    # of York, Nebraska); a main name is always a real namesake and is kept.
    kept = [m for m in matches if m.tier != TIER_ALTERNATE or m.score >= best - _ALTERNATE_REACH]
    kept.sort(key=lambda m: (-m.score, m.place.name, m.place.latitude, m.place.longitude))
    return _dedupe(kept)


def _dedupe(matches: list[_Match]) -> list[_Match]:
    """Drop a name match within DEDUPE_KM of a better one in the same country and region."""
    kept: list[_Match] = []
    for match in matches:
        place = match.place
        duplicate = match.by_name and any(
            other.by_name
            and other.place.country == place.country
            and other.region_id == match.region_id
            and great_circle_km(other.place.latitude, other.place.longitude, place.latitude, place.longitude)
            < DEDUPE_KM
            for other in kept
        )
        if not duplicate:
            kept.append(match)
    return kept
