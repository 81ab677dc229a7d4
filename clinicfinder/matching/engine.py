"""Filtering and ranking: which clinics fit a patient's answers, in which order, and why.

The ranking formula (also in docs/matching.md):

    quality  = 100 × (points earned on scored criteria) / (points available)
    distance = policy.distance_points × min(distance / radius, 1)      (radius 1,000 km for "anywhere")
    score    = quality − distance

Ties are broken by distance, then name, then id, so the order never depends on the database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

import numpy as np

from clinicfinder.domain import Availability, Treatment
from clinicfinder.matching.criteria import Context, CriterionResult, Outcome, QualityPolicy, evaluate
from clinicfinder.matching.estimates import CostReference
from clinicfinder.matching.facts import ClinicFacts, Offer
from clinicfinder.matching.index import DirectoryIndex, Scores, score_columns
from clinicfinder.matching.money import ExchangeRates, Money
from clinicfinder.matching.pricing import BudgetFit, PriceAssessment, PriceKind, assess_price

ANYWHERE_REFERENCE_KM = 1000.0
ENOUGH_RESULTS = 3
# Radii tried, in km, when suggesting a wider search.
WIDER_RADII_KM = (50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0)

TREATMENT_NAMES = {
    Treatment.IVF: "IVF",
    Treatment.ICSI: "ICSI",
    Treatment.TESE: "TESE",
    Treatment.MICRO_TESE: "micro-TESE",
    Treatment.DONOR_SPERM: "donor sperm",
    Treatment.EGG_DONATION: "egg donation",
    Treatment.FERTILITY_PRESERVATION: "fertility preservation",
}


class Exclusion(enum.StrEnum):
    NOT_OPEN_OR_REPORTING = "open_and_reporting"
    LAB_ACCREDITATION = "lab_accreditation"
    MINIMUM_VOLUME = "minimum_volume"
    TREATMENT_NOT_OFFERED = "treatment_not_offered"
    TREATMENT_UNCONFIRMED = "treatment_unconfirmed"
    OVER_BUDGET = "over_budget"
    NO_PUBLISHED_PRICE = "no_published_price"


@dataclass(frozen=True)
class SearchQuery:
    latitude: float
    longitude: float
    radius_km: float | None  # None: anywhere
    treatment: Treatment
    budget: Money | None = None
    currency: str = "USD"  # prices are shown in this currency (the budget's, when one is given)
    include_unpriced: bool = True
    include_unconfirmed: bool = True
    language: str = "en"
    limit: int = 20


@dataclass(frozen=True)
class RankedClinic:
    clinic: ClinicFacts
    distance_km: float
    criteria: tuple[CriterionResult, ...]
    offer: Offer | None  # what the clinic said about the chosen treatment, if anything
    availability: Availability
    price: PriceAssessment
    quality: float
    distance_penalty: float
    score: float
    rank: int = 0

    @property
    def explanation(self) -> str:
        earned = [c.title.lower() for c in self.criteria if not c.gate and c.outcome is Outcome.MET]
        unknown = [c.title.lower() for c in self.criteria if not c.gate and c.outcome is Outcome.UNKNOWN]
        parts = [f"Quality {self.quality:.0f}/100"]
        if earned:
            parts.append(f"for {', '.join(earned)}")
        text = " ".join(parts)
        if unknown:
            text += f"; not known: {', '.join(unknown)}"
        return f"{text}; minus {self.distance_penalty:.0f} for distance ({self.distance_km:,.0f} km)."


@dataclass(frozen=True)
class Suggestion:
    code: str  # larger_radius | higher_budget | include_unconfirmed | include_unpriced
    added: int
    message: str
    radius_km: float | None = None
    budget: Money | None = None


@dataclass(frozen=True)
class SearchOutcome:
    query: SearchQuery
    results: tuple[RankedClinic, ...]
    total: int  # clinics that fit (results holds the first `limit`)
    considered: int  # clinics within the radius
    excluded: dict[Exclusion, int]
    suggestions: tuple[Suggestion, ...] = ()
    rates_as_of: date | None = None

    @property
    def fewer_than_enough(self) -> bool:
        return self.total < ENOUGH_RESULTS

    @property
    def explanation(self) -> str | None:
        """Why so few fit, in one sentence with counts; None when there are enough."""
        if not self.fewer_than_enough:
            return None
        where = "anywhere" if self.query.radius_km is None else f"within {self.query.radius_km:,.0f} km"
        fit = {0: "none fits", 1: "1 fits"}.get(self.total, f"{self.total} fit")
        if self.considered == 0:
            return f"We found no clinics {where} of this place."
        reasons = [
            _EXCLUSION_TEXT[reason].format(count=count, treatment=TREATMENT_NAMES[self.query.treatment])
            for reason, count in sorted(self.excluded.items(), key=lambda item: (-item[1], item[0].value))
        ]
        clinics = "clinic" if self.considered == 1 else "clinics"
        sentence = f"We looked at {self.considered} {clinics} {where}; {fit}"
        return sentence + (": " + "; ".join(reasons) + "." if reasons else ".")


_EXCLUSION_TEXT = {
    Exclusion.NOT_OPEN_OR_REPORTING: "{count} not open or not reporting results",
    Exclusion.LAB_ACCREDITATION: "{count} without a verified lab accreditation",
    Exclusion.MINIMUM_VOLUME: "{count} below our minimum number of cycles (or unknown)",
    Exclusion.TREATMENT_NOT_OFFERED: "{count} don't offer {treatment}",
    Exclusion.TREATMENT_UNCONFIRMED: "{count} haven't confirmed {treatment}",
    Exclusion.OVER_BUDGET: "{count} over your budget",
    Exclusion.NO_PUBLISHED_PRICE: "{count} don't publish a price",
}


def _today() -> date:
    return datetime.now(UTC).date()


class FactsLoader(Protocol):
    def __call__(self, clinic_ids: Sequence[str], treatment: Treatment) -> Mapping[str, ClinicFacts]:
        """Full facts of these clinics, for explaining them."""
        ...


EXCLUSION_ORDER = (
    Exclusion.NOT_OPEN_OR_REPORTING,
    Exclusion.LAB_ACCREDITATION,
    Exclusion.MINIMUM_VOLUME,
    Exclusion.TREATMENT_NOT_OFFERED,
    Exclusion.TREATMENT_UNCONFIRMED,
    Exclusion.OVER_BUDGET,
    Exclusion.NO_PUBLISHED_PRICE,
)


def _code(reason: Exclusion) -> int:
    """The number `index.score_columns` writes for this reason."""
    return EXCLUSION_ORDER.index(reason) + 1


class Matcher:
    """Stateless apart from its configuration; one instance serves every request.

    A search scores every clinic in the radius at once on the directory's columns
    (`index.score_columns`), then explains only the clinics it returns with the reference rules
    (`assess` and `criteria.py`).
    """

    def __init__(
        self,
        rates: ExchangeRates,
        costs: CostReference,
        policy: QualityPolicy | None = None,
        today: Callable[[], date] = _today,
    ) -> None:
        self.rates = rates
        self.costs = costs
        self.policy = policy or QualityPolicy()
        self.today = today

    def build_index(self, clinics: Iterable[ClinicFacts]) -> DirectoryIndex:
        return DirectoryIndex.build(clinics, self.policy, self.rates)

    def search(self, query: SearchQuery, index: DirectoryIndex, load_facts: FactsLoader) -> SearchOutcome:
        scores = self.score(query, index, query.radius_km)
        fits = np.flatnonzero(scores.exclusion == 0)
        order = np.lexsort(
            (index.ids[scores.positions[fits]], index.sort_names[scores.positions[fits]],
             scores.distances[fits], -scores.score[fits])
        )  # fmt: skip
        chosen = fits[order[: query.limit]]
        ids = [str(clinic_id) for clinic_id in index.ids[scores.positions[chosen]]]
        facts = load_facts(ids, query.treatment)
        results: list[RankedClinic] = []
        for clinic_id, spot in zip(ids, chosen, strict=True):
            clinic = facts.get(clinic_id)
            # A clinic edited since the index was built may no longer fit: leave it out.
            assessed = None if clinic is None else self.assess(clinic, float(scores.distances[spot]), query)
            if isinstance(assessed, RankedClinic):
                results.append(_with_rank(assessed, len(results) + 1))
        excluded = {
            reason: int(count)
            for code, reason in enumerate(EXCLUSION_ORDER, start=1)
            if (count := np.count_nonzero(scores.exclusion == code))
        }
        outcome = SearchOutcome(
            query=query,
            results=tuple(results),
            total=len(fits),
            considered=len(scores.positions),
            excluded=excluded,
            rates_as_of=self.rates.as_of,
        )
        if not outcome.fewer_than_enough:
            return outcome
        suggestions = self._suggest(query, index, scores)
        return SearchOutcome(**{**outcome.__dict__, "suggestions": suggestions})

    def assess(self, clinic: ClinicFacts, distance_km: float, query: SearchQuery) -> RankedClinic | Exclusion:
        """Rank one clinic for `query`, or say which rule keeps it out. The reference for `index.score_columns`."""
        context = Context(query.treatment, query.language, self.today())
        criteria = evaluate(clinic, self.policy, context)
        for criterion in criteria:
            if criterion.gate and criterion.outcome is not Outcome.MET:
                return Exclusion(criterion.code)
        offer = clinic.offers.get(query.treatment)
        availability = offer.availability if offer is not None else Availability.UNKNOWN
        if availability is Availability.NO:
            return Exclusion.TREATMENT_NOT_OFFERED
        if availability is Availability.UNKNOWN and not query.include_unconfirmed:
            return Exclusion.TREATMENT_UNCONFIRMED
        price = assess_price(clinic, query.treatment, query.budget, query.currency, self.rates, self.costs)
        if price.kind is PriceKind.PUBLISHED and price.fit is BudgetFit.OVER:
            return Exclusion.OVER_BUDGET
        if price.kind is not PriceKind.PUBLISHED and not query.include_unpriced:
            return Exclusion.NO_PUBLISHED_PRICE
        scored = [criterion for criterion in criteria if not criterion.gate]
        available = sum(criterion.max_points for criterion in scored) or 1.0
        quality = round(100.0 * sum(criterion.points for criterion in scored) / available, 1)
        reference = query.radius_km or ANYWHERE_REFERENCE_KM
        penalty = round(self.policy.distance_points * min(distance_km / reference, 1.0), 1)
        return RankedClinic(
            clinic=clinic,
            distance_km=distance_km,
            criteria=criteria,
            offer=offer,
            availability=availability,
            price=price,
            quality=quality,
            distance_penalty=penalty,
            score=round(quality - penalty, 2),
        )

    def score(self, query: SearchQuery, index: DirectoryIndex, radius_km: float | None) -> Scores:
        """Columnar verdicts for every clinic within `radius_km` (the query's own radius sets the penalty)."""
        positions, distances = index.within(query.latitude, query.longitude, radius_km)
        return score_columns(
            index,
            positions,
            distances,
            treatment=query.treatment,
            language=query.language,
            budget=None if query.budget is None else float(query.budget.amount),
            currency_per_eur=float(self.rates.per_eur[query.currency]),
            include_unpriced=query.include_unpriced,
            include_unconfirmed=query.include_unconfirmed,
            # The penalty always scales with the patient's own radius, even in a wider look.
            radius_km=query.radius_km or ANYWHERE_REFERENCE_KM,
            policy=self.policy,
            today=self.today(),
        )

    def _suggest(self, query: SearchQuery, index: DirectoryIndex, current: Scores) -> tuple[Suggestion, ...]:
        """What would add more clinics, each with how many it adds."""
        suggestions: list[Suggestion] = []
        fits = int(np.count_nonzero(current.exclusion == 0))
        needed = max(ENOUGH_RESULTS - fits, 1)
        treatment = TREATMENT_NAMES[query.treatment]
        if query.radius_km is not None:
            for radius in [r for r in WIDER_RADII_KM if r > query.radius_km] + [None]:
                wider = self.score(query, index, radius)
                added = int(np.count_nonzero(wider.exclusion == 0)) - fits
                if added > 0:
                    where = "anywhere" if radius is None else f"within {radius:,.0f} km"
                    clinics = "clinic" if added == 1 else "clinics"
                    suggestions.append(
                        Suggestion("larger_radius", added, f"{added} more {clinics} {where}", radius_km=radius)
                    )
                    break
        over_prices = np.sort(current.price[current.exclusion == _code(Exclusion.OVER_BUDGET)])
        if len(over_prices) and query.budget is not None:
            step = Money(Decimal(int(over_prices[min(needed, len(over_prices)) - 1])), query.currency)
            added = int(np.count_nonzero(over_prices <= float(step.amount)))
            suggestions.append(
                Suggestion("higher_budget", added, f"{added} more up to {_money_text(step)}", budget=step)
            )
        unconfirmed = int(np.count_nonzero(current.exclusion == _code(Exclusion.TREATMENT_UNCONFIRMED)))
        if unconfirmed:
            suggestions.append(
                Suggestion(
                    "include_unconfirmed",
                    unconfirmed,
                    f"{unconfirmed} more that may offer {treatment} but haven't confirmed it",
                )
            )
        unpriced = int(np.count_nonzero(current.exclusion == _code(Exclusion.NO_PUBLISHED_PRICE)))
        if unpriced:
            suggestions.append(Suggestion("include_unpriced", unpriced, f"{unpriced} more that don't publish a price"))
        return tuple(suggestions)


def _with_rank(result: RankedClinic, rank: int) -> RankedClinic:
    return RankedClinic(**{**result.__dict__, "rank": rank})


def _money_text(money: Money) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(money.currency)
    whole = money.amount.quantize(Decimal("1"))
    return f"{symbol}{whole:,}" if symbol else f"{money.currency} {whole:,}"
