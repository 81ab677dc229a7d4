"""The matching core on hand-made clinics: gates, unknowns, budgets, ranking, suggestions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.matching.criteria import Context, Outcome, QualityPolicy, evaluate
from clinicfinder.core.matching.engine import Exclusion, Matcher
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.core.matching.pricing import BudgetFit, PriceKind
from tests.support.matching import CDC, CDC_DATE, CLINIC_SAYS, TODAY, clinic, make_matcher, search, usd


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return make_matcher()


# --- gates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": ClinicStatus.CLOSED}, Exclusion.NOT_OPEN_OR_REPORTING),
        ({"outcomes": None}, Exclusion.NOT_OPEN_OR_REPORTING),
        ({"outcomes": Outcomes(2015, 500, CDC, date(2015, 12, 31))}, Exclusion.NOT_OPEN_OR_REPORTING),
        ({"verified_lab_accreditation": Fact(AccreditationStatus.PENDING, CDC, CDC_DATE)}, Exclusion.LAB_ACCREDITATION),
        ({"verified_lab_accreditation": Fact(AccreditationStatus.NO, CDC, CDC_DATE)}, Exclusion.LAB_ACCREDITATION),
        ({"verified_lab_accreditation": None}, Exclusion.LAB_ACCREDITATION),
        ({"outcomes": Outcomes(2022, 99, CDC, CDC_DATE)}, Exclusion.MINIMUM_VOLUME),
        ({"outcomes": Outcomes(2022, None, CDC, CDC_DATE)}, Exclusion.MINIMUM_VOLUME),
    ],
    ids=[
        "closed",
        "no-results",
        "stale-results",
        "lab-pending",
        "lab-no",
        "lab-unknown",
        "99-cycles",
        "cycles-unknown",
    ],
)
def test_a_clinic_failing_or_unknown_on_a_gate_is_not_listed(matcher: Matcher, changes, reason) -> None:
    # The data-age gate is off by default; here it is set, as an operator would (stale-results).
    strict = Matcher(matcher.rates, matcher.costs, QualityPolicy(max_outcome_age_years=5), today=lambda: TODAY)
    outcome = search(strict, [clinic(**changes), clinic("ok")])
    assert [r.clinic.id for r in outcome.results] == ["ok"]
    assert outcome.excluded == {reason: 1}


def test_a_named_accepted_lab_body_passes_the_accreditation_gate(matcher: Matcher) -> None:
    accredited = clinic(verified_lab_accreditation=None, accreditation_bodies=Fact(("CAP",), CLINIC_SAYS, TODAY))
    (result,) = search(matcher, [accredited]).results
    gate = next(c for c in result.criteria if c.code == "lab_accreditation")
    assert (gate.outcome, gate.detail) == (Outcome.MET, "Accredited by CAP.")
    assert gate.evidence[0].source == CLINIC_SAYS


def test_every_criterion_names_its_source_and_date(matcher: Matcher) -> None:
    (result,) = search(matcher, [clinic()]).results
    lab = next(c for c in result.criteria if c.code == "lab_accreditation")
    assert [(e.source, e.as_of) for e in lab.evidence] == [(CDC, CDC_DATE)]


# --- unknowns ------------------------------------------------------------------------


def test_unknown_facts_are_shown_as_unknown_and_earn_nothing(matcher: Matcher) -> None:
    context = Context(Treatment.IVF, "es", TODAY)
    results = {c.code: c for c in evaluate(clinic(sart_member=None), QualityPolicy(), context)}
    assert results["society_membership"].outcome is Outcome.UNKNOWN
    assert results["language"].outcome is Outcome.UNKNOWN
    assert results["language"].detail == "No sabemos si el personal habla español."  # the Spanish catalogue
    assert results["published_price"].outcome is Outcome.UNKNOWN


def test_treatment_not_confirmed_is_listed_as_ask_the_clinic_in_distance_order(matcher: Matcher) -> None:
    unconfirmed = clinic("unconfirmed", offers={})
    outcome = search(matcher, [unconfirmed, clinic("confirmed", km_north=10)])
    assert [r.clinic.id for r in outcome.results] == ["unconfirmed", "confirmed"]  # nearest first, no score
    ask = next(c for c in outcome.results[0].criteria if c.code == "treatment_confirmed")
    assert (ask.outcome, ask.detail) == (Outcome.UNKNOWN, "Not confirmed — ask the clinic.")
    assert outcome.results[0].availability is Availability.UNKNOWN


def test_a_clinic_that_says_it_does_not_offer_the_treatment_is_excluded(matcher: Matcher) -> None:
    refuses = clinic(offers={Treatment.IVF: Offer(Availability.NO, None, CLINIC_SAYS, TODAY)})
    outcome = search(matcher, [refuses])
    assert outcome.results == ()
    assert outcome.excluded == {Exclusion.TREATMENT_NOT_OFFERED: 1}


@pytest.mark.parametrize("treatment", [Treatment.TESE, Treatment.MICRO_TESE])
def test_sperm_retrieval_adds_the_male_factor_criterion(matcher: Matcher, treatment: Treatment) -> None:
    capable = clinic(
        offers={treatment: Offer(Availability.YES, None, CLINIC_SAYS, TODAY)},
        male_factor={
            MaleFactorCapability.REPRODUCTIVE_UROLOGIST: Fact(Availability.YES, CLINIC_SAYS, TODAY),
            MaleFactorCapability.MICRO_TESE: Fact(Availability.YES, CLINIC_SAYS, TODAY),
        },
    )
    (result,) = search(matcher, [capable], treatment=treatment).results
    male = next(c for c in result.criteria if c.code == "male_factor")
    assert male.outcome is Outcome.UNKNOWN  # sperm freezing and donor backup not known
    assert "Unknown: freezes sperm, donor sperm as a backup." in male.detail


def test_male_factor_criterion_does_not_apply_to_ivf(matcher: Matcher) -> None:
    (result,) = search(matcher, [clinic()]).results
    assert "male_factor" not in {c.code for c in result.criteria}


def test_a_male_factor_no_fails_the_criterion(matcher: Matcher) -> None:
    facts = {MaleFactorCapability.MICRO_TESE: Fact(Availability.NO, CLINIC_SAYS, TODAY)}
    context = Context(Treatment.MICRO_TESE, "en", TODAY)
    result = next(c for c in evaluate(clinic(male_factor=facts), QualityPolicy(), context) if c.code == "male_factor")
    assert result.outcome is Outcome.FAILED


# --- money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "source", "target", "expected"),
    [
        ("10000", "EUR", "USD", "11172.00"),  # ECB 2026-10-30: 1 EUR = 1.1172 USD
        ("11172", "USD", "EUR", "10000.00"),
        ("8338", "GBP", "USD", "11172.00"),  # via the euro: 1 EUR = 0.83380 GBP
        ("5000", "USD", "USD", "5000"),
    ],
)
def test_currency_conversion_uses_the_dated_ecb_rates(amount: str, source: str, target: str, expected: str) -> None:
    rates = ExchangeRates.load()
    assert rates.as_of == date(2026, 10, 30)
    assert rates.convert(Money(Decimal(amount), source), target).amount == Decimal(expected)


def test_a_published_price_in_euros_is_compared_with_a_dollar_budget(matcher: Matcher) -> None:
    priced = clinic(offers={Treatment.IVF: Offer(Availability.YES, Money(Decimal(10000), "EUR"), CLINIC_SAYS, TODAY)})
    (within,) = search(matcher, [priced], budget=usd(12000), currency="USD").results
    assert within.price.kind is PriceKind.PUBLISHED
    assert within.price.fit is BudgetFit.WITHIN
    assert within.price.amount == usd(11172)
    assert within.price.rate_as_of == date(2026, 10, 30)
    over = search(matcher, [priced], budget=usd(11000), currency="USD")
    assert over.results == ()
    assert over.excluded == {Exclusion.OVER_BUDGET: 1}


def test_without_a_published_price_the_estimate_is_shown_with_its_source(matcher: Matcher) -> None:
    (result,) = search(matcher, [clinic()], budget=usd(15000), currency="USD").results
    assert result.price.kind is PriceKind.ESTIMATE
    assert result.price.estimate is not None
    assert result.price.estimate.typical == usd(21600)
    assert "Carrot" in result.price.estimate.figures[0].source_title
    assert result.price.fit is BudgetFit.OVER  # a warning: estimates never exclude a clinic


def test_an_icsi_estimate_is_labelled_as_a_sum_of_published_figures(matcher: Matcher) -> None:
    icsi = clinic(offers={Treatment.ICSI: Offer(Availability.YES, None, CLINIC_SAYS, TODAY)})
    (result,) = search(matcher, [icsi], treatment=Treatment.ICSI, budget=usd(30000)).results
    estimate = result.price.estimate
    assert estimate is not None and estimate.is_sum
    # The base fee that says it excludes ICSI, not the all-in average that may already include it.
    assert [figure.cost_key for figure in estimate.figures] == ["ivf_cycle_excl_meds", "icsi_addon"]
    assert (estimate.low, estimate.high) == (usd(10000), usd(16000))
    assert result.price.fit is BudgetFit.WITHIN


def test_where_the_reference_has_a_gap_there_is_no_estimate(matcher: Matcher) -> None:
    tese = clinic(offers={Treatment.TESE: Offer(Availability.YES, None, CLINIC_SAYS, TODAY)})
    (result,) = search(matcher, [tese], treatment=Treatment.TESE, budget=usd(10000)).results
    assert (result.price.kind, result.price.fit) == (PriceKind.NONE, BudgetFit.UNKNOWN)


def test_excluding_unpriced_clinics_keeps_only_published_prices(matcher: Matcher) -> None:
    priced = clinic("priced", offers={Treatment.IVF: Offer(Availability.YES, usd(9000), CLINIC_SAYS, TODAY)})
    outcome = search(matcher, [priced, clinic("unpriced")], include_unpriced=False, budget=usd(10000))
    assert [r.clinic.id for r in outcome.results] == ["priced"]
    assert outcome.excluded == {Exclusion.NO_PUBLISHED_PRICE: 1}


# --- ranking -------------------------------------------------------------------------


def test_by_default_the_nearest_clinic_comes_first_and_says_so(matcher: Matcher) -> None:
    far, near = clinic("far", km_north=25), clinic("near", km_north=3)
    results = search(matcher, [far, near]).results
    assert [r.clinic.id for r in results] == ["near", "far"]
    assert results[0].explanation == "Nearest first: 3.0\xa0km away."


def test_ties_are_broken_by_distance_then_name_then_id(matcher: Matcher) -> None:
    twins = [clinic("b", name="Same"), clinic("a", name="Same"), clinic("z", name="Alpha"), clinic("far", km_north=5)]
    ranked = [r.clinic.id for r in search(matcher, twins).results]
    assert ranked == ["z", "a", "b", "far"]
    assert [r.rank for r in search(matcher, twins).results] == [1, 2, 3, 4]


def test_the_limit_keeps_the_best_and_the_total_counts_all(matcher: Matcher) -> None:
    outcome = search(matcher, [clinic(f"c{i}", km_north=i) for i in range(10)], limit=3)
    assert [r.clinic.id for r in outcome.results] == ["c0", "c1", "c2"]
    assert outcome.total == 10


# --- fewer than three ----------------------------------------------------------------


def test_fewer_than_three_says_why_and_how_many_a_wider_radius_adds(matcher: Matcher) -> None:
    clinics = [clinic("near", km_north=5), clinic("mid", km_north=80), clinic("far", km_north=200)]
    outcome = search(matcher, clinics, radius_km=50.0)
    assert outcome.fewer_than_enough
    assert outcome.explanation == "We looked at 1 clinic within 50\u00a0km; 1 fits."
    (wider,) = outcome.suggestions
    assert (wider.code, wider.added, wider.radius_km) == ("larger_radius", 1, 100.0)
    assert wider.message == "1 more clinic within 100\u00a0km"


def test_fewer_than_three_counts_what_a_higher_budget_would_add(matcher: Matcher) -> None:
    def priced(clinic_id: str, amount: int) -> ClinicFacts:
        return clinic(clinic_id, offers={Treatment.IVF: Offer(Availability.YES, usd(amount), CLINIC_SAYS, TODAY)})

    outcome = search(
        matcher, [priced("a", 9000), priced("b", 16000), priced("c", 18000), priced("d", 30000)], budget=usd(10000)
    )
    assert outcome.total == 1
    assert "3 over your budget" in (outcome.explanation or "")
    budget = next(s for s in outcome.suggestions if s.code == "higher_budget")
    assert (budget.added, budget.budget, budget.message) == (2, usd(18000), "2 more up to $18,000")


def test_fewer_than_three_counts_unconfirmed_clinics_when_they_were_left_out(matcher: Matcher) -> None:
    outcome = search(matcher, [clinic("a", offers={}), clinic("b", offers={})], include_unconfirmed=False)
    assert outcome.total == 0
    assert outcome.explanation == "We looked at 2 clinics within 50\u00a0km; none fits: 2 haven't confirmed IVF."
    (unconfirmed,) = outcome.suggestions
    assert unconfirmed.message == "2 more that may offer IVF but haven't confirmed it"


def test_enough_results_means_no_explanation(matcher: Matcher) -> None:
    outcome = search(matcher, [clinic(f"c{i}") for i in range(3)])
    assert outcome.explanation is None and outcome.suggestions == ()


def test_nothing_nearby_says_so(matcher: Matcher) -> None:
    outcome = search(matcher, [clinic(km_north=3000)], radius_km=50.0)
    assert outcome.explanation == "We found no clinics within 50\u00a0km of this place."
    assert outcome.suggestions[0].message == "1 more clinic anywhere"
