"""US state laws on insurance coverage of infertility treatment, from `data/state_fertility_laws.csv`.

Each row was checked against a cited public source (see `data/state_fertility_laws.md`). A state
without a row is unchecked, and `state_law` answers None for it: the pages then show nothing
rather than a guess.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TypeVar

from clinicfinder.core.paths import DATA_DIR

_E = TypeVar("_E", bound=Enum)

LAWS_CSV = DATA_DIR / "state_fertility_laws.csv"
COLUMNS = (
    "state",
    "state_name",
    "law_type",
    "ivf_included",
    "fertility_preservation",
    "statute",
    "summary",
    "summary_es",
    "source_url",
    "source_title",
    "checked_on",
)


class LawType(Enum):
    MANDATE_TO_COVER = "mandate_to_cover"
    MANDATE_TO_OFFER = "mandate_to_offer"
    # Covers freezing eggs, sperm or embryos before a treatment that may cause infertility, and
    # nothing for infertility itself: saying "covers infertility treatment" would overstate it.
    PRESERVATION_ONLY = "preservation_only"
    NO_LAW = "no_law"


class Coverage(Enum):
    """Whether the row's source says the law reaches a service; "unknown": it does not say."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StateLaw:
    state: str  # USPS code, e.g. "IL"
    state_name: str
    law_type: LawType
    ivf_included: Coverage
    fertility_preservation: Coverage
    statute: str  # "" for a state without a law
    summary: str  # one sentence, in English, our words
    summary_es: str  # the same sentence in Spanish, saying no more and no less
    source_url: str
    source_title: str
    checked_on: date

    @property
    def has_law(self) -> bool:
        return self.law_type is not LawType.NO_LAW

    def summary_in(self, language: str) -> tuple[str, str]:
        """The summary for a page in `language`, and the language it is written in (for `lang`)."""
        return (self.summary_es, "es") if language == "es" else (self.summary, "en")


class StateLawError(ValueError):
    """A row of the laws file that cannot be trusted, named by its line."""


def _enum(kind: type[_E], value: str, column: str, line: int) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise StateLawError(f"line {line}: unknown {column} {value!r} (expected one of: {allowed})") from None


def _row(raw: Mapping[str, str], line: int) -> StateLaw:
    values = {key: (raw.get(key) or "").strip() for key in COLUMNS}
    state = values["state"]
    if len(state) != 2 or not state.isalpha() or not state.isupper():
        raise StateLawError(f"line {line}: state must be a two-letter code, not {state!r}")
    law_type = _enum(LawType, values["law_type"], "law_type", line)
    for column in ("state_name", "summary", "summary_es", "source_url", "source_title"):
        if not values[column]:
            raise StateLawError(f"line {line}: {state} has no {column}; every row needs its source")
    if not values["source_url"].startswith(("https://", "http://")):
        raise StateLawError(f"line {line}: {state}'s source_url is not a web address: {values['source_url']!r}")
    if law_type is not LawType.NO_LAW and not values["statute"]:
        raise StateLawError(f"line {line}: {state} has a law but no statute citation")
    preservation_only = (values["fertility_preservation"], values["ivf_included"]) == ("yes", "no")
    if law_type is LawType.PRESERVATION_ONLY and not preservation_only:
        raise StateLawError(
            f"line {line}: {state} is preservation_only, so fertility_preservation must be yes and ivf_included no"
        )
    try:
        checked_on = date.fromisoformat(values["checked_on"])
    except ValueError:
        raise StateLawError(f"line {line}: {state}'s checked_on is not a date: {values['checked_on']!r}") from None
    return StateLaw(
        state=state,
        state_name=values["state_name"],
        law_type=law_type,
        ivf_included=_enum(Coverage, values["ivf_included"], "ivf_included", line),
        fertility_preservation=_enum(Coverage, values["fertility_preservation"], "fertility_preservation", line),
        statute=values["statute"],
        summary=values["summary"],
        summary_es=values["summary_es"],
        source_url=values["source_url"],
        source_title=values["source_title"],
        checked_on=checked_on,
    )


def load_laws(path: Path) -> dict[str, StateLaw]:
    """Every row of a laws file, by state; a bad row raises `StateLawError` naming its line."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise StateLawError(f"{path.name}: missing columns {', '.join(missing)}")
        laws: dict[str, StateLaw] = {}
        for raw in reader:
            law = _row(raw, reader.line_num)
            if law.state in laws:
                raise StateLawError(f"line {reader.line_num}: {law.state} appears twice")
            laws[law.state] = law
    return laws


@functools.cache
def all_laws() -> Mapping[str, StateLaw]:
    """The project's table, read once per process."""
    return load_laws(LAWS_CSV)


def state_law(state_code: str | None) -> StateLaw | None:
    """The checked law of a US state; None when we have not checked it."""
    if not state_code:
        return None
    return all_laws().get(state_code.strip().upper())


def laws_for_places(places: Iterable[tuple[str | None, str | None]]) -> tuple[StateLaw, ...]:
    """Each checked state among (country, region) pairs once, in first-seen order; US places only."""
    seen: dict[str, StateLaw] = {}
    for country, region in places:
        if country != "US" or not region:
            continue
        law = state_law(region)
        if law is not None and law.state not in seen:
            seen[law.state] = law
    return tuple(seen.values())
