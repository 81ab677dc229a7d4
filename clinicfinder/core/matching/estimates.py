"""Typical-cost estimates for clinics that publish no price, from `data/cost_reference.csv`.

Which published figure stands for which treatment in which country is decided here, in one
table (`ANCHORS`), following the "suggested anchors" of `data/cost_reference.md`. A figure is
never invented: where the reference has a gap, there is no estimate. Where an estimate is the
sum of separately published figures (e.g. IVF + the ICSI add-on), it says so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import N_
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.core.paths import DATA_DIR

DEFAULT_COST_FILE = DATA_DIR / "cost_reference.csv"

# The reference table writes the United Kingdom as "UK"; clinics use ISO "GB".
REFERENCE_COUNTRY = {"GB": "UK"}

CARROT_2023 = "get-carrot.com/blog/ivf-cost"
ELLE_UK = "elle.com.sg/life-culture/the-true-cost-of-fertility"
LAW_FIRM_UK = "louisaghevaertassociates.co.uk"
REPRODUCCION_2023 = "reproduccionasistida.org/precios"
INVITRA_2021 = "invitra.cat/preu-de-la-inseminacio-artificial"
CINCINNATI_IUI = "cincinnatif"
HFEA_VIA_HUFFPOST = "huffingtonpost.co.uk/entry/more-people-than-ever-are-looking-to-freeze"
ELPAIS_2023 = "english.elpais.com/health/2023-09-19"
EGG_FREEZING_2009 = "discovery.researcher.life"


# What each reference item is, as a patient reads it next to its source.
COST_ITEM_NAMES: Mapping[str, str] = {
    "ivf_cycle": N_("one IVF cycle"),
    "ivf_cycle_incl_meds": N_("one IVF cycle with medication"),
    "icsi_addon": N_("ICSI added to IVF"),
    "iui_donor_sperm": N_("insemination with donor sperm"),
    "donor_sperm_vial": N_("a vial of donor sperm"),
    "egg_donation_ivf": N_("IVF with donor eggs"),
    "egg_freezing_cycle": N_("one egg-freezing cycle"),
}


@dataclass(frozen=True)
class Anchor:
    cost_key: str
    source_contains: str


# (treatment, clinic country) -> the published figures that together estimate its cost.
ANCHORS: Mapping[tuple[Treatment, str], tuple[Anchor, ...]] = {
    (Treatment.IVF, "US"): (Anchor("ivf_cycle_incl_meds", CARROT_2023),),
    (Treatment.IVF, "GB"): (Anchor("ivf_cycle", ELLE_UK),),
    (Treatment.IVF, "ES"): (Anchor("ivf_cycle", REPRODUCCION_2023),),
    (Treatment.ICSI, "US"): (Anchor("ivf_cycle_incl_meds", CARROT_2023), Anchor("icsi_addon", CARROT_2023)),
    (Treatment.ICSI, "GB"): (Anchor("ivf_cycle", ELLE_UK), Anchor("icsi_addon", LAW_FIRM_UK)),
    (Treatment.DONOR_SPERM, "US"): (
        Anchor("iui_donor_sperm", CINCINNATI_IUI),
        Anchor("donor_sperm_vial", CARROT_2023),
    ),
    (Treatment.DONOR_SPERM, "ES"): (Anchor("iui_donor_sperm", INVITRA_2021),),
    (Treatment.EGG_DONATION, "US"): (Anchor("egg_donation_ivf", CARROT_2023),),
    (Treatment.FERTILITY_PRESERVATION, "US"): (Anchor("egg_freezing_cycle", EGG_FREEZING_2009),),
    (Treatment.FERTILITY_PRESERVATION, "GB"): (Anchor("egg_freezing_cycle", HFEA_VIA_HUFFPOST),),
    (Treatment.FERTILITY_PRESERVATION, "ES"): (Anchor("egg_freezing_cycle", ELPAIS_2023),),
}


@dataclass(frozen=True)
class CostFigure:
    """One published figure, as the reference table gives it."""

    cost_key: str
    country: str  # as the reference writes it ("US", "UK", "ES")
    low: Decimal | None
    typical: Decimal | None
    high: Decimal | None
    currency: str
    year: str
    includes: str
    source_title: str
    source_url: str


@dataclass(frozen=True)
class CostEstimate:
    """A typical cost in the clinic's currency: a range and/or a typical figure, with its sources."""

    low: Money | None
    typical: Money | None
    high: Money | None
    figures: tuple[CostFigure, ...]

    @property
    def is_sum(self) -> bool:
        return len(self.figures) > 1

    def converted(self, rates: ExchangeRates, currency: str) -> CostEstimate:
        def convert(money: Money | None) -> Money | None:
            return None if money is None else rates.convert_whole(money, currency)

        return CostEstimate(convert(self.low), convert(self.typical), convert(self.high), self.figures)


class CostReference:
    def __init__(self, figures: list[CostFigure]) -> None:
        self._figures = figures
        self._cache: dict[tuple[Treatment, str], CostEstimate | None] = {}

    @classmethod
    def load(cls, path: Path = DEFAULT_COST_FILE) -> CostReference:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        figures = [_figure(row) for row in rows if row["source_url"]]
        return cls(figures)

    def estimate(self, treatment: Treatment, country: str) -> CostEstimate | None:
        key = (treatment, country)
        if key not in self._cache:
            self._cache[key] = self._build(treatment, country)
        return self._cache[key]

    def _build(self, treatment: Treatment, country: str) -> CostEstimate | None:
        anchors = ANCHORS.get((treatment, country))
        if not anchors:
            return None
        reference_country = REFERENCE_COUNTRY.get(country, country)
        figures = []
        for anchor in anchors:
            matches = [
                figure
                for figure in self._figures
                if figure.cost_key == anchor.cost_key
                and anchor.source_contains in figure.source_url
                and figure.country == reference_country
            ]
            if len(matches) != 1:
                raise LookupError(f"cost anchor {anchor} for {country} matches {len(matches)} rows, expected 1")
            figures.append(matches[0])
        currency = figures[0].currency
        if any(figure.currency != currency for figure in figures):
            raise LookupError(f"cost anchors for {treatment} in {country} mix currencies")
        if len(figures) == 1:
            (figure,) = figures
            return CostEstimate(
                low=_money(figure.low, currency),
                typical=_money(figure.typical, currency),
                high=_money(figure.high, currency),
                figures=(figure,),
            )
        # A sum of parts: a part with only a typical figure counts it at both ends of the range.
        return CostEstimate(
            low=_sum([figure.low or figure.typical for figure in figures], currency),
            typical=_sum([figure.typical for figure in figures], currency),
            high=_sum([figure.high or figure.typical for figure in figures], currency),
            figures=tuple(figures),
        )


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount, currency)


def _sum(amounts: list[Decimal | None], currency: str) -> Money | None:
    # A sum is only as known as its least-known part.
    if any(amount is None for amount in amounts):
        return None
    return Money(sum((amount for amount in amounts if amount is not None), Decimal(0)), currency)


def _decimal(value: str) -> Decimal | None:
    value = value.strip()
    if not value or value == "unknown":
        return None
    return Decimal(value)


def _figure(row: Mapping[str, str]) -> CostFigure:
    return CostFigure(
        cost_key=row["treatment"],
        country=row["country"],
        low=_decimal(row["low"]),
        typical=_decimal(row["typical"]),
        high=_decimal(row["high"]),
        currency=row["currency"],
        year=row["year"],
        includes=row["includes"],
        source_title=row["source_title"],
        source_url=row["source_url"],
    )
