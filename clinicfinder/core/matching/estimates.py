"""Typical-cost estimates for clinics that publish no price, from `data/cost_reference.csv`.

Which published figure stands for which treatment in which country is decided here, in one
table (`ANCHORS`). A treatment the patient may get in more than one way (donor sperm with IUI or
with IVF; egg, sperm or embryo freezing) has one line per variant, each priced only by a row that
prices that variant, or "no reliable estimate". A figure is never invented: where the reference
has a gap, there is no estimate. Where an estimate is the sum of separately published figures,
it says so, and each part is named as its source names it.
"""

from __future__ import annotations

import csv
import enum
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
INVITRA_IVF_DONOR_2016 = "invitra.com/donor-sperm-ivf-cost-in-spain"
CINCINNATI_IUI = "cincinnatif"
HFEA_VIA_HUFFPOST = "huffingtonpost.co.uk/entry/more-people-than-ever-are-looking-to-freeze"
ELPAIS_2023 = "english.elpais.com/health/2023-09-19"
EGG_FREEZING_2009 = "discovery.researcher.life"
ONCOLINK_2010 = "oncolink.org"


class Covers(enum.StrEnum):
    """How many treatment cycles a figure covers, as its source says (or does not)."""

    ONE_CYCLE = "one_cycle"
    NOT_STATED = "not_stated"


# What each figure is, as a patient reads it next to its source: the source's own words, no more.
COST_ITEM_NAMES: Mapping[str, str] = {
    "us_ivf_average": N_("average cost of one IVF cycle (egg collection and embryo transfer)"),
    "us_ivf_base_fee": N_(
        "IVF clinic base fee (excludes medication, ICSI, genetic testing, embryo freezing and donor eggs or sperm)"
    ),
    "us_icsi_addon": N_("ICSI added to an IVF cycle"),
    "uk_ivf_round": N_(
        "average cost of one round of private IVF, with preliminary testing, consultations, egg storage and transfer"
    ),
    "uk_icsi_addon": N_("ICSI in addition to IVF treatment (average cost)"),
    "es_ivf_range": N_("private-clinic IVF price range (what is included varies by clinic)"),
    "us_iui_donor_cycle": N_("donor-sperm IUI treatment cycle, excluding the sperm, which is bought from a bank"),
    "us_donor_sperm": N_("donor sperm, excluding shipping and storage (the source does not say how many vials)"),
    "es_iui_donor": N_("insemination with donor sperm at a private clinic (what is included is not stated)"),
    "es_ivf_donor": N_(
        "IVF with donor sperm (fees usually include donor compensation, donor screening and sperm freezing)"
    ),
    "us_donor_eggs": N_(
        "donor eggs (the source does not say whether this is the donor fee only or the whole treatment)"
    ),
    "us_egg_freezing_2009": N_(
        "egg freezing for women with cancer: average price at 113 US centres in 2009 (excludes medication and "
        "long-term storage)"
    ),
    "us_sperm_banking_2010": N_("sperm banking (collection and freezing); a yearly storage fee is extra"),
    "uk_egg_freezing_hfea": N_("average cost of having eggs collected and frozen (excludes medication and storage)"),
    "es_egg_freezing": N_("egg freezing in Spain, as one newspaper reports it"),
}

# The line a variant is shown on, when a treatment has more than one.
VARIANT_NAMES: Mapping[str, str] = {
    "donor_sperm_iui": N_("Donor sperm with IUI"),
    "donor_sperm_ivf": N_("Donor sperm with IVF"),
    "egg_freezing": N_("Egg freezing"),
    "sperm_freezing": N_("Sperm freezing"),
    "embryo_freezing": N_("Embryo freezing"),
}

COVERS_NAMES: Mapping[str, str] = {
    Covers.ONE_CYCLE: N_("for one cycle"),
    Covers.NOT_STATED: N_("the source does not say how many cycles this covers"),
}

