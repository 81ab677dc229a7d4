"""The patient's age question and the CDC age band each reporting year publishes.

One list of choices for the form, the API and the report; CDC's bands differ by year (2018:
five bands, 2022: four, ">40" covering both of our oldest choices), so the band *shown* is
always named with the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

# The age of the person whose eggs will be used. None (not given / "prefer not to say") is
# not a choice: with no age we show no single rate (see `ClinicRecord.success`).
AgeChoice = Literal["under_35", "35_37", "38_40", "41_42", "over_42"]
AGE_CHOICES: tuple[AgeChoice, ...] = get_args(AgeChoice)

# CDC's labels as `data/cdc_outcomes.csv` spells them (the 2018 dictionary writes "≥43").
BANDS_BY_YEAR: Mapping[int, Mapping[AgeChoice, str]] = {
    2018: {"under_35": "<35", "35_37": "35-37", "38_40": "38-40", "41_42": "41-42", "over_42": "≥43"},
    2022: {"under_35": "<35", "35_37": "35-37", "38_40": "38-40", "41_42": ">40", "over_42": ">40"},
}


def band_for(age_choice: AgeChoice, year: int) -> str | None:
    """CDC's band for the patient's age in that reporting year; None for a year we have no bands of."""
    bands = BANDS_BY_YEAR.get(year)
    return None if bands is None else bands[age_choice]


def band_is_wider(age_choice: AgeChoice, year: int) -> bool:
    """True when the band shown is wider than the patient's choice (2022's ">40" for 41–42 or 43+)."""
    bands = BANDS_BY_YEAR.get(year)
    if bands is None:
        return False
    band = bands[age_choice]
    return sum(1 for shown in bands.values() if shown == band) > 1
