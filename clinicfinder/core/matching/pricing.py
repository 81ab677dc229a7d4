"""A clinic's price for one treatment, set against the patient's budget.

Three kinds of price, always labelled: the clinic's own published price (converted to the
patient's currency at a dated rate), a typical-cost estimate with its source, or none.
Only a published price can rule a clinic out; an estimate only warns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from clinicfinder.core.domain import Treatment
from clinicfinder.core.matching.estimates import CostEstimate, CostReference
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
class PriceAssessment:
    kind: PriceKind
    fit: BudgetFit
    amount: Money | None = None  # the published price in the patient's currency
    original: Money | None = None  # the published price as the clinic gave it
    estimate: CostEstimate | None = None  # in the patient's currency
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
    estimate = costs.estimate(treatment, clinic.country)
    if estimate is None:
        return PriceAssessment(kind=PriceKind.NONE, fit=BudgetFit.NO_BUDGET if budget is None else BudgetFit.UNKNOWN)
    native_currency = estimate.figures[0].currency
    converted_estimate = estimate.converted(rates, currency)
    return PriceAssessment(
        kind=PriceKind.ESTIMATE,
        fit=_fit_estimate(converted_estimate, budget),
        estimate=converted_estimate,
        rate_as_of=None if native_currency == currency else rates.as_of,
    )


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
