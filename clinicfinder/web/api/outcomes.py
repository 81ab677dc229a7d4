"""CDC outcome figures as the API shows them: rates in percent, with their year, source and comparison."""

from __future__ import annotations

from typing import Self

from pydantic import Field

from clinicfinder.core import outcomes
from clinicfinder.core.outcomes import BandOutcome, Comparison
from clinicfinder.web.api.base import ApiModel


def _percent(proportion: float | None) -> float | None:
    return None if proportion is None else round(100 * proportion, 1)


class SuccessRate(ApiModel):
    """Live births per intended egg retrieval, own eggs, all patients: one CDC age band, one year."""

    year: int = Field(description="CDC's reporting year; 2022's own-egg figures count cycles started in 2021.")
    cycles_started_in: int | None
    age_band: str = Field(description="CDC's label of the band (2018 has five bands, 2022 four).")
    suppressed: bool = Field(description="CDC withheld the figure: too few cycles to report. Never zero.")
    live_births: int | None
    intended_retrievals: int | None
    rate_percent: float | None
    interval_percent: tuple[float, float] | None = Field(description="95 % Wilson interval.")
    singleton_rate_percent: float | None
    national_rate_percent: float | None = Field(description="Same year, source and band; null when none is at hand.")
    comparison: Comparison
    source: str

    @classmethod
    def of(cls, value: BandOutcome) -> Self:
        single = value.singleton_live_births
        interval = value.interval
        return cls(
            year=value.year,
            cycles_started_in=value.cycles_started_in,
            age_band=value.age_band,
            suppressed=value.suppressed,
            live_births=value.numerator,
            intended_retrievals=value.denominator,
            rate_percent=_percent(value.rate),
            interval_percent=None if interval is None else (round(100 * interval[0], 1), round(100 * interval[1], 1)),
            singleton_rate_percent=None if single is None or single.suppressed else _percent(single.rate),
            national_rate_percent=None if value.national is None else _percent(value.national.rate),
            comparison=value.comparison,
            source=f"{value.source} {value.year}",
        )


class ShareFigure(ApiModel):
    percent: float | None = Field(description="Null when CDC withheld it (too few cycles), never zero.")
    too_few: bool
    year: int
    source: str

    @classmethod
    def of(cls, value: outcomes.Share | None) -> Self | None:
        if value is None:
            return None
        return cls(percent=_percent(value.rate), too_few=value.too_few, year=value.year, source=value.source)
