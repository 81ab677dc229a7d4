"""Typical-cost estimates say exactly what their sources say, one line per variant the patient can pick."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicfinder.core.domain import Availability, Treatment
from clinicfinder.core.i18n import text_for
from clinicfinder.core.matching.engine import Matcher
from clinicfinder.core.matching.estimates import (
    ANCHORS,
    COST_ITEM_NAMES,
    COST_LABELS,
    COVERS_NAMES,
    REFERENCE_COUNTRY,
    CostReference,
    Covers,
)
from clinicfinder.core.matching.facts import Offer
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.core.matching.pricing import BudgetFit, PriceKind
from tests.support.matching import CLINIC_SAYS, TODAY, clinic, make_matcher, search, usd

REFERENCE = CostReference.load()


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return make_matcher()


def variants(treatment: Treatment, country: str = "US") -> dict[str | None, tuple[str, ...] | None]:
    """Each variant's parts as (cost_key, label key) pairs, or None for "no reliable estimate"."""
    return {
        v.name: None if v.estimate is None else tuple(f"{p.figure.cost_key}:{p.item}" for p in v.estimate.parts)
        for v in REFERENCE.variants(treatment, country)
    }


def test_donor_sperm_with_iui_and_with_ivf_are_separate_lines_in_the_us() -> None:
    lines = variants(Treatment.DONOR_SPERM)
    assert lines == {
        "donor_sperm_iui": ("iui_donor_sperm:us_iui_donor_cycle", "donor_sperm_vial:us_donor_sperm"),
        "donor_sperm_ivf": None,  # the reference has no US IVF-with-donor-sperm figure
    }


def test_donor_sperm_with_iui_and_with_ivf_are_priced_apart_in_spain() -> None:
    (iui, ivf) = REFERENCE.variants(Treatment.DONOR_SPERM, "ES")
    assert iui.estimate and ivf.estimate
    assert (iui.estimate.low, iui.estimate.high) != (ivf.estimate.low, ivf.estimate.high)
    assert iui.estimate.figures[0].cost_key == "iui_donor_sperm"
    assert ivf.estimate.figures[0].cost_key == "ivf_donor_sperm"


def test_a_donor_sperm_search_shows_both_variants_and_only_the_iui_one_is_priced(matcher: Matcher) -> None:
    donor = clinic(offers={Treatment.DONOR_SPERM: Offer(Availability.YES, None, CLINIC_SAYS, TODAY)})
    (result,) = search(matcher, [donor], treatment=Treatment.DONOR_SPERM, budget=usd(3000)).results
    price = result.price
    assert price.kind is PriceKind.ESTIMATE and price.estimate is None  # no single figure stands for both
    iui, ivf = price.variants
    assert (iui.name, iui.fit) == ("donor_sperm_iui", BudgetFit.WITHIN)
    assert (ivf.name, ivf.estimate, ivf.fit) == ("donor_sperm_ivf", None, BudgetFit.UNKNOWN)
    # Over the variants with an estimate: the IVF line says "no reliable estimate" on its own.
    assert price.fit is BudgetFit.WITHIN


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("us_ivf_average", "average cost of one IVF cycle (egg collection and embryo transfer)"),
        (
            "us_donor_eggs",
            "donor eggs (the source does not say whether this is the donor fee only or the whole treatment)",
        ),
        ("us_donor_sperm", "donor sperm, excluding shipping and storage (the source does not say how many vials)"),
        (
            "us_egg_freezing_2009",
            "egg freezing for women with cancer: average price at 113 US centres in 2009 (excludes medication and "
            "long-term storage)",
        ),
    ],
)
def test_each_fixed_label_says_what_its_source_says(key: str, label: str) -> None:
    assert COST_ITEM_NAMES[key] == label


@pytest.mark.parametrize(
    "words", ["with medication", "a vial", "IVF with donor eggs", "per vial"], ids=lambda w: w.replace(" ", "-")
)
def test_no_label_claims_more_than_its_source(words: str) -> None:
    assert not any(words in label for label in COST_ITEM_NAMES.values())


@pytest.mark.parametrize(
    ("treatment", "country", "cost_key", "label"),
    [
        (Treatment.IVF, "US", "ivf_cycle_incl_meds", "us_ivf_average"),
        (Treatment.EGG_DONATION, "US", "egg_donation_ivf", "us_donor_eggs"),
        (Treatment.IVF, "GB", "ivf_cycle", "uk_ivf_round"),
        (Treatment.IVF, "ES", "ivf_cycle", "es_ivf_range"),
    ],
)
def test_each_treatment_is_estimated_by_its_labelled_row(
    treatment: Treatment, country: str, cost_key: str, label: str
) -> None:
    estimate = REFERENCE.estimate(treatment, country)
    assert estimate and [(p.figure.cost_key, p.item) for p in estimate.parts] == [(cost_key, label)]


