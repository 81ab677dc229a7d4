"""CDC outcome figures and how a clinic compares with the national rate.

Pure standard library: the app, the worker and the build tools can all use it without Flask.
Rates here are proportions (0–1); the CSV (`data/cdc_outcomes.csv`) keeps CDC's percentages.
A yes/no cell (`unit` "yes_no") has no numeric value: see `library.Flag`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

# CDC prints a fraction instead of a rate when the denominator is under 20 ("Fractions are used
# when the denominator is less than 20", footer of the 2022 clinic summaries; the 2018 tables do
# the same). Below CDC's own threshold for a rate we do not rank a clinic against the nation either.
MIN_TRIALS = 20
Z_95 = 1.96


class Comparison(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    CONSISTENT = "consistent"
    TOO_FEW = "too_few"
    # No national figure of the clinic's own year and source is at hand (our 2022 copy has none):
    # never compared with another year's national figure instead.
    NO_NATIONAL = "no_national"


class NumeratorBasis(StrEnum):
    """How the numerator of a figure is known."""

    PUBLISHED = "published"  # CDC printed it (a count, or a fraction such as 3 / 8)
    # The only whole number k for which k / denominator rounds to the printed percentage: exact.
    RECONSTRUCTED = "reconstructed"
    # round(percentage × denominator) when several whole numbers fit the printed percentage
    # (large denominators): off by at most 0.05 % of the denominator.
    ROUNDED = "rounded"


@dataclass(frozen=True, slots=True)
class OutcomeFigure:
    """One published CDC figure: a clinic (or `national`), a year, a cohort and a measure."""

    clinic_id: str
    year: int
    egg_source: str
    patients: str
    age_band: str
    measure: str
    unit: str
    numerator: int | None
    denominator: int | None
    value: float | None
    suppressed: bool
    numerator_basis: NumeratorBasis | None
    source: str
    source_year: int

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> OutcomeFigure:
        """Read one row of `data/cdc_outcomes.csv`."""
        basis = row.get("numerator_basis", "")
        return cls(
            clinic_id=row["clinic_id"],
            year=int(row["year"]),
            egg_source=row["egg_source"],
            patients=row["patients"],
            age_band=row["age_band"],
            measure=row["measure"],
            unit=row["unit"],
            numerator=_optional_int(row["numerator"]),
            denominator=_optional_int(row["denominator"]),
            value=float(row["value"]) if row["value"] and row["unit"] != "yes_no" else None,
            suppressed=row["suppressed"] == "true",
            numerator_basis=NumeratorBasis(basis) if basis else None,
            source=row["source"],
            source_year=int(row["source_year"]),
        )

    @property
    def rate(self) -> float | None:
        """The proportion behind the figure, from counts when we have them, else CDC's percentage."""
        if self.numerator is not None and self.denominator:
            return self.numerator / self.denominator
        if self.value is not None and self.unit == "percent":
            return self.value / 100
        return None

    def interval(self, z: float = Z_95) -> tuple[float, float] | None:
        if self.suppressed or self.numerator is None or self.denominator is None:
            return None
        return wilson_interval(self.numerator, self.denominator, z)


def _optional_int(text: str) -> int | None:
    return int(text) if text else None


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion; None when there were no trials.

    Wilson rather than the normal approximation because it stays inside 0–1 and behaves at
    0 / n and n / n, which small clinics and old age bands produce all the time.
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} / {trials}")
    if trials == 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # The ends are exactly 0 and 1 at 0 / n and n / n; keep floating-point noise out.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == trials else min(1.0, centre + half_width)
    return low, high


def compare_to_national(
    successes: int | None,
    trials: int | None,
    national_rate: float,
    *,
    suppressed: bool = False,
    min_trials: int = MIN_TRIALS,
    z: float = Z_95,
) -> Comparison:
    """HFEA's manner: consistent when the clinic's 95 % interval holds the national rate.

    `national_rate` is a proportion (0.52 for CDC's "52.0%"). Suppressed cells, unknown counts
    and fewer than `min_trials` are too few to say anything.
    """
    if not 0.0 <= national_rate <= 1.0:
        raise ValueError(f"national_rate is a proportion (0–1), got {national_rate}")
    if suppressed or successes is None or trials is None or trials < min_trials:
        return Comparison.TOO_FEW
    interval = wilson_interval(successes, trials, z)
    if interval is None:
        return Comparison.TOO_FEW
    low, high = interval
    if low > national_rate:
        return Comparison.ABOVE
    if high < national_rate:
        return Comparison.BELOW
    return Comparison.CONSISTENT


def compare_figure(figure: OutcomeFigure, national: OutcomeFigure, *, min_trials: int = MIN_TRIALS) -> Comparison:
    """Compare a clinic's figure with the national one of the same year, cohort and measure."""
    keys = ("year", "egg_source", "patients", "age_band", "measure")
    if any(getattr(figure, key) != getattr(national, key) for key in keys):
        raise ValueError(f"{figure.clinic_id} and {national.clinic_id} are not the same figure")
    national_rate = national.rate
    if national_rate is None:
        raise ValueError(f"national {national.measure} {national.age_band} {national.year} has no rate")
    return compare_to_national(
        figure.numerator,
        figure.denominator,
        national_rate,
        suppressed=figure.suppressed,
        min_trials=min_trials,
    )
