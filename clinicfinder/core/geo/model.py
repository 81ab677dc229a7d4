"""What a geocoder answers: places, ranked results, and the one error it raises."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clinicfinder.core.geo.normalise import fold, has_letters_or_digits

POSTCODE_KINDS = frozenset({"us_zip", "uk_outcode", "uk_area", "es_postcode", "es_province"})


@dataclass(frozen=True)
class Place:
    """One candidate location.

    `kind` says how precise it is: "city" (a GeoNames populated place), "us_zip" (ZIP centroid),
    "uk_outcode" (postcode district centroid), "uk_area" (the post town of a postcode area),
    "es_postcode" (Spanish postcode centroid), "es_province" (the capital of the province a
    Spanish postcode belongs to) or "online" (whatever the online service answered).
    `locality` names the town a postcode lies in ("Chicago" for 60611); None for cities.
    """

    name: str
    region: str | None
    country: str
    country_name: str
    latitude: float
    longitude: float
    kind: str
    population: int | None = None
    locality: str | None = None

    @property
    def label(self) -> str:
        """ "Valencia, Comunidad Valenciana, Spain"; "60611 (Chicago, Illinois), United States".

        A part that repeats the one before it is left out: "Madrid, Madrid, Spain" reads "Madrid, Spain".
        """
        if self.kind in POSTCODE_KINDS or self.locality:
            inside = _distinct([self.locality, self.region])
            head = f"{self.name} ({', '.join(inside)})" if inside else self.name
            return ", ".join(_distinct([head, self.country_name]))
        return ", ".join(_distinct([self.name, self.region, self.country_name]))


def _distinct(parts: list[str | None]) -> list[str]:
    kept: list[str] = []
    seen: set[str] = set()
    for part in parts:
        if part and fold(part) not in seen:
            kept.append(part)
            seen.add(fold(part))
    return kept


@dataclass(frozen=True)
class GeocodeResult:
    query: str
    candidates: tuple[Place, ...]

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ValueError("a GeocodeResult needs at least one candidate; raise GeocodeError instead")

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def best(self) -> Place:
        return self.candidates[0]


class GeocodeError(ValueError):
    """The text could not be turned into a place. `message` is written for the patient."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)

    def __str__(self) -> str:
        return self.message


EMPTY_QUERY = "Type a city or a postcode."
# Longer than any real "city, region, country" or postcode label, short enough to never be an essay.
MAX_QUERY_CHARS = 120
_PARENTHESES = re.compile(r"\(([^()]*)\)")
# Control, format (zero-width), surrogate, private-use and unassigned characters: never part of a
# place name, and a lone surrogate would break the page or JSON the message is shown in.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_query(query: str) -> str:
    """The query with invisible characters dropped and whitespace collapsed; raises GeocodeError
    for empty, garbage or overlong text.
    """
    if not isinstance(query, str):
        raise GeocodeError(EMPTY_QUERY)
    visible = "".join(
        " " if ch.isspace() else ch for ch in query if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE
    )
    text = " ".join(visible.split())
    if not text:
        raise GeocodeError(EMPTY_QUERY)
    if len(text) > MAX_QUERY_CHARS:
        raise GeocodeError("That is too long for a place. Type just a city or a postcode.")
    if not has_letters_or_digits(text):
        raise GeocodeError(f"We couldn't read {quoted(text)} as a place. {EMPTY_QUERY}")
    return text


def split_notes(text: str) -> tuple[str, list[str]]:
    """ "Valencia (Spain)" → ("Valencia", ["Spain"]); a label typed back, "60611 (Chicago, Illinois),
    United States", → ("60611, United States", ["Chicago, Illinois"]).
    """
    notes = [note.strip() for note in _PARENTHESES.findall(text) if note.strip()]
    rest = " ".join(_PARENTHESES.sub(" ", text).split())
    rest = rest.replace(" ,", ",")
    if not has_letters_or_digits(rest):
        return " ".join(text.replace("(", " ").replace(")", " ").split()), []
    return rest, notes


def quoted(text: str, limit: int = 60) -> str:
    """The patient's text echoed back in a message, cut short if long."""
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'