def test_the_us_icsi_sum_adds_the_add_on_to_the_base_fee_that_excludes_icsi_not_to_the_all_in_average() -> None:
    estimate = REFERENCE.estimate(Treatment.ICSI, "US")
    assert estimate and estimate.is_sum
    base, icsi = estimate.figures
    assert (base.cost_key, icsi.cost_key) == ("ivf_cycle_excl_meds", "icsi_addon")
    assert "Excludes medications, ICSI" in base.includes
    assert (estimate.low, estimate.high) == (usd(10000), usd(16000))


def test_fertility_preservation_shows_egg_and_sperm_freezing_apart_and_never_prices_sperm_banking_as_egg_freezing() -> (
    None
):
    lines = variants(Treatment.FERTILITY_PRESERVATION)
    assert lines == {
        "egg_freezing": ("egg_freezing_cycle:us_egg_freezing_2009",),
        "sperm_freezing": ("sperm_freezing_initial:us_sperm_banking_2010",),
        "embryo_freezing": None,
    }
    sperm = {v.name: v.estimate for v in REFERENCE.variants(Treatment.FERTILITY_PRESERVATION, "US")}
    assert sperm["sperm_freezing"] and sperm["sperm_freezing"].high == usd(300)
    # In the UK and Spain no row prices sperm freezing: no estimate, not the egg figure.
    for country in ("GB", "ES"):
        assert variants(Treatment.FERTILITY_PRESERVATION, country)["sperm_freezing"] is None


@pytest.mark.parametrize("treatment", [Treatment.TESE, Treatment.MICRO_TESE])
@pytest.mark.parametrize("country", ["US", "GB", "ES"])
def test_tese_and_micro_tese_have_no_reliable_estimate(treatment: Treatment, country: str) -> None:
    assert REFERENCE.variants(treatment, country) == ()


@pytest.mark.parametrize(
    ("treatment", "country", "covers"),
    [
        (Treatment.IVF, "US", Covers.ONE_CYCLE),  # "Average cost of one IVF cycle"
        (Treatment.IVF, "GB", Covers.ONE_CYCLE),  # "one round of private IVF"
        (Treatment.IVF, "ES", Covers.NOT_STATED),
        (Treatment.EGG_DONATION, "US", Covers.NOT_STATED),
        (Treatment.ICSI, "US", Covers.NOT_STATED),  # the base fee's note does not say
    ],
)
def test_each_estimate_says_how_many_cycles_it_covers(treatment: Treatment, country: str, covers: Covers) -> None:
    estimate = REFERENCE.estimate(treatment, country)
    assert estimate and estimate.covers is covers


def test_a_figure_marked_as_one_cycle_comes_from_a_row_whose_note_says_one_cycle_or_round() -> None:
    for variants_ in ANCHORS.values():
        for variant in variants_:
            for anchor in variant.anchors:
                if anchor.covers is not Covers.ONE_CYCLE:
                    continue
                (figure,) = [
                    f
                    for f in REFERENCE._figures
                    if f.cost_key == anchor.cost_key and anchor.source_contains in f.source_url
                ]
                assert any(words in figure.includes.lower() for words in ("one ivf cycle", "one round", "cycle")), (
                    figure.includes
                )


def test_every_anchor_finds_exactly_one_row_and_every_label_is_translated() -> None:
    spanish = text_for("es")
    for (treatment, country), variants_ in ANCHORS.items():
        REFERENCE.variants(treatment, country)  # raises when an anchor matches no row or several
        assert REFERENCE_COUNTRY.get(country, country)
        for variant in variants_:
            keys = [variant.name] if variant.name else []
            keys += [anchor.item for anchor in variant.anchors]
            for key in keys:
                assert spanish.gettext(COST_LABELS[key]) != COST_LABELS[key], key
    for label in COVERS_NAMES.values():
        assert spanish.gettext(label) != label


def test_a_conversion_keeps_the_parts_and_what_they_cover() -> None:
    estimate = REFERENCE.estimate(Treatment.IVF, "US")
    assert estimate
    converted = estimate.converted(ExchangeRates.load(), "EUR")
    assert converted.parts == estimate.parts and converted.covers is Covers.ONE_CYCLE
    assert converted.typical and converted.typical.currency == "EUR" and converted.typical.amount > Decimal(0)
