"""Give the 2018 CDC clinic tables the ClinicId they lack.

A 2018 clinic is matched to a 2020–2022 Services-and-Profiles clinic only when the evidence is
plain: the same normalised name in the same city and state (the medical director breaks a tie), or
a name that differs only in form (punctuation, "LLC", a dropped acronym) with the same director.
Anything weaker stays unmatched and is listed for review; a reviewed alias table
(`data/cdc_2018_aliases.csv`) records renamed clinics and explicit "do not match" decisions.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tools.cdc_profiles import Profile, clinic_id

# Words that say what legal form a clinic has, not which clinic it is.
_LEGAL_WORDS = frozenset({"LLC", "PLLC", "PC", "INC", "PA", "LTD", "SC", "LLP", "CORP", "PLC", "APMC", "PSC"})
_SPELLING = {"CENTRE": "CENTER", "CTR": "CENTER", "UNIV": "UNIVERSITY", "INST": "INSTITUTE"}
_CITY_PREFIXES = {"ST": "SAINT", "FT": "FORT", "MT": "MOUNT"}
_DEGREES = frozenset({"MD", "PHD", "DO", "FACOG", "MS", "MBA", "MPH", "MSCI", "HCLD", "ELD", "BCLD", "JR", "SR", "II"})
# A "similar" name must be this close (difflib ratio on normalised names) to count at all, and
# then still needs the same director; below it the clinic is left for a person to review.
SIMILAR_NAME = 0.85
DO_NOT_MATCH = "none"


class Method(StrEnum):
    NAME = "name+city+state"
    NAME_DIRECTOR = "name+city+state, director broke a tie"
    SIMILAR_NAME_DIRECTOR = "similar name+city+state+director"
    ALIAS = "alias"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def _words(text: str) -> list[str]:
    return re.sub(r"[^A-Z0-9 ]+", " ", _ascii(text).replace("&", " AND ").replace("+", " AND ")).split()


def normalise_name(name: str) -> str:
    words = [_SPELLING.get(word, word) for word in _words(name)]
    return " ".join(word for word in words if word not in _LEGAL_WORDS and word != "THE")


def name_variants(*parts: str) -> set[str]:
    """A name with and without its parenthesised acronym, its second line, its "dba" half."""
    full = " ".join(part for part in parts if part)
    variants = {full, parts[0], re.sub(r"\([^)]*\)", " ", full), re.sub(r"\([^)]*\)", " ", parts[0])}
    for variant in list(variants):
        halves = re.split(r"\b(?:D/B/A|DBA)\b", variant, flags=re.IGNORECASE)
        if len(halves) == 2:
            variants.update(halves)
    return {normalised for variant in variants if (normalised := normalise_name(variant))}


def normalise_city(city: str) -> str:
    words = _words(city)
    if words and words[0] in _CITY_PREFIXES:
        words[0] = _CITY_PREFIXES[words[0]]
    return " ".join(words)


def director_key(director: str) -> tuple[str, str] | None:
    """(first name, surname) of "Janet M. Bouknight, MD"; None when there is no name."""
    words = [word for word in _words(director.split(",")[0]) if word not in _DEGREES and len(word) > 1]
    if not words or words[0] == "NONE":
        return None
    return words[0], words[-1]


@dataclass(frozen=True, slots=True)
class Clinic2018:
    order_id: int
    name1: str
    name2: str
    city: str
    state_name: str  # full name, upper case, as 2018 gives it
    state: str  # CurrentStateAbbrev
    director: str

    @property
    def display_name(self) -> str:
        # Whitespace collapsed: one 2018 name carries a line break inside its second line.
        return " ".join(f"{self.name1} {self.name2}".split())


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    city: str
    state: str
    clinic_id: str  # "us-cdc-N", or DO_NOT_MATCH
    reason: str


@dataclass(slots=True)
class MatchResult:
    clinic: Clinic2018
    clinic_id: str = ""
    method: Method | None = None
    reason: str = ""  # why it is unmatched or ambiguous; for an alias, the reviewed reason
    ambiguous: bool = False
    candidates: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Candidate:
    number: int
    names: frozenset[str]
    city: str
    state: str
    directors: frozenset[tuple[str, str]]
    profiles: tuple[Profile, ...]


def _candidates(profiles: Mapping[int, Mapping[int, Profile]]) -> dict[int, list[_Candidate]]:
    """One candidate per ClinicId and city (a clinic that moved city is a candidate in each)."""
    grouped: dict[tuple[int, str, str], list[Profile]] = defaultdict(list)
    for by_number in profiles.values():
        for number, profile in by_number.items():
            grouped[(number, normalise_city(profile.city), profile.state)].append(profile)
    out: dict[int, list[_Candidate]] = defaultdict(list)
    for (number, city, state), group in grouped.items():
        names = frozenset().union(*(name_variants(profile.name) for profile in group))
        directors = frozenset(key for profile in group if (key := director_key(profile.director)))
        out[number].append(_Candidate(number, names, city, state, directors, tuple(group)))
    return out


def _same_director(clinic: Clinic2018, candidate: _Candidate) -> bool:
    key = director_key(clinic.director)
    return key is not None and any(
        key[1] == surname and key[0][0] == first[0] for first, surname in candidate.directors
    )


def _describe(candidate: _Candidate) -> str:
    newest = max(candidate.profiles, key=lambda profile: profile.year)
    return f"{clinic_id(candidate.number)} {newest.name} ({newest.city}, {newest.state}; {newest.director})"


def match_one(clinic: Clinic2018, in_state: Sequence[_Candidate]) -> MatchResult:
    result = MatchResult(clinic)
    city = normalise_city(clinic.city)
    names = name_variants(clinic.name1, clinic.name2)
    local = [candidate for candidate in in_state if candidate.city == city]
    exact = {candidate.number: candidate for candidate in local if names & candidate.names}
    if len(exact) == 1:
        result.clinic_id, result.method = clinic_id(next(iter(exact))), Method.NAME
        return result
    if len(exact) > 1:
        by_director = [number for number, candidate in exact.items() if _same_director(clinic, candidate)]
        if len(by_director) == 1:
            result.clinic_id, result.method = clinic_id(by_director[0]), Method.NAME_DIRECTOR
            return result
        result.ambiguous = True
        result.reason = "same name in the same city for several ClinicIds; the director does not decide"
        result.candidates = [_describe(candidate) for candidate in exact.values()]
        return result

    def similarity(candidate: _Candidate) -> float:
        return max(difflib.SequenceMatcher(None, a, b).ratio() for a in names for b in candidate.names)

    scored = sorted(((similarity(c), c) for c in local), key=lambda pair: pair[0], reverse=True)
    close = [candidate for score, candidate in scored if score >= SIMILAR_NAME]
    close_ids = {candidate.number for candidate in close}
    if len(close_ids) == 1 and _same_director(clinic, close[0]):
        result.clinic_id, result.method = clinic_id(close[0].number), Method.SIMILAR_NAME_DIRECTOR
        return result
    if len(close_ids) > 1:
        result.ambiguous = True
        result.reason = "several similar names in the same city"
        result.candidates = [_describe(candidate) for candidate in close]
        return result
    elsewhere = [candidate for candidate in in_state if names & candidate.names]
    if close:
        result.reason = f"similar name in the same city ({scored[0][0]:.2f}) but a different director"
    elif elsewhere:
        result.reason = "the same name only in another city of the state"
    elif any(_same_director(clinic, candidate) for candidate in local):
        result.reason = "same director in the same city, but the name differs"
    elif local:
        result.reason = f"no similar name in the city (best {scored[0][0]:.2f})"
    else:
        result.reason = "no 2020–2022 clinic in this city"
    review = [c for score, c in scored[:2] if score >= 0.5 or _same_director(clinic, c)]
    review += [c for c in elsewhere if c not in review]
    review += [c for c in local if _same_director(clinic, c) and c not in review]
    result.candidates = [_describe(candidate) for candidate in review]
    return result


def match_all(
    clinics: Sequence[Clinic2018], profiles: Mapping[int, Mapping[int, Profile]], aliases: Sequence[Alias]
) -> list[MatchResult]:
    """Match every 2018 clinic; a ClinicId claimed by two 2018 clinics is ambiguous for both."""
    by_state: dict[str, list[_Candidate]] = defaultdict(list)
    for candidates in _candidates(profiles).values():
        for candidate in candidates:
            by_state[candidate.state].append(candidate)
    known_ids = {clinic_id(number) for by_number in profiles.values() for number in by_number}
    alias_for = _index_aliases(clinics, aliases, known_ids)
    results = []
    for clinic in clinics:
        alias = alias_for.get(clinic.order_id)
        if alias is not None:
            result = MatchResult(clinic, reason=alias.reason)
            if alias.clinic_id != DO_NOT_MATCH:
                result.clinic_id, result.method = alias.clinic_id, Method.ALIAS
            results.append(result)
            continue
        results.append(match_one(clinic, by_state[clinic.state]))
    claimed: dict[str, list[MatchResult]] = defaultdict(list)
    for result in results:
        if result.clinic_id:
            claimed[result.clinic_id].append(result)
    for cid, claims in claimed.items():
        if len(claims) > 1:
            for result in claims:
                if result.method is Method.ALIAS:
                    continue
                result.candidates = [f"{cid} also claimed by 2018 #{other.clinic.order_id}" for other in claims]
                result.clinic_id, result.method, result.ambiguous = "", None, True
                result.reason = "two 2018 clinics match the same ClinicId"
    return results


def _index_aliases(clinics: Sequence[Clinic2018], aliases: Sequence[Alias], known_ids: set[str]) -> dict[int, Alias]:
    by_key = {(c.display_name, c.city, c.state_name): c for c in clinics}
    indexed: dict[int, Alias] = {}
    for alias in aliases:
        clinic = by_key.get((alias.name, alias.city, alias.state))
        if clinic is None:
            raise ValueError(f"alias {alias.name!r}, {alias.city}, {alias.state} names no 2018 clinic")
        if alias.clinic_id != DO_NOT_MATCH and alias.clinic_id not in known_ids:
            raise ValueError(f"alias {alias.name!r} points at unknown {alias.clinic_id}")
        if not alias.reason.strip():
            raise ValueError(f"alias {alias.name!r} has no reason")
        if clinic.order_id in indexed:
            raise ValueError(f"two aliases for {alias.name!r}")
        indexed[clinic.order_id] = alias
    return indexed


ALIAS_COLUMNS = ("name_2018", "city_2018", "state_2018", "clinic_id", "reason")


def read_aliases(path: Path) -> list[Alias]:
    with path.open(newline="", encoding="utf-8") as raw:
        reader = csv.DictReader(raw)
        if tuple(reader.fieldnames or ()) != ALIAS_COLUMNS:
            raise ValueError(f"{path}: expected columns {', '.join(ALIAS_COLUMNS)}")
        return [Alias(r["name_2018"], r["city_2018"], r["state_2018"], r["clinic_id"], r["reason"]) for r in reader]


def clinics_from_records(records: Iterable[Mapping[str, object]]) -> list[Clinic2018]:
    def text(record: Mapping[str, object], key: str) -> str:
        value = record.get(key)
        return "" if value is None else str(value).strip()

    return [
        Clinic2018(
            order_id=int(text(record, "OrderID")),
            name1=text(record, "CurrentClinicName1"),
            name2=text(record, "CurrentClinicName2"),
            city=text(record, "CurrentClinicCity"),
            state_name=text(record, "CurrentClinicState"),
            state=text(record, "CurrentStateAbbrev"),
            director=text(record, "MedicalDirector"),
        )
        for record in records
    ]
