"""What is the same for every clinic of a report, so the report says it once.

A ten-clinic report used to repeat, under every clinic, the same unknowns ("Treatment confirmed:
unknown"), the same met checks and the same typical cost with its sources. The clinic blocks now
keep only what differs; this finds the rest. Pure Python, no Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from clinicfinder.core.matching.criteria import CriterionResult, Evidence
from clinicfinder.core.matching.engine import RankedClinic
from clinicfinder.core.matching.pricing import PriceAssessment, PriceKind


@dataclass(frozen=True)
class SharedFacts:
    # criterion code → every clinic's evidence for it (one source once), for criteria whose outcome and
    # wording are the same for all clinics shown
    criteria: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)
    # the typical-cost estimate every clinic without a published price shares, when they all share one
    estimate: PriceAssessment | None = None

    def __contains__(self, code: object) -> bool:
        return code in self.criteria

    def evidence(self, code: str) -> tuple[Evidence, ...]:
        return self.criteria.get(code, ())


def shared_facts(results: Sequence[RankedClinic]) -> SharedFacts:
    """The criteria and the estimate a report can state once for all of `results`.

    With a single clinic nothing is "shared": its block says everything, as before.
    """
    if len(results) < 2:
        return SharedFacts()
    criteria: dict[str, tuple[Evidence, ...]] = {}
    for criterion in results[0].criteria:
        same = [_find(result.criteria, criterion.code) for result in results]
        if all(other is not None and _same(other, criterion) for other in same):
            evidence: dict[str, Evidence] = {}
            for other in same:
                for item in other.evidence if other else ():
                    evidence.setdefault(item.source, item)
            criteria[criterion.code] = tuple(evidence.values())
    estimates = [result.price for result in results if result.price.kind is PriceKind.ESTIMATE]
    # Estimates depend on the treatment and the country, not the clinic: shared only when truly equal.
    estimate = estimates[0] if estimates and all(price == estimates[0] for price in estimates) else None
    return SharedFacts(criteria, estimate)


def _find(criteria: Sequence[CriterionResult], code: str) -> CriterionResult | None:
    return next((criterion for criterion in criteria if criterion.code == code), None)


def _same(one: CriterionResult, other: CriterionResult) -> bool:
    return (one.outcome, one.detail) == (other.outcome, other.detail)