# Every label an estimate is shown with, for templates: items, variants and "how many cycles".
COST_LABELS: Mapping[str, str] = {**COST_ITEM_NAMES, **VARIANT_NAMES, **COVERS_NAMES}


@dataclass(frozen=True)
class Anchor:
    cost_key: str
    source_contains: str
    item: str  # a key of COST_ITEM_NAMES
    covers: Covers = Covers.NOT_STATED  # as the row's own note says


@dataclass(frozen=True)
class Variant:
    name: str | None  # a key of VARIANT_NAMES; None when the treatment has one way
    anchors: tuple[Anchor, ...] = ()  # () means "no reliable estimate"


def _one(*anchors: Anchor) -> tuple[Variant, ...]:
    return (Variant(None, anchors),)


# (treatment, clinic country) -> its variants, each with the published figures that estimate it.
# TESE and micro-TESE have none anywhere: the only US row is one urologist's anecdotal high
# (~$8,000, procedure type not stated), and every other TESE / micro-TESE row is a gap.
ANCHORS: Mapping[tuple[Treatment, str], tuple[Variant, ...]] = {
    (Treatment.IVF, "US"): _one(Anchor("ivf_cycle_incl_meds", CARROT_2023, "us_ivf_average", Covers.ONE_CYCLE)),
    (Treatment.IVF, "GB"): _one(Anchor("ivf_cycle", ELLE_UK, "uk_ivf_round", Covers.ONE_CYCLE)),
    (Treatment.IVF, "ES"): _one(Anchor("ivf_cycle", REPRODUCCION_2023, "es_ivf_range")),
    # Not the $21,600 all-in average plus ICSI: that average may already include ICSI. The base
    # fee of the same table says it excludes ICSI, so base fee + add-on is a sum of separate parts.
    (Treatment.ICSI, "US"): _one(
        Anchor("ivf_cycle_excl_meds", CARROT_2023, "us_ivf_base_fee"),
        Anchor("icsi_addon", CARROT_2023, "us_icsi_addon", Covers.ONE_CYCLE),
    ),
    (Treatment.ICSI, "GB"): _one(
        Anchor("ivf_cycle", ELLE_UK, "uk_ivf_round", Covers.ONE_CYCLE),
        Anchor("icsi_addon", LAW_FIRM_UK, "uk_icsi_addon"),
    ),
    (Treatment.DONOR_SPERM, "US"): (
        Variant(
            "donor_sperm_iui",
            (
                Anchor("iui_donor_sperm", CINCINNATI_IUI, "us_iui_donor_cycle", Covers.ONE_CYCLE),
                Anchor("donor_sperm_vial", CARROT_2023, "us_donor_sperm"),
            ),
        ),
        Variant("donor_sperm_ivf"),  # gap: no US IVF-with-donor-sperm total
    ),
    (Treatment.DONOR_SPERM, "ES"): (
        Variant("donor_sperm_iui", (Anchor("iui_donor_sperm", INVITRA_2021, "es_iui_donor"),)),
        Variant("donor_sperm_ivf", (Anchor("ivf_donor_sperm", INVITRA_IVF_DONOR_2016, "es_ivf_donor"),)),
    ),
    (Treatment.EGG_DONATION, "US"): _one(Anchor("egg_donation_ivf", CARROT_2023, "us_donor_eggs")),
    # Mayo's sperm row is a yearly storage fee only ("initial freezing fee not stated"); OncoLink prices the banking.
    (Treatment.FERTILITY_PRESERVATION, "US"): (
        Variant("egg_freezing", (Anchor("egg_freezing_cycle", EGG_FREEZING_2009, "us_egg_freezing_2009"),)),
        Variant("sperm_freezing", (Anchor("sperm_freezing_initial", ONCOLINK_2010, "us_sperm_banking_2010"),)),
        Variant("embryo_freezing"),
    ),
    (Treatment.FERTILITY_PRESERVATION, "GB"): (
        Variant("egg_freezing", (Anchor("egg_freezing_cycle", HFEA_VIA_HUFFPOST, "uk_egg_freezing_hfea"),)),
        Variant("sperm_freezing"),
        Variant("embryo_freezing"),
    ),
    (Treatment.FERTILITY_PRESERVATION, "ES"): (
        Variant("egg_freezing", (Anchor("egg_freezing_cycle", ELPAIS_2023, "es_egg_freezing"),)),
        Variant("sperm_freezing"),
        Variant("embryo_freezing"),
    ),
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
class EstimatePart:
    figure: CostFigure
    item: str  # a key of COST_ITEM_NAMES
    covers: Covers


@dataclass(frozen=True)
class CostEstimate:
    """A typical cost in the clinic's currency: a range and/or a typical figure, with its sources."""

    low: Money | None
    typical: Money | None
    high: Money | None
    parts: tuple[EstimatePart, ...]

    @property
    def figures(self) -> tuple[CostFigure, ...]:
        return tuple(part.figure for part in self.parts)

    @property
    def is_sum(self) -> bool:
        return len(self.parts) > 1

    @property
    def covers(self) -> Covers:
        """One cycle only when every part says so."""
        if all(part.covers is Covers.ONE_CYCLE for part in self.parts):
            return Covers.ONE_CYCLE
        return Covers.NOT_STATED

    def converted(self, rates: ExchangeRates, currency: str) -> CostEstimate:
        def convert(money: Money | None) -> Money | None:
            return None if money is None else rates.convert_whole(money, currency)

        return CostEstimate(convert(self.low), convert(self.typical), convert(self.high), self.parts)


@dataclass(frozen=True)
class VariantEstimate:
    """One way of having the treatment, with its estimate or none ("no reliable estimate")."""

    name: str | None  # a key of VARIANT_NAMES
    estimate: CostEstimate | None


class CostReference:
    def __init__(self, figures: list[CostFigure]) -> None:
        self._figures = figures
        self._cache: dict[tuple[Treatment, str], tuple[VariantEstimate, ...]] = {}

    @classmethod
    def load(cls, path: Path = DEFAULT_COST_FILE) -> CostReference:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        figures = [_figure(row) for row in rows if row["source_url"]]
        return cls(figures)

    def variants(self, treatment: Treatment, country: str) -> tuple[VariantEstimate, ...]:
        """Every variant, or () when the treatment has no estimate of any kind in this country."""
        key = (treatment, country)
        if key not in self._cache:
            found = tuple(
                VariantEstimate(variant.name, self._build(treatment, country, variant.anchors))
                for variant in ANCHORS.get(key, ())
            )
            self._cache[key] = found if any(v.estimate for v in found) else ()
        return self._cache[key]

    def estimate(self, treatment: Treatment, country: str) -> CostEstimate | None:
        """The estimate of a treatment that has one variant."""
        variants = self.variants(treatment, country)
        return variants[0].estimate if len(variants) == 1 else None

    def _build(self, treatment: Treatment, country: str, anchors: tuple[Anchor, ...]) -> CostEstimate | None:
        if not anchors:
            return None
        reference_country = REFERENCE_COUNTRY.get(country, country)
        parts = []
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
            parts.append(EstimatePart(matches[0], anchor.item, anchor.covers))
        figures = [part.figure for part in parts]
        currency = figures[0].currency
        if any(figure.currency != currency for figure in figures):
            raise LookupError(f"cost anchors for {treatment} in {country} mix currencies")
        if len(figures) == 1:
            (figure,) = figures
            return CostEstimate(
                low=_money(figure.low, currency),
                typical=_money(figure.typical, currency),
                high=_money(figure.high, currency),
                parts=tuple(parts),
            )
        # A sum of parts: a part with only a typical figure counts it at both ends of the range.
        return CostEstimate(
            low=_sum([figure.low or figure.typical for figure in figures], currency),
            typical=_sum([figure.typical for figure in figures], currency),
            high=_sum([figure.high or figure.typical for figure in figures], currency),
            parts=tuple(parts),
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
