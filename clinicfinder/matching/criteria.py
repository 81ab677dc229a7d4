"""The quality criteria, in one configurable place (PRODUCT.md, "Quality criteria").

Gates decide whether a clinic is listed at all; scored criteria rank and explain. Each
criterion returns met / failed / unknown with the facts (source, as-of date) it rests on.
A fact nobody gave us is *unknown*: a gate that is unknown keeps the clinic out (we don't
list what we could not check), a scored criterion that is unknown earns no points.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clinicfinder.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.matching.facts import ClinicFacts, Fact

SURGICAL_SPERM_RETRIEVAL = frozenset({Treatment.TESE, Treatment.MICRO_TESE})


class Outcome(enum.StrEnum):
    MET = "met"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    source: str
    as_of: date | None


@dataclass(frozen=True)
class CriterionResult:
    code: str
    title: str
    why_it_matters: str
    gate: bool
    outcome: Outcome
    detail: str
    evidence: tuple[Evidence, ...] = ()
    points: float = 0.0
    max_points: float = 0.0


@dataclass(frozen=True)
class QualityPolicy:
    """Thresholds and weights. Change them here; tests and docs/matching.md follow."""

    min_cycles_per_year: int = 100
    # CDC publishes final figures about two to three years after the treatment year.
    max_outcome_age_years: int = 5
    freshness_months: int = 12
    # Lab accreditations we accept, besides CDC's own "verified lab accreditation" flag.
    accepted_lab_bodies: frozenset[str] = frozenset(
        {
            "CAP",
            "College of American Pathologists",
            "The Joint Commission",
            "NY State Tissue Bank",
            "HFEA",
            "ISO 9001",
            "ISO 15189",
            "UNE 179007",
        }
    )
    high_volume_cycles: int = 1000
    mid_volume_cycles: int = 300
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "treatment_confirmed": 25.0,
            "male_factor": 20.0,
            "society_membership": 15.0,
            "volume_tier": 10.0,
            "freshness": 10.0,
            "published_price": 10.0,
            "language": 10.0,
        }
    )
    # Up to this many points are taken off for distance, in proportion to the search radius.
    distance_points: float = 20.0


@dataclass(frozen=True)
class Context:
    treatment: Treatment
    language: str
    today: date


def _evidence(*facts: Fact[Any] | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(fact.source, fact.as_of) for fact in facts if fact is not None)


# --- gates ---------------------------------------------------------------------------


def open_and_reporting(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("open_and_reporting", policy)
    evidence: tuple[Evidence, ...] = ()
    if clinic.listing_source is not None:
        evidence = (Evidence(clinic.listing_source, clinic.listing_as_of),)
    if clinic.status is not ClinicStatus.OPEN:
        return result.with_outcome(Outcome.FAILED, f"Listed as {clinic.status.value}.", evidence)
    outcomes = clinic.outcomes
    if outcomes is None:
        return result.with_outcome(Outcome.UNKNOWN, "Open, but we have no results it reported to a register.", evidence)
    evidence += (Evidence(outcomes.source, outcomes.as_of),)
    if context.today.year - outcomes.year > policy.max_outcome_age_years:
        return result.with_outcome(Outcome.FAILED, f"Its latest reported results are from {outcomes.year}.", evidence)
    return result.with_outcome(Outcome.MET, f"Open; reported its {outcomes.year} results.", evidence)


def lab_accreditation(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("lab_accreditation", policy)
    verified, bodies = clinic.verified_lab_accreditation, clinic.accreditation_bodies
    accepted = sorted(set(bodies.value) & policy.accepted_lab_bodies) if bodies else []
    evidence = _evidence(verified, bodies)
    if verified is not None and verified.value is AccreditationStatus.YES:
        return result.with_outcome(Outcome.MET, "The register verified its lab accreditation.", evidence)
    if accepted:
        return result.with_outcome(Outcome.MET, f"Accredited by {', '.join(accepted)}.", evidence)
    if verified is not None and verified.value is AccreditationStatus.PENDING:
        return result.with_outcome(Outcome.FAILED, "Its lab accreditation is still pending.", evidence)
    if verified is not None and verified.value is AccreditationStatus.NO:
        return result.with_outcome(Outcome.FAILED, "The register could not verify a lab accreditation.", evidence)
    return result.with_outcome(Outcome.UNKNOWN, "We don't know who accredits its lab.", evidence)


def minimum_volume(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("minimum_volume", policy)
    outcomes = clinic.outcomes
    if outcomes is None or outcomes.total_cycles is None:
        return result.with_outcome(Outcome.UNKNOWN, "We don't know how many cycles it performs.")
    evidence = (Evidence(outcomes.source, outcomes.as_of),)
    cycles = outcomes.total_cycles
    detail = f"{cycles:,} cycles in {outcomes.year}."
    outcome = Outcome.MET if cycles >= policy.min_cycles_per_year else Outcome.FAILED
    return result.with_outcome(outcome, detail, evidence)


# --- scored criteria -----------------------------------------------------------------


def society_membership(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("society_membership", policy)
    sart, others = clinic.sart_member, clinic.other_memberships
    names = (["SART"] if sart is not None and sart.value is AccreditationStatus.YES else []) + list(
        others.value if others else ()
    )
    evidence = _evidence(sart, others)
    if names:
        return result.scored(Outcome.MET, f"Member of {', '.join(names)}.", evidence, 1.0)
    if sart is not None and sart.value is AccreditationStatus.NO:
        return result.scored(Outcome.FAILED, "Not a member of SART.", evidence, 0.0)
    return result.scored(Outcome.UNKNOWN, "We don't know of any society membership.", evidence, 0.0)


def volume_tier(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("volume_tier", policy)
    outcomes = clinic.outcomes
    if outcomes is None or outcomes.total_cycles is None:
        return result.scored(Outcome.UNKNOWN, "We don't know its volume.", (), 0.0)
    cycles, evidence = outcomes.total_cycles, (Evidence(outcomes.source, outcomes.as_of),)
    if cycles >= policy.high_volume_cycles:
        return result.scored(Outcome.MET, f"High volume: {cycles:,} cycles in {outcomes.year}.", evidence, 1.0)
    if cycles >= policy.mid_volume_cycles:
        return result.scored(Outcome.MET, f"Medium volume: {cycles:,} cycles in {outcomes.year}.", evidence, 0.6)
    return result.scored(Outcome.FAILED, f"Small volume: {cycles:,} cycles in {outcomes.year}.", evidence, 0.0)


def freshness(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("freshness", policy)
    as_of = clinic.listing_as_of
    if as_of is None:
        return result.scored(Outcome.UNKNOWN, "We don't know when its listing was last confirmed.", (), 0.0)
    evidence = (Evidence(clinic.listing_source or "", as_of),)
    months = (context.today.year - as_of.year) * 12 + context.today.month - as_of.month
    if months <= policy.freshness_months:
        return result.scored(Outcome.MET, f"Listing confirmed on {as_of.isoformat()}.", evidence, 1.0)
    return result.scored(Outcome.FAILED, f"Listing last confirmed on {as_of.isoformat()}.", evidence, 0.0)


def published_price(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("published_price", policy)
    offer = clinic.offers.get(context.treatment)
    if offer is not None and offer.price is not None:
        evidence = (Evidence(offer.source, offer.as_of),)
        return result.scored(Outcome.MET, f"Publishes a price: {offer.price}.", evidence, 1.0)
    return result.scored(Outcome.UNKNOWN, "Has not published a price to us.", (), 0.0)


def treatment_confirmed(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("treatment_confirmed", policy)
    offer = clinic.offers.get(context.treatment)
    evidence = () if offer is None else (Evidence(offer.source, offer.as_of),)
    if offer is not None and offer.availability is Availability.YES:
        return result.scored(Outcome.MET, "Offers this treatment.", evidence, 1.0)
    if offer is not None and offer.availability is Availability.NO:
        return result.scored(Outcome.FAILED, "Does not offer this treatment.", evidence, 0.0)
    return result.scored(Outcome.UNKNOWN, "Not confirmed — ask the clinic.", evidence, 0.0)


MALE_FACTOR_LABELS: Mapping[MaleFactorCapability, str] = {
    MaleFactorCapability.REPRODUCTIVE_UROLOGIST: "reproductive urologist on site",
    MaleFactorCapability.MICRO_TESE: "performs micro-TESE",
    MaleFactorCapability.SPERM_CRYOPRESERVATION: "freezes sperm",
    MaleFactorCapability.DONOR_SPERM_ACCESS: "donor sperm as a backup",
}


def male_factor(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("male_factor", policy)
    facts = [(capability, clinic.male_factor.get(capability)) for capability in MaleFactorCapability]
    yes = [MALE_FACTOR_LABELS[c] for c, fact in facts if fact is not None and fact.value is Availability.YES]
    no = [MALE_FACTOR_LABELS[c] for c, fact in facts if fact is not None and fact.value is Availability.NO]
    unknown = [MALE_FACTOR_LABELS[c] for c, fact in facts if fact is None or fact.value is Availability.UNKNOWN]
    parts = [f"Yes: {', '.join(yes)}." if yes else "", f"No: {', '.join(no)}." if no else ""]
    parts.append(f"Unknown: {', '.join(unknown)}." if unknown else "")
    detail = " ".join(part for part in parts if part)
    evidence = _evidence(*(fact for _, fact in facts))
    share = len(yes) / len(facts)
    if no:
        return result.scored(Outcome.FAILED, detail, evidence, share)
    if unknown:
        return result.scored(Outcome.UNKNOWN, detail, evidence, share)
    return result.scored(Outcome.MET, detail, evidence, share)


LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "es": "Spanish"}


def language(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result = _result("language", policy)
    spoken = clinic.languages
    wanted = LANGUAGE_NAMES.get(context.language, context.language)
    if spoken is None:
        return result.scored(Outcome.UNKNOWN, f"We don't know whether staff speak {wanted}.", (), 0.0)
    evidence = _evidence(spoken)
    if context.language in spoken.value:
        return result.scored(Outcome.MET, f"Staff speak {wanted}.", evidence, 1.0)
    return result.scored(Outcome.FAILED, f"Staff are not listed as speaking {wanted}.", evidence, 0.0)


# --- the catalogue -------------------------------------------------------------------

Check = Callable[[ClinicFacts, QualityPolicy, Context], CriterionResult]


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    why_it_matters: str
    gate: bool
    check: Check
    applies_to: frozenset[Treatment] | None = None  # None: every treatment


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "open_and_reporting",
        "Open and reporting results",
        "Clinics that report every cycle to the national register (CDC in the US) can be compared fairly.",
        True,
        open_and_reporting,
    ),
    Criterion(
        "lab_accreditation",
        "Accredited laboratory",
        "An accredited embryo lab is inspected against published standards.",
        True,
        lab_accreditation,
    ),
    Criterion(
        "minimum_volume",
        "Enough experience",
        "A clinic needs a steady number of cycles each year to keep its team and lab in practice.",
        True,
        minimum_volume,
    ),
    Criterion(
        "treatment_confirmed",
        "Treatment confirmed",
        "The clinic itself has told us it offers the treatment you chose.",
        False,
        treatment_confirmed,
    ),
    Criterion(
        "male_factor",
        "Male-factor care",
        "For sperm retrieval, a urologist on site, micro-TESE, sperm freezing and a donor backup matter.",
        False,
        male_factor,
        SURGICAL_SPERM_RETRIEVAL,
    ),
    Criterion(
        "society_membership",
        "Professional society member",
        "Members of societies such as SART or ESHRE commit to their practice and reporting standards.",
        False,
        society_membership,
    ),
    Criterion(
        "volume_tier",
        "Volume",
        "Larger programmes see more cases like yours.",
        False,
        volume_tier,
    ),
    Criterion(
        "freshness",
        "Recently confirmed",
        "A listing confirmed in the last 12 months is more likely to be right.",
        False,
        freshness,
    ),
    Criterion(
        "published_price",
        "Published price",
        "A published price lets you compare before you visit.",
        False,
        published_price,
    ),
    Criterion(
        "language",
        "Your language",
        "Being understood matters at every appointment.",
        False,
        language,
    ),
)

_BY_CODE = {criterion.code: criterion for criterion in CRITERIA}


class _ResultBuilder:
    def __init__(self, criterion: Criterion, max_points: float) -> None:
        self._criterion = criterion
        self._max_points = max_points

    def with_outcome(self, outcome: Outcome, detail: str, evidence: tuple[Evidence, ...] = ()) -> CriterionResult:
        return self.scored(outcome, detail, evidence, 0.0)

    def scored(self, outcome: Outcome, detail: str, evidence: tuple[Evidence, ...], share: float) -> CriterionResult:
        criterion = self._criterion
        return CriterionResult(
            code=criterion.code,
            title=criterion.title,
            why_it_matters=criterion.why_it_matters,
            gate=criterion.gate,
            outcome=outcome,
            detail=detail,
            evidence=evidence,
            points=round(self._max_points * share, 2),
            max_points=self._max_points,
        )


def _result(code: str, policy: QualityPolicy) -> _ResultBuilder:
    criterion = _BY_CODE[code]
    return _ResultBuilder(criterion, 0.0 if criterion.gate else policy.weights.get(code, 0.0))


def applicable(treatment: Treatment) -> tuple[Criterion, ...]:
    return tuple(c for c in CRITERIA if c.applies_to is None or treatment in c.applies_to)


def evaluate(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> tuple[CriterionResult, ...]:
    return tuple(criterion.check(clinic, policy, context) for criterion in applicable(context.treatment))
