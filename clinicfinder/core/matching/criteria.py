"""The quality criteria, in one configurable place (PRODUCT.md, "Quality criteria").

Gates decide whether a clinic is listed at all; scored criteria rank and explain. Each
criterion returns met / failed / unknown with the facts (source, as-of date) it rests on.
A fact nobody gave us is *unknown*: a gate that is unknown keeps the clinic out (we don't
list what we could not check), a scored criterion that is unknown earns no points.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.i18n import N_, Text, text_for
from clinicfinder.core.matching.facts import ClinicFacts, Fact
from clinicfinder.core.matching.rounding import half_up

SURGICAL_SPERM_RETRIEVAL = frozenset({Treatment.TESE, Treatment.MICRO_TESE})
STATUS_NAMES: Mapping[ClinicStatus, str] = {
    ClinicStatus.OPEN: N_("open"),
    ClinicStatus.REORGANIZED: N_("reorganized"),
    ClinicStatus.CLOSED: N_("closed"),
    ClinicStatus.INACTIVE: N_("inactive"),
}


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
    # Share of the volume points a medium-volume clinic earns (a high-volume one earns them all).
    mid_volume_share: float = 0.6

    def __post_init__(self) -> None:
        scored = {criterion.code for criterion in CRITERIA if not criterion.gate}
        if set(self.weights) != scored:
            raise ValueError(f"QualityPolicy.weights must give exactly these criteria: {sorted(scored)}")


@dataclass(frozen=True)
class Context:
    treatment: Treatment
    language: str
    today: date

    @property
    def text(self) -> Text:
        return text_for(self.language)


def _evidence(*facts: Fact[Any] | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(fact.source, fact.as_of) for fact in facts if fact is not None)


# --- gates ---------------------------------------------------------------------------


def listed_status_passes(clinic: ClinicFacts) -> bool:
    """Open, or "reorganized" (merger, new owner) while CDC still has its cycles for that year."""
    if clinic.status is ClinicStatus.OPEN:
        return True
    return clinic.status is ClinicStatus.REORGANIZED and clinic.cdc is not None and clinic.cdc.reorganized_but_reported


def yearly_cycles(clinic: ClinicFacts) -> float | None:
    """What the volume gate judges: the mean over CDC's reported years 2020–2022 when we hold them.

    One year crosses the line for dozens of clinics; without CDC's history (a clinic outside
    the US, a new listing) the single year the listing gives decides.
    """
    if clinic.cdc is not None and (mean := clinic.cdc.mean_cycles_per_year) is not None:
        return mean
    if clinic.outcomes is None or clinic.outcomes.total_cycles is None:
        return None
    return float(clinic.outcomes.total_cycles)


def open_and_reporting(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("open_and_reporting", policy, context), context.text
    evidence: tuple[Evidence, ...] = ()
    if clinic.listing_source is not None:
        evidence = (Evidence(clinic.listing_source, clinic.listing_as_of),)
    if not listed_status_passes(clinic):
        status = t.gettext(STATUS_NAMES[clinic.status])
        return result.with_outcome(Outcome.FAILED, t.gettext("Listed as {status}.", status=status), evidence)
    outcomes = clinic.outcomes
    if outcomes is None:
        detail = t.gettext("Open, but we have no results it reported to a register.")
        return result.with_outcome(Outcome.UNKNOWN, detail, evidence)
    evidence += (Evidence(outcomes.source, outcomes.as_of),)
    if context.today.year - outcomes.year > policy.max_outcome_age_years:
        detail = t.gettext("Its latest reported results are from {year}.", year=outcomes.year)
        return result.with_outcome(Outcome.FAILED, detail, evidence)
    if clinic.status is ClinicStatus.REORGANIZED:
        detail = t.gettext("Reorganized, and still reported its {year} results.", year=outcomes.year)
        return result.with_outcome(Outcome.MET, detail, evidence)
    return result.with_outcome(
        Outcome.MET, t.gettext("Open; reported its {year} results.", year=outcomes.year), evidence
    )


def lab_accreditation(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("lab_accreditation", policy, context), context.text
    verified, bodies = clinic.verified_lab_accreditation, clinic.accreditation_bodies
    accepted = sorted(set(bodies.value) & policy.accepted_lab_bodies) if bodies else []
    evidence = _evidence(verified, bodies)
    if verified is not None and verified.value is AccreditationStatus.YES:
        return result.with_outcome(Outcome.MET, t.gettext("The register verified its lab accreditation."), evidence)
    if accepted:
        detail = t.gettext("Accredited by {bodies}.", bodies=t.join(accepted))
        return result.with_outcome(Outcome.MET, detail, evidence)
    if verified is not None and verified.value is AccreditationStatus.PENDING:
        return result.with_outcome(Outcome.FAILED, t.gettext("Its lab accreditation is still pending."), evidence)
    if verified is not None and verified.value is AccreditationStatus.NO:
        detail = t.gettext("The register could not verify a lab accreditation.")
        return result.with_outcome(Outcome.FAILED, detail, evidence)
    return result.with_outcome(Outcome.UNKNOWN, t.gettext("We don't know who accredits its lab."), evidence)


def minimum_volume(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("minimum_volume", policy, context), context.text
    record = clinic.cdc
    mean = None if record is None else record.mean_cycles_per_year
    if record is not None and mean is not None:
        years = record.volume_years
        evidence = tuple(
            Evidence(report.source, date(report.year, 12, 31)) for report in record.history if report.year in years
        )
        # Rounded down, so "100 a year" is never shown beside a clinic that fails a 100 line.
        shown = t.number(math.floor(mean))
        if len(years) == 1:
            detail = t.gettext("{cycles} cycles in {year}.", cycles=shown, year=years[0])
        else:
            detail = t.gettext(
                "{cycles} cycles a year on average, {first}–{last}.", cycles=shown, first=years[0], last=years[-1]
            )
        outcome = Outcome.MET if mean >= policy.min_cycles_per_year else Outcome.FAILED
        return result.with_outcome(outcome, detail, evidence)
    outcomes = clinic.outcomes
    if outcomes is None or outcomes.total_cycles is None:
        return result.with_outcome(Outcome.UNKNOWN, t.gettext("We don't know how many cycles it performs."))
    evidence = (Evidence(outcomes.source, outcomes.as_of),)
    cycles = outcomes.total_cycles
    detail = t.gettext("{cycles} cycles in {year}.", cycles=t.number(cycles), year=outcomes.year)
    outcome = Outcome.MET if cycles >= policy.min_cycles_per_year else Outcome.FAILED
    return result.with_outcome(outcome, detail, evidence)


# --- scored criteria -----------------------------------------------------------------


def society_membership(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("society_membership", policy, context), context.text
    sart, others = clinic.sart_member, clinic.other_memberships
    names = (["SART"] if sart is not None and sart.value is AccreditationStatus.YES else []) + list(
        others.value if others else ()
    )
    evidence = _evidence(sart, others)
    if names:
        return result.scored(Outcome.MET, t.gettext("Member of {societies}.", societies=t.join(names)), evidence, 1.0)
    if sart is not None and sart.value is AccreditationStatus.NO:
        return result.scored(Outcome.FAILED, t.gettext("Not a member of SART."), evidence, 0.0)
    return result.scored(Outcome.UNKNOWN, t.gettext("We don't know of any society membership."), evidence, 0.0)


def volume_tier(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("volume_tier", policy, context), context.text
    outcomes = clinic.outcomes
    if outcomes is None or outcomes.total_cycles is None:
        return result.scored(Outcome.UNKNOWN, t.gettext("We don't know its volume."), (), 0.0)
    cycles, evidence = outcomes.total_cycles, (Evidence(outcomes.source, outcomes.as_of),)
    values = {"cycles": t.number(cycles), "year": outcomes.year}
    if cycles >= policy.high_volume_cycles:
        return result.scored(Outcome.MET, t.gettext("High volume: {cycles} cycles in {year}.", **values), evidence, 1.0)
    if cycles >= policy.mid_volume_cycles:
        detail = t.gettext("Medium volume: {cycles} cycles in {year}.", **values)
        return result.scored(Outcome.MET, detail, evidence, policy.mid_volume_share)
    return result.scored(Outcome.FAILED, t.gettext("Small volume: {cycles} cycles in {year}.", **values), evidence, 0.0)


def freshness(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("freshness", policy, context), context.text
    as_of = clinic.listing_as_of
    if as_of is None:
        detail = t.gettext("We don't know when its listing was last confirmed.")
        return result.scored(Outcome.UNKNOWN, detail, (), 0.0)
    evidence = (Evidence(clinic.listing_source or "", as_of),)
    months = (context.today.year - as_of.year) * 12 + context.today.month - as_of.month
    if months <= policy.freshness_months:
        return result.scored(Outcome.MET, t.gettext("Listing confirmed on {date}.", date=t.date(as_of)), evidence, 1.0)
    detail = t.gettext("Listing last confirmed on {date}.", date=t.date(as_of))
    return result.scored(Outcome.FAILED, detail, evidence, 0.0)


def published_price(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("published_price", policy, context), context.text
    offer = clinic.offers.get(context.treatment)
    if offer is not None and offer.price is not None:
        evidence = (Evidence(offer.source, offer.as_of),)
        whole = offer.price.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)  # as `pricing` rounds it
        price = t.money(whole, offer.price.currency)
        return result.scored(Outcome.MET, t.gettext("Publishes a price: {price}.", price=price), evidence, 1.0)
    return result.scored(Outcome.UNKNOWN, t.gettext("Has not published a price to us."), (), 0.0)


def treatment_confirmed(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("treatment_confirmed", policy, context), context.text
    offer = clinic.offers.get(context.treatment)
    evidence = () if offer is None else (Evidence(offer.source, offer.as_of),)
    if offer is not None and offer.availability is Availability.YES:
        return result.scored(Outcome.MET, t.gettext("Offers this treatment."), evidence, 1.0)
    if offer is not None and offer.availability is Availability.NO:
        return result.scored(Outcome.FAILED, t.gettext("Does not offer this treatment."), evidence, 0.0)
    return result.scored(Outcome.UNKNOWN, t.gettext("Not confirmed — ask the clinic."), evidence, 0.0)


MALE_FACTOR_LABELS: Mapping[MaleFactorCapability, str] = {
    MaleFactorCapability.REPRODUCTIVE_UROLOGIST: N_("reproductive urologist on site"),
    MaleFactorCapability.MICRO_TESE: N_("performs micro-TESE"),
    MaleFactorCapability.SPERM_CRYOPRESERVATION: N_("freezes sperm"),
    MaleFactorCapability.DONOR_SPERM_ACCESS: N_("donor sperm as a backup"),
}


def male_factor(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("male_factor", policy, context), context.text
    facts = [(capability, clinic.male_factor.get(capability)) for capability in MaleFactorCapability]

    def labels(wanted: set[Availability]) -> list[str]:
        return [
            t.gettext(MALE_FACTOR_LABELS[capability])
            for capability, fact in facts
            if (fact.value if fact is not None else Availability.UNKNOWN) in wanted
        ]

    yes, no, unknown = labels({Availability.YES}), labels({Availability.NO}), labels({Availability.UNKNOWN})
    parts = [
        t.gettext("Yes: {items}.", items=t.join(yes)) if yes else "",
        t.gettext("No: {items}.", items=t.join(no)) if no else "",
        t.gettext("Unknown: {items}.", items=t.join(unknown)) if unknown else "",
    ]
    detail = " ".join(part for part in parts if part)
    evidence = _evidence(*(fact for _, fact in facts))
    share = len(yes) / len(facts)
    if no:
        return result.scored(Outcome.FAILED, detail, evidence, share)
    if unknown:
        return result.scored(Outcome.UNKNOWN, detail, evidence, share)
    return result.scored(Outcome.MET, detail, evidence, share)


LANGUAGE_NAMES: Mapping[str, str] = {"en": N_("English"), "es": N_("Spanish")}


def language(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("language", policy, context), context.text
    spoken = clinic.languages
    wanted = t.gettext(LANGUAGE_NAMES.get(context.language, context.language))
    if spoken is None:
        detail = t.gettext("We don't know whether staff speak {language}.", language=wanted)
        return result.scored(Outcome.UNKNOWN, detail, (), 0.0)
    evidence = _evidence(spoken)
    if context.language in spoken.value:
        return result.scored(Outcome.MET, t.gettext("Staff speak {language}.", language=wanted), evidence, 1.0)
    detail = t.gettext("Staff are not listed as speaking {language}.", language=wanted)
    return result.scored(Outcome.FAILED, detail, evidence, 0.0)


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
        N_("Open and reporting results"),
        N_("Clinics that report every cycle to the national register (CDC in the US) can be compared fairly."),
        True,
        open_and_reporting,
    ),
    Criterion(
        "lab_accreditation",
        N_("Accredited laboratory"),
        N_("An accredited embryo lab is inspected against published standards."),
        True,
        lab_accreditation,
    ),
    Criterion(
        "minimum_volume",
        N_("Enough experience"),
        N_("A clinic needs a steady number of cycles each year to keep its team and lab in practice."),
        True,
        minimum_volume,
    ),
    Criterion(
        "treatment_confirmed",
        N_("Treatment confirmed"),
        N_("The clinic itself has told us it offers the treatment you chose."),
        False,
        treatment_confirmed,
    ),
    Criterion(
        "male_factor",
        N_("Male-factor care"),
        N_("For sperm retrieval, a urologist on site, micro-TESE, sperm freezing and a donor backup matter."),
        False,
        male_factor,
        SURGICAL_SPERM_RETRIEVAL,
    ),
    Criterion(
        "society_membership",
        N_("Professional society member"),
        N_("Members of societies such as SART or ESHRE commit to their practice and reporting standards."),
        False,
        society_membership,
    ),
    Criterion(
        "volume_tier",
        N_("Volume"),
        N_("Larger programmes see more cases like yours."),
        False,
        volume_tier,
    ),
    Criterion(
        "freshness",
        N_("Recently confirmed"),
        N_("A listing confirmed in the last 12 months is more likely to be right."),
        False,
        freshness,
    ),
    Criterion(
        "published_price",
        N_("Published price"),
        N_("A published price lets you compare before you visit."),
        False,
        published_price,
    ),
    Criterion(
        "language",
        N_("Your language"),
        N_("Being understood matters at every appointment."),
        False,
        language,
    ),
)

_BY_CODE = {criterion.code: criterion for criterion in CRITERIA}


class _ResultBuilder:
    def __init__(self, criterion: Criterion, max_points: float, text: Text) -> None:
        self._criterion = criterion
        self._max_points = max_points
        self._text = text

    def with_outcome(self, outcome: Outcome, detail: str, evidence: tuple[Evidence, ...] = ()) -> CriterionResult:
        return self.scored(outcome, detail, evidence, 0.0)

    def scored(self, outcome: Outcome, detail: str, evidence: tuple[Evidence, ...], share: float) -> CriterionResult:
        criterion = self._criterion
        return CriterionResult(
            code=criterion.code,
            title=self._text.gettext(criterion.title),
            why_it_matters=self._text.gettext(criterion.why_it_matters),
            gate=criterion.gate,
            outcome=outcome,
            detail=detail,
            evidence=evidence,
            points=half_up(self._max_points * share, 2),
            max_points=self._max_points,
        )


def _result(code: str, policy: QualityPolicy, context: Context) -> _ResultBuilder:
    criterion = _BY_CODE[code]
    return _ResultBuilder(criterion, 0.0 if criterion.gate else policy.weights[code], context.text)


def applicable(treatment: Treatment) -> tuple[Criterion, ...]:
    return tuple(c for c in CRITERIA if c.applies_to is None or treatment in c.applies_to)


def evaluate(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> tuple[CriterionResult, ...]:
    return tuple(criterion.check(clinic, policy, context) for criterion in applicable(context.treatment))
