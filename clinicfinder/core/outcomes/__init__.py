"""CDC outcome figures per clinic, how a clinic compares with the national rate, and its history.

Pure standard library: the app, the worker and the build tools can all use it without Flask.
`figures` holds one published figure and the statistics; `ages` the patient's age question and
CDC's bands; `library` reads `data/cdc_outcomes.csv` and `data/cdc_history.csv` into one
`ClinicRecord` per clinic.
"""

from __future__ import annotations

from clinicfinder.core.outcomes.ages import AGE_CHOICES, BANDS_BY_YEAR, AgeChoice, band_for, band_is_wider
from clinicfinder.core.outcomes.figures import (
    MIN_TRIALS,
    Z_95,
    Comparison,
    NumeratorBasis,
    OutcomeFigure,
    compare_figure,
    compare_to_national,
    wilson_interval,
)
from clinicfinder.core.outcomes.library import (
    CDC_SOURCE,
    CYCLES_STARTED_IN,
    BandOutcome,
    ClinicRecord,
    Flag,
    OutcomeLibrary,
    Share,
    YearReport,
    cdc_page_url,
    clinic_number,
    outcome_library,
)

__all__ = [
    "AGE_CHOICES",
    "BANDS_BY_YEAR",
    "CDC_SOURCE",
    "CYCLES_STARTED_IN",
    "MIN_TRIALS",
    "Z_95",
    "AgeChoice",
    "BandOutcome",
    "ClinicRecord",
    "Comparison",
    "Flag",
    "NumeratorBasis",
    "OutcomeFigure",
    "OutcomeLibrary",
    "Share",
    "YearReport",
    "band_for",
    "band_is_wider",
    "cdc_page_url",
    "clinic_number",
    "compare_figure",
    "compare_to_national",
    "outcome_library",
    "wilson_interval",
]
