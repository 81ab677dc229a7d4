"""The orders a patient can choose for the clinics that fit, and the one sentence that says why.

No composite score: each order sorts by one published fact, and ties (or a missing fact) fall
back to distance, then name, then id, so the order never depends on the database. A clinic
without the fact is listed after those with it, never dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import N_, Text
from clinicfinder.core.matching.facts import ClinicFacts
from clinicfinder.core.outcomes import BandOutcome, Comparison

if TYPE_CHECKING:
    from clinicfinder.core.matching.pricing import PriceAssessment

NEAREST, SUCCESS, EXPERIENCE, PRICE = "nearest", "success", "experience", "price"
ORDERS: dict[str, str] = {
    NEAREST: N_("Nearest first"),
    SUCCESS: N_("Success rate for my age"),
    EXPERIENCE: N_("Most experience"),
    PRICE: N_("Lowest published price"),
}
DEFAULT_ORDER = NEAREST
# Treatments for which how often a clinic treats male infertility (CDC's shares) is worth showing.
MALE_FACTOR_TREATMENTS = frozenset({Treatment.ICSI, Treatment.TESE, Treatment.MICRO_TESE})


def success(clinic: ClinicFacts, age_choice: str | None) -> BandOutcome | None:
    """The clinic's live births per intended retrieval for the patient's age band, newest year."""
    if clinic.cdc is None or age_choice is None:
        return None
    return clinic.cdc.success(age_choice)  # type: ignore[arg-type]  # validated upstream: one of AGE_CHOICES


def success_key(clinic: ClinicFacts, age_choice: str | None) -> float | None:
    """What "success rate for my age" sorts by: the interval's lower end, so 2 of 3 does not top the list."""
    outcome = success(clinic, age_choice)
    if outcome is None or outcome.interval is None or outcome.comparison is Comparison.TOO_FEW:
        return None
    return outcome.interval[0]


def order_reason(
    t: Text,
    order: str,
    clinic: ClinicFacts,
    distance: str,
    outcome: BandOutcome | None,
    yearly: float | None,
    price: PriceAssessment,
    age_given: bool,
) -> str:
    """Why this clinic stands where it does, in one sentence."""
    if order == SUCCESS:
        if not age_given:
            return t.gettext("Tell us the age band to sort by success rate; nearest first meanwhile ({distance}).",
                             distance=distance)  # fmt: skip
        if outcome is not None and outcome.interval is not None and outcome.comparison is not Comparison.TOO_FEW:
            low, high = (t.percent(value) for value in outcome.interval)
            return t.gettext(
                "By the lower end of its success range for your age: {low}–{high} ({year}).",
                low=low,
                high=high,
                year=outcome.year,
            )
        return t.gettext("No success rate for your age with enough cycles: after those with one, nearest first.")
    if order == EXPERIENCE:
        if yearly is not None:
            return t.gettext("By cycles a year: {cycles} on average (CDC).", cycles=t.number(int(yearly)))
        return t.gettext("Cycles a year unknown: after those we know, nearest first.")
    if order == PRICE:
        if price.amount is not None and price.kind.value == "published":
            return t.gettext("By published price: {price}.", price=t.money(price.amount.amount, price.amount.currency))
        return t.gettext("No published price: after those with one, nearest first.")
    return t.gettext("Nearest first: {distance} away.", distance=distance)
