"""Filtering and ordering: which clinics fit a patient's answers, in the order the patient chose, and why.

Gates decide who is listed (criteria.py); the order is one published fact the patient picks
(ordering.py): nearest, success rate for their age, most experience, or lowest price. There is no
composite score. Ties are broken by distance, then name, then id (docs/matching.md).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

import numpy as np

from clinicfinder.core.domain import Availability, Treatment
from clinicfinder.core.i18n import KM_PER_MILE, N_, Text, text_for
from clinicfinder.core.matching.columns import DirectoryColumns, index_from_columns, patch_index
from clinicfinder.core.matching.criteria import (
    Context,
    CriterionResult,
    Outcome,
    QualityPolicy,
    evaluate,
    yearly_cycles,
)
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts, Offer
from clinicfinder.core.matching.index import DirectoryIndex, Floats, Ints, Scores, score_columns
from clinicfinder.core.matching.memo import DirectoryMemo
from clinicfinder.core.matching.money import ExchangeRates, Money
from clinicfinder.core.matching.ordering import DEFAULT_ORDER, EXPERIENCE, PRICE, SUCCESS, order_reason, success
from clinicfinder.core.matching.pricing import BudgetFit, PriceAssessment, PriceKind, assess_price
from clinicfinder.core.outcomes import BandOutcome, OutcomeLibrary, outcome_library

ENOUGH_RESULTS = 3
# The clinics that did not pass are listed by name, nearest first, up to this many: an "anywhere"
# search at scale would otherwise build one object per clinic of the directory on every request.
EXCLUDED_LISTED = 200
# Radii tried when suggesting a wider search, in the patient's own unit.
WIDER_RADII = {"km": (50, 100, 250, 500, 1000, 2500), "mi": (25, 50, 100, 250, 500, 1000, 1500)}

# As they read in the middle of a sentence.
TREATMENT_NAMES = {
    Treatment.IVF: N_("IVF"),
    Treatment.ICSI: N_("ICSI"),
    Treatment.TESE: N_("TESE"),
    Treatment.MICRO_TESE: N_("micro-TESE"),
    Treatment.DONOR_SPERM: N_("donor sperm"),
    Treatment.EGG_DONATION: N_("egg donation"),
    Treatment.FERTILITY_PRESERVATION: N_("fertility preservation"),
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
    distance_unit: str = "km"  # how distances are written in explanations: "km" or "mi"
    limit: int = 20
    offset: int = 0  # for "show all", a page at a time
    order: str = DEFAULT_ORDER  # one of ordering.ORDERS
    age_band: str | None = None  # a code of vocabulary.AGE_BANDS (the egg provider's age); None: not given

    @property
    def text(self) -> Text:
        return text_for(self.language)


@dataclass(frozen=True)
class RankedClinic:
    clinic: ClinicFacts
    distance_km: float
    criteria: tuple[CriterionResult, ...]
    offer: Offer | None  # what the clinic said about the chosen treatment, if anything
    availability: Availability
    price: PriceAssessment
    success: BandOutcome | None  # live births per intended retrieval for the patient's age band, if known
    yearly_cycles: float | None  # what "most experience" sorts by
    explanation: str  # why it stands where it does, in the patient's language: one sentence
    rank: int = 0


@dataclass(frozen=True)
class ExcludedClinic:
    """A clinic within reach that did not pass, and the first rule it broke: listed, never hidden."""

    id: str
    name: str
    distance_km: float
    reason: Exclusion


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
    excluded_clinics: tuple[ExcludedClinic, ...] = ()  # the nearest EXCLUDED_LISTED; `excluded` counts them all

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    @property
    def has_more(self) -> bool:
        return self.query.offset + len(self.results) < self.total

    def exclusion_reason(self, reason: Exclusion) -> str:
        t = self.query.text
        return _exclusion_text(t, reason, 1, t.gettext(TREATMENT_NAMES[self.query.treatment])).removeprefix("1 ")

    @property
    def fewer_than_enough(self) -> bool:
        return self.total < ENOUGH_RESULTS

    @property
    def explanation(self) -> str | None:
        """Why so few fit, in one sentence with counts; None when there are enough."""
        if not self.fewer_than_enough:
            return None
        query, t = self.query, self.query.text
        if self.considered == 0:
            if query.radius_km is None:
                return t.gettext("We found no clinics.")
            distance = t.distance(query.radius_km, query.distance_unit)
            return t.gettext("We found no clinics within {distance} of this place.", distance=distance)
        treatment = t.gettext(TREATMENT_NAMES[query.treatment])
        reasons = [
            _exclusion_text(t, reason, count, treatment)
            for reason, count in sorted(self.excluded.items(), key=lambda item: (-item[1], item[0].value))
        ]
        fit = t.gettext("none fits") if self.total == 0 else t.ngettext("{count} fits", "{count} fit", self.total)
        sentence = t.ngettext(
            "We looked at {count} clinic {where}; {fit}",
            "We looked at {count} clinics {where}; {fit}",
            self.considered,
            where=_where(t, query.radius_km, query.distance_unit),
            fit=fit,
        )
        return sentence + (": " + "; ".join(reasons) + "." if reasons else ".")


def _where(t: Text, radius_km: float | None, unit: str) -> str:
    if radius_km is None:
        return t.gettext("anywhere")
    return t.gettext("within {distance}", distance=t.distance(radius_km, unit))


def _exclusion_text(t: Text, reason: Exclusion, count: int, treatment: str) -> str:
    if reason is Exclusion.NOT_OPEN_OR_REPORTING:
        return t.gettext("{count} not open or not reporting results", count=t.number(count))
    if reason is Exclusion.LAB_ACCREDITATION:
        return t.gettext("{count} without a verified lab accreditation", count=t.number(count))
    if reason is Exclusion.MINIMUM_VOLUME:
        return t.gettext("{count} below our minimum number of cycles (or unknown)", count=t.number(count))
    if reason is Exclusion.TREATMENT_NOT_OFFERED:
        return t.ngettext("{count} doesn't offer {treatment}", "{count} don't offer {treatment}", count,
                          treatment=treatment)  # fmt: skip
    if reason is Exclusion.TREATMENT_UNCONFIRMED:
        return t.ngettext("{count} hasn't confirmed {treatment}", "{count} haven't confirmed {treatment}", count,
                          treatment=treatment)  # fmt: skip
    if reason is Exclusion.OVER_BUDGET:
        return t.gettext("{count} over your budget", count=t.number(count))
    return t.ngettext("{count} doesn't publish a price", "{count} don't publish a price", count)


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

    def index_from_columns(self, rows: DirectoryColumns, library: OutcomeLibrary | None = None) -> DirectoryIndex:
        """The same index as `build_index`, from plain rows: what a running app uses."""
        return index_from_columns(rows, self.policy, self.rates, library or outcome_library())

    def patch_index(
        self,
        old: DirectoryIndex,
        changed: Collection[str],
        rows: DirectoryColumns,
        library: OutcomeLibrary | None = None,
    ) -> DirectoryIndex:
        """The index a full rebuild would give, from `old` and the rows of the `changed` clinics alone."""
        return patch_index(old, changed, self.index_from_columns(rows, library))

    def search(
        self, query: SearchQuery, index: DirectoryIndex, load_facts: FactsLoader, memo: DirectoryMemo | None = None
    ) -> SearchOutcome:
        """The clinics that fit `query`, a page of them explained; `memo`, when given, must belong to the
        revision of the directory `load_facts` reads."""
        scores = self.score(query, index, query.radius_km)
        fits = np.flatnonzero(scores.exclusion == 0)
        chosen = fits[self._sort(query, index, scores, fits, query.offset + query.limit)][query.offset :]
        ids = [str(clinic_id) for clinic_id in index.ids[scores.positions[chosen]]]
        facts = load_facts(ids, query.treatment) if memo is None else memo.facts(ids, query.treatment, load_facts)
        results: list[RankedClinic] = []
        for clinic_id, spot in zip(ids, chosen, strict=True):
            clinic = facts.get(clinic_id)
            # A clinic edited since the index was built may no longer fit: leave it out.
            assessed = None if clinic is None else self.assess(clinic, float(scores.distances[spot]), query, memo)
            if isinstance(assessed, RankedClinic):
                results.append(_with_rank(assessed, query.offset + len(results) + 1))
        excluded = {
            reason: int(count)
            for code, reason in enumerate(EXCLUSION_ORDER, start=1)
            if (count := np.count_nonzero(scores.exclusion == code))
        }
        out = np.flatnonzero(scores.exclusion != 0)
        if len(out) > EXCLUDED_LISTED:
            # Nearest first: only the nearest EXCLUDED_LISTED, and those tied with the last, need sorting by name.
            cut = np.partition(scores.distances[out], EXCLUDED_LISTED - 1)[EXCLUDED_LISTED - 1]
            out = out[scores.distances[out] <= cut]
        # Ids last: the order must not depend on positions, which an index patched for a few clinics moves.
        listed_at = scores.positions[out]
        out = out[np.lexsort((index.ids[listed_at], index.sort_names[listed_at], scores.distances[out]))]
        out = out[:EXCLUDED_LISTED]
        # Whole columns to Python at once: numpy scalars one by one cost more than the sort above.
        listed = scores.positions[out]
        excluded_clinics = tuple(
            ExcludedClinic(clinic_id, name, distance, EXCLUSION_ORDER[code - 1])
            for clinic_id, name, distance, code in zip(
                index.ids[listed].tolist(),
                index.names[listed].tolist(),
                scores.distances[out].tolist(),
                scores.exclusion[out].tolist(),
                strict=True,
            )
        )
        outcome = SearchOutcome(
            query=query,
            results=tuple(results),
            total=len(fits),
            considered=len(scores.positions),
            excluded=excluded,
            excluded_clinics=excluded_clinics,
        )
        if not outcome.fewer_than_enough:
            return outcome
        suggestions = self._suggest(query, index, scores)
        return SearchOutcome(**{**outcome.__dict__, "suggestions": suggestions})

    def _sort(self, query: SearchQuery, index: DirectoryIndex, scores: Scores, fits: Ints, count: int) -> Ints:
        """The first `count` positions into `fits` in the chosen order; a missing fact sorts last, ties by
        distance, name, id."""
        positions = scores.positions[fits]
        lead = scores.distances[fits]
        if query.order == SUCCESS and query.age_band is not None:
            lead = _last_when_missing(-index.success_lower[query.age_band][positions])
        elif query.order == EXPERIENCE:
            lead = _last_when_missing(-index.yearly_cycles[positions])
        elif query.order == PRICE:
            lead = _last_when_missing(scores.price[fits])
        head = np.arange(len(fits))
        if len(fits) > count:
            # Only the first `count`, and whatever ties with the last of them, need the full sort: a
            # lexsort of every clinic that fits, names included, costs ~35 ms at 100,000 clinics.
            cut = np.partition(lead, count - 1)[count - 1]
            head = np.flatnonzero(lead <= cut)
        keys = (index.ids[positions[head]], index.sort_names[positions[head]], scores.distances[fits][head], lead[head])
        return head[np.lexsort(keys)][:count]

    def assess(
        self, clinic: ClinicFacts, distance_km: float, query: SearchQuery, memo: DirectoryMemo | None = None
    ) -> RankedClinic | Exclusion:
        """Judge one clinic for `query`, or say which rule keeps it out. The reference for `index.score_columns`.

        The criteria depend on the clinic, the treatment, the language and the day only: `memo` keeps them.
        """
        context = Context(query.treatment, query.language, self.today())
        criteria = (
            evaluate(clinic, self.policy, context) if memo is None else memo.criteria(clinic, self.policy, context)
        )
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
        outcome = success(clinic, query.age_band)
        yearly = yearly_cycles(clinic)
        t = query.text
        explanation = order_reason(
            t, query.order, clinic, t.distance(distance_km, query.distance_unit), outcome, yearly, price,
            query.age_band is not None,
        )  # fmt: skip
        return RankedClinic(
            clinic=clinic,
            distance_km=distance_km,
            criteria=criteria,
            offer=offer,
            availability=availability,
            price=price,
            success=outcome,
            yearly_cycles=yearly,
            explanation=explanation,
        )

    def score(self, query: SearchQuery, index: DirectoryIndex, radius_km: float | None) -> Scores:
        """Columnar verdicts for every clinic within `radius_km` (the query's own radius sets the penalty)."""
        positions, distances = index.within(query.latitude, query.longitude, radius_km)
        return score_columns(
            index,
            positions,
            distances,
            treatment=query.treatment,
            budget=None if query.budget is None else float(query.budget.amount),
            currency=query.currency,
            include_unpriced=query.include_unpriced,
            include_unconfirmed=query.include_unconfirmed,
            policy=self.policy,
            today=self.today(),
        )

    def _suggest(self, query: SearchQuery, index: DirectoryIndex, current: Scores) -> tuple[Suggestion, ...]:
        """What would add more clinics, each with how many it adds."""
        t = query.text
        suggestions: list[Suggestion] = []
        fits = int(np.count_nonzero(current.exclusion == 0))
        needed = max(ENOUGH_RESULTS - fits, 1)
        treatment = t.gettext(TREATMENT_NAMES[query.treatment])
        if query.radius_km is not None:
            factor = KM_PER_MILE if query.distance_unit == "mi" else 1.0
            wider_radii = [r * factor for r in WIDER_RADII[query.distance_unit] if r * factor > query.radius_km]
            for radius in [*wider_radii, None]:
                wider = self.score(query, index, radius)
                added = int(np.count_nonzero(wider.exclusion == 0)) - fits
                if added > 0:
                    where = _where(t, radius, query.distance_unit)
                    message = t.ngettext(
                        "{count} more clinic {where}", "{count} more clinics {where}", added, where=where
                    )
                    suggestions.append(Suggestion("larger_radius", added, message, radius_km=radius))
                    break
        over_prices = np.sort(current.price[current.exclusion == _code(Exclusion.OVER_BUDGET)])
        if len(over_prices) and query.budget is not None:
            step = Money(Decimal(int(over_prices[min(needed, len(over_prices)) - 1])), query.currency)
            added = int(np.count_nonzero(over_prices <= float(step.amount)))
            budget = t.money(step.amount, step.currency)
            message = t.gettext("{count} more up to {budget}", count=t.number(added), budget=budget)
            suggestions.append(Suggestion("higher_budget", added, message, budget=step))
        unconfirmed = int(np.count_nonzero(current.exclusion == _code(Exclusion.TREATMENT_UNCONFIRMED)))
        if unconfirmed:
            message = t.ngettext(
                "{count} more that may offer {treatment} but hasn't confirmed it",
                "{count} more that may offer {treatment} but haven't confirmed it",
                unconfirmed,
                treatment=treatment,
            )
            suggestions.append(Suggestion("include_unconfirmed", unconfirmed, message))
        unpriced = int(np.count_nonzero(current.exclusion == _code(Exclusion.NO_PUBLISHED_PRICE)))
        if unpriced:
            message = t.ngettext("{count} more that doesn't publish a price", "{count} more that don't publish a price",
                                 unpriced)  # fmt: skip
            suggestions.append(Suggestion("include_unpriced", unpriced, message))
        return tuple(suggestions)


def _last_when_missing(values: Floats) -> Floats:
    """NaN (a fact we don't have) sorts after every real value."""
    return np.where(np.isnan(values), np.inf, values)


def _with_rank(result: RankedClinic, rank: int) -> RankedClinic:
    return RankedClinic(**{**result.__dict__, "rank": rank})
