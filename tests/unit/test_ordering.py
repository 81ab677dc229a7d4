"""The orders a patient can choose, on hand-made clinics: one published fact at a time, ties by distance."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clinicfinder.core.domain import Availability, MaleFactorCapability, Treatment
from clinicfinder.core.matching.criteria import Outcome
from clinicfinder.core.matching.engine import Exclusion, Matcher
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer
from clinicfinder.core.outcomes import (
    BandOutcome,
    ClinicRecord,
    Comparison,
    OutcomeFigure,
    YearReport,
    wilson_interval,
)
from tests.support.matching import CDC, CDC_DATE, CLINIC_SAYS, TODAY, clinic, make_matcher, search, usd

SOURCE = "CDC 2018 ART clinic tables"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return make_matcher()


def figure(births: int | None, retrievals: int | None, *, suppressed: bool = False) -> OutcomeFigure:
    value = None if births is None or not retrievals else 100 * births / retrievals
    return OutcomeFigure(
        clinic_id="x", year=2018, egg_source="own", patients="all", age_band="<35",
        measure="live_births_per_intended_retrieval", unit="percent", numerator=births, denominator=retrievals,
        value=value, suppressed=suppressed, numerator_basis=None, source=SOURCE, source_year=2018,
    )  # fmt: skip


def with_rate(facts: ClinicFacts, births: int | None, retrievals: int | None, *, cycles: int = 500) -> ClinicFacts:
    """A clinic whose 2018 rate for the under-35 band is births / retrievals, and `cycles` a year in 2020–2022."""
    live = figure(births, retrievals, suppressed=births is None)
    interval = None if births is None or not retrievals else wilson_interval(births, retrievals)
    comparison = Comparison.TOO_FEW if interval is None or (retrievals or 0) < 20 else Comparison.CONSISTENT
    band = BandOutcome(2018, "<35", live, None, interval, None, comparison)
    history = tuple(YearReport(year, "Open", cycles, facts.name, CDC) for year in (2020, 2021, 2022))
    return replace(facts, cdc=ClinicRecord(facts.id, bands={2018: {"<35": band}}, history=history))


def ids(outcome: object) -> list[str]:
    return [r.clinic.id for r in outcome.results]  # type: ignore[attr-defined]  # callers pass a SearchOutcome


def test_success_order_ranks_by_the_lower_end_of_the_interval_so_two_of_three_does_not_top_the_list(
    matcher: Matcher,
) -> None:
    tiny = with_rate(clinic("tiny", km_north=1), 2, 3)  # 67 %, but 3 retrievals: too few to rank
    large = with_rate(clinic("large", km_north=9), 450, 1000)  # 45 %, interval 42–48 %
    mid = with_rate(clinic("mid", km_north=5), 60, 120)  # 50 %, interval 41–59 %
    unknown = clinic("unknown", km_north=2)  # no CDC figure at all
    outcome = search(matcher, [tiny, large, mid, unknown], order="success", age_band="under_35")
    assert ids(outcome) == ["large", "mid", "tiny", "unknown"]  # without a usable rate: after, nearest first
    assert outcome.results[0].explanation.startswith("By the lower end of its success range for your age: 41.9%")
    assert outcome.results[2].explanation.startswith("No success rate for your age with enough cycles")


def test_success_order_without_an_age_keeps_distance_and_says_why(matcher: Matcher) -> None:
    near, far = with_rate(clinic("near", km_north=1), 10, 100), with_rate(clinic("far", km_north=8), 90, 100)
    outcome = search(matcher, [far, near], order="success")
    assert ids(outcome) == ["near", "far"]
    assert outcome.results[0].explanation.startswith("Tell us the age band to sort by success rate")
    assert outcome.results[0].success is None


def test_experience_order_uses_the_three_year_mean_and_ties_fall_back_to_distance(matcher: Matcher) -> None:
    busy = with_rate(clinic("busy", km_north=9), 10, 100, cycles=3000)
    tied_far = with_rate(clinic("tied-far", km_north=6), 10, 100, cycles=800)
    tied_near = with_rate(clinic("tied-near", km_north=3), 10, 100, cycles=800)
    outcome = search(matcher, [tied_far, busy, tied_near], order="experience")
    assert ids(outcome) == ["busy", "tied-near", "tied-far"]
    assert outcome.results[0].explanation == "By cycles a year: 3,000 on average (CDC)."


def test_price_order_puts_published_prices_first_cheapest_first(matcher: Matcher) -> None:
    def priced(clinic_id: str, amount: int | None, km: float) -> ClinicFacts:
        price = None if amount is None else usd(amount)
        return clinic(
            clinic_id, km_north=km, offers={Treatment.IVF: Offer(Availability.YES, price, CLINIC_SAYS, TODAY)}
        )

    outcome = search(matcher, [priced("none", None, 1), priced("dear", 18000, 2), priced("cheap", 12000, 9)],
                     order="price")  # fmt: skip
    assert ids(outcome) == ["cheap", "dear", "none"]
    assert outcome.results[2].explanation == "No published price: after those with one, nearest first."


def test_show_all_pages_through_every_clinic_that_fits(matcher: Matcher) -> None:
    clinics = [clinic(f"c{i:02}", km_north=i) for i in range(25)]
    first = search(matcher, clinics, limit=20)
    second = search(matcher, clinics, limit=20, offset=20)
    assert (first.total, len(first.results), first.has_more) == (25, 20, True)
    assert (len(second.results), second.has_more) == (5, False)
    assert [r.rank for r in second.results] == [21, 22, 23, 24, 25]
    assert set(ids(first)).isdisjoint(ids(second))


def test_clinics_that_did_not_pass_are_listed_nearest_first_with_their_reason(matcher: Matcher) -> None:
    # clinic() always sets outcomes, so it is not None here
    small = clinic("small", km_north=4, cdc=None, outcomes=replace(clinic().outcomes, total_cycles=40))  # type: ignore[type-var]
    refuses = clinic("refuses", km_north=2, offers={Treatment.IVF: Offer(Availability.NO, None, CLINIC_SAYS, TODAY)})
    outcome = search(matcher, [small, refuses, clinic("ok")])
    assert ids(outcome) == ["ok"]
    assert [(x.id, x.reason) for x in outcome.excluded_clinics] == [
        ("refuses", Exclusion.TREATMENT_NOT_OFFERED),
        ("small", Exclusion.MINIMUM_VOLUME),
    ]
    assert outcome.exclusion_reason(Exclusion.MINIMUM_VOLUME) == "below our minimum number of cycles (or unknown)"


def test_an_unverified_claim_is_shown_but_changes_neither_order_nor_filters(matcher: Matcher) -> None:
    claim = Offer(Availability.YES, usd(9000), "Clinic-reported", TODAY)
    claimant = clinic("claimant", km_north=8, offers={}, pending_offers={Treatment.MICRO_TESE: claim})
    near = clinic("near", km_north=1, offers={})
    outcome = search(matcher, [claimant, near], treatment=Treatment.MICRO_TESE, order="price")
    assert ids(outcome) == ["near", "claimant"]  # its unverified price does not put it first
    confirmed = next(c for c in outcome.results[1].criteria if c.code == "treatment_confirmed")
    assert (confirmed.outcome, confirmed.detail) == (Outcome.UNKNOWN, "Clinic-reported, not yet verified: offers it.")
    only_confirmed = search(matcher, [claimant, near], treatment=Treatment.MICRO_TESE, include_unconfirmed=False)
    assert only_confirmed.results == ()  # nor does its unverified "yes" pass the confirmed-only filter


def test_a_verified_claim_counts(matcher: Matcher) -> None:
    verified = Offer(Availability.YES, usd(9000), "Clinic-reported, verified by ClinicFinder", TODAY)
    claimant = clinic("claimant", km_north=8, offers={Treatment.MICRO_TESE: verified})
    outcome = search(matcher, [claimant, clinic("near", km_north=1, offers={})], treatment=Treatment.MICRO_TESE,
                     order="price")  # fmt: skip
    assert ids(outcome) == ["claimant", "near"]


def test_unverified_male_factor_claims_are_reported_apart(matcher: Matcher) -> None:
    pending = {MaleFactorCapability.MICRO_TESE: Fact(Availability.YES, "Clinic-reported", TODAY)}
    facts = clinic(offers={Treatment.TESE: Offer(Availability.YES, None, CDC, CDC_DATE)}, pending_male_factor=pending)
    (result,) = search(matcher, [facts], treatment=Treatment.TESE).results
    male = next(c for c in result.criteria if c.code == "male_factor")
    assert male.outcome is Outcome.UNKNOWN
    assert "Clinic-reported, not yet verified: performs micro-TESE." in male.detail


def test_us_clinics_are_not_shown_as_unknown_for_english(matcher: Matcher) -> None:
    (english,) = search(matcher, [clinic()], language="en").results
    (spanish,) = search(matcher, [clinic()], language="es").results
    assert "language" not in {c.code for c in english.criteria}
    assert "language" in {c.code for c in spanish.criteria}


def test_cdc_fertility_preservation_flags_do_not_claim_sperm_banking(matcher: Matcher) -> None:
    facts = clinic(offers={Treatment.FERTILITY_PRESERVATION: Offer(Availability.YES, None, CDC, CDC_DATE)})
    (result,) = search(matcher, [facts], treatment=Treatment.FERTILITY_PRESERVATION).results
    confirmed = next(c for c in result.criteria if c.code == "treatment_confirmed")
    assert confirmed.detail == "CDC lists egg or embryo freezing here; ask whether they bank sperm."
    assert "The clinic itself" not in confirmed.why_it_matters


def test_iso_9001_is_not_accepted_as_a_lab_accreditation(matcher: Matcher) -> None:
    iso = clinic(verified_lab_accreditation=None, accreditation_bodies=Fact(("ISO 9001",), CLINIC_SAYS, TODAY))
    outcome = search(matcher, [iso])
    assert outcome.excluded == {Exclusion.LAB_ACCREDITATION: 1}
