"""A clinic's price for one treatment, set against the patient's budget.

Three kinds of price, always labelled: the clinic's own published price (converted to the
patient's currency at a dated rate), a typical-cost estimate with its source, or none.
Only a published price can rule a clinic out; an estimate only warns. A treatment with several
variants (donor sperm with IUI or IVF) has one estimate and one budget fit per variant.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from clinicfinder.core.domain import Treatment
from clinicfinder.core.matching.estimates import CostEstimate, CostReference, VariantEstimate
from clinicfinder.core.matching.facts import ClinicFacts
from clinicfinder.core.matching.money import ExchangeRates, Money


class PriceKind(enum.StrEnum):
    PUBLISHED = "published"
    ESTIMATE = "estimate"
    NONE = "none"


class BudgetFit(enum.StrEnum):
    WITHIN = "within"
    OVER = "over"
    MAY_EXCEED = "may_exceed"  # an estimated range that straddles the budget
    NO_BUDGET = "no_budget"
    UNKNOWN = "unknown"  # no price and no estimate


@dataclass(frozen=True)
class VariantPrice:
    """One variant's typical cost in the patient's currency, or none ("no reliable estimate")."""

    name: str | None  # a key of estimates.VARIANT_NAMES
    estimate: CostEstimate | None
    fit: BudgetFit
    amount: None = None  # never a published price: lets templates treat it like a PriceAssessment


@dataclass(frozen=True)
class PriceAssessment:
    kind: PriceKind
    fit: BudgetFit
    amount: Money | None = None  # the published price in the patient's currency
    original: Money | None = None  # the published price as the clinic gave it
    estimate: CostEstimate | None = None  # in the patient's currency, when the treatment has one variant
    variants: tuple[VariantPrice, ...] = ()  # every variant's estimate (one, for most treatments)
    source: str | None = None
    as_of: date | None = None
    rate_as_of: date | None = None  # set when a conversion was needed


def assess_price(
    clinic: ClinicFacts,
    treatment: Treatment,
    budget: Money | None,
    currency: str,
    rates: ExchangeRates,
    costs: CostReference,
) -> PriceAssessment:
    offer = clinic.offers.get(treatment)
    if offer is not None and offer.price is not None:
        converted = rates.convert_whole(offer.price, currency)
        return PriceAssessment(
            kind=PriceKind.PUBLISHED,
            fit=_fit_amount(converted, budget),
            amount=converted,
            original=offer.price,
            source=offer.source,
            as_of=offer.as_of,
            rate_as_of=None if offer.price.currency == currency else rates.as_of,
        )
    variants = costs.variants(treatment, clinic.country)
    if not variants:
        return PriceAssessment(kind=PriceKind.NONE, fit=BudgetFit.NO_BUDGET if budget is None else BudgetFit.UNKNOWN)
    native_currency = next(v.estimate for v in variants if v.estimate).figures[0].currency
    priced = tuple(_variant_price(v, budget, rates, currency) for v in variants)
    return PriceAssessment(
        kind=PriceKind.ESTIMATE,
        fit=_overall_fit([v.fit for v in priced]),
        estimate=priced[0].estimate if len(priced) == 1 else None,
        variants=priced,
        rate_as_of=None if native_currency == currency else rates.as_of,
    )


def _variant_price(variant: VariantEstimate, budget: Money | None, rates: ExchangeRates, currency: str) -> VariantPrice:
    if variant.estimate is None:
        return VariantPrice(variant.name, None, BudgetFit.NO_BUDGET if budget is None else BudgetFit.UNKNOWN)
    estimate = variant.estimate.converted(rates, currency)
    return VariantPrice(variant.name, estimate, _fit_estimate(estimate, budget))


def _overall_fit(fits: list[BudgetFit]) -> BudgetFit:
    # Over the variants that have an estimate: a variant without one says so on its own line, and
    # must not make the whole treatment read as "typical cost above your budget".
    known: set[BudgetFit] = {fit for fit in fits if fit is not BudgetFit.UNKNOWN}
    if not known:
        return BudgetFit.UNKNOWN
    return known.pop() if len(known) == 1 else BudgetFit.MAY_EXCEED


def _fit_amount(amount: Money, budget: Money | None) -> BudgetFit:
    if budget is None:
        return BudgetFit.NO_BUDGET
    return BudgetFit.WITHIN if amount.amount <= budget.amount else BudgetFit.OVER


def _fit_estimate(estimate: CostEstimate, budget: Money | None) -> BudgetFit:
    if budget is None:
        return BudgetFit.NO_BUDGET
    if estimate.typical is not None:
        return _fit_amount(estimate.typical, budget)
    if estimate.high is not None and estimate.high.amount <= budget.amount:
        return BudgetFit.WITHIN
    if estimate.low is not None and estimate.low.amount > budget.amount:
        return BudgetFit.OVER
    return BudgetFit.MAY_EXCEED
