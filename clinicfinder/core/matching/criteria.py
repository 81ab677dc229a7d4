"""The quality criteria, in one configurable place (PRODUCT.md, "Quality criteria").

Gates decide whether a clinic is listed at all; every other criterion is a fact shown to the
patient, never folded into a score (the patient picks the order, see `engine.ORDERS`). Each
returns met / failed / unknown with the facts (source, as-of date) it rests on. A fact nobody
gave us is *unknown*: a gate that is unknown keeps the clinic out (we don't list what we could
not check); an unknown fact is shown as unknown.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.i18n import N_, Text, text_for
from clinicfinder.core.matching.facts import ClinicFacts, Fact

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


@dataclass(frozen=True)
class QualityPolicy:
    """The gates' thresholds. Change them here (or by setting, see config.py); docs/matching.md follows."""

    min_cycles_per_year: int = 100
    # Off by default: CDC's newest data is already years old, and a fixed age limit would empty the
    # directory one day without anyone noticing. The data's year is shown on every page instead.
    max_outcome_age_years: int | None = None
    # Laboratory accreditations we accept, besides CDC's own "verified lab accreditation" flag. A licence
    # from a national regulator (the HFEA) also counts; ISO 9001 does not: it certifies a quality-management
    # system, not a laboratory's competence.
    accepted_lab_bodies: frozenset[str] = frozenset(
        {
            "CAP",
            "College of American Pathologists",
            "The Joint Commission",
            "NY State Tissue Bank",
            "HFEA",
            "ISO 15189",
            "UNE 179007",
        }
    )


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
    result, t = _result("open_and_reporting", context), context.text
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
    if policy.max_outcome_age_years is not None and context.today.year - outcomes.year > policy.max_outcome_age_years:
        detail = t.gettext("Its latest reported results are from {year}.", year=outcomes.year)
        return result.with_outcome(Outcome.FAILED, detail, evidence)
    if clinic.status is ClinicStatus.REORGANIZED:
        detail = t.gettext("Reorganized, and still reported its {year} results.", year=outcomes.year)
        return result.with_outcome(Outcome.MET, detail, evidence)
    return result.with_outcome(
        Outcome.MET, t.gettext("Open; reported its {year} results.", year=outcomes.year), evidence
    )


def lab_accreditation(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("lab_accreditation", context), context.text
    verified, bodies = clinic.verified_lab_accreditation, clinic.accreditation_bodies
    accepted = sorted(set(bodies.value) & policy.accepted_lab_bodies) if bodies else []
    evidence = _evidence(verified, bodies)
    if verified is not None and verified.value is AccreditationStatus.YES:
        return result.with_outcome(Outcome.MET, t.gettext("The register verified its lab accreditation."), evidence)
    if accepted == ["HFEA"]:
        detail = t.gettext("Licensed by the HFEA, the UK's fertility regulator.")
        return result.with_outcome(Outcome.MET, detail, evidence)
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
    result, t = _result("minimum_volume", context), context.text
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


# --- facts shown, not scored ------------------------------------------------------------


def society_membership(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("society_membership", context), context.text
    sart, others = clinic.sart_member, clinic.other_memberships
    names = (["SART"] if sart is not None and sart.value is AccreditationStatus.YES else []) + list(
        others.value if others else ()
    )
    evidence = _evidence(sart, others)
    if names:
        return result.with_outcome(Outcome.MET, t.gettext("Member of {societies}.", societies=t.join(names)), evidence)
    if sart is not None and sart.value is AccreditationStatus.NO:
        return result.with_outcome(Outcome.FAILED, t.gettext("Not a member of SART."), evidence)
    return result.with_outcome(Outcome.UNKNOWN, t.gettext("We don't know of any society membership."), evidence)


def published_price(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("published_price", context), context.text
    offer = clinic.offers.get(context.treatment)
    if offer is not None and offer.price is not None:
        evidence = (Evidence(offer.source, offer.as_of),)
        whole = offer.price.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)  # as `pricing` rounds it
        price = t.money(whole, offer.price.currency)
        return result.with_outcome(Outcome.MET, t.gettext("Publishes a price: {price}.", price=price), evidence)
    pending = clinic.pending_offers.get(context.treatment)
    if pending is not None and pending.price is not None:
        price = t.money(pending.price.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP), pending.price.currency)
        detail = t.gettext("Clinic-reported price, not yet verified: {price}.", price=price)
        return result.with_outcome(Outcome.UNKNOWN, detail, (Evidence(pending.source, pending.as_of),))
    return result.with_outcome(Outcome.UNKNOWN, t.gettext("No published price."), ())


def treatment_confirmed(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("treatment_confirmed", context), context.text
    offer = clinic.offers.get(context.treatment)
    evidence = () if offer is None else (Evidence(offer.source, offer.as_of),)
    from_cdc = offer is not None and "CDC" in offer.source
    if offer is not None and offer.availability is Availability.YES:
        if from_cdc and context.treatment is Treatment.FERTILITY_PRESERVATION:
            # CDC's flags are egg and embryo freezing: they say nothing about sperm banking.
            detail = t.gettext("CDC lists egg or embryo freezing here; ask whether they bank sperm.")
        elif from_cdc:
            detail = t.gettext("CDC lists this service for the clinic.")
        else:
            detail = t.gettext("Offers this treatment (reported by the clinic, verified by us).")
        return result.with_outcome(Outcome.MET, detail, evidence)
    if offer is not None and offer.availability is Availability.NO:
        return result.with_outcome(Outcome.FAILED, t.gettext("Does not offer this treatment."), evidence)
    pending = clinic.pending_offers.get(context.treatment)
    if pending is not None and pending.availability is not Availability.UNKNOWN:
        claim = t.gettext("offers it") if pending.availability is Availability.YES else t.gettext("does not offer it")
        detail = t.gettext("Clinic-reported, not yet verified: {claim}.", claim=claim)
        return result.with_outcome(Outcome.UNKNOWN, detail, (Evidence(pending.source, pending.as_of),))
    return result.with_outcome(Outcome.UNKNOWN, t.gettext("Not confirmed — ask the clinic."), evidence)


MALE_FACTOR_LABELS: Mapping[MaleFactorCapability, str] = {
    MaleFactorCapability.REPRODUCTIVE_UROLOGIST: N_("reproductive urologist on site"),
    MaleFactorCapability.MICRO_TESE: N_("performs micro-TESE"),
    MaleFactorCapability.SPERM_CRYOPRESERVATION: N_("freezes sperm"),
    MaleFactorCapability.DONOR_SPERM_ACCESS: N_("donor sperm as a backup"),
}


def male_factor(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult:
    result, t = _result("male_factor", context), context.text
    facts = [(capability, clinic.male_factor.get(capability)) for capability in MaleFactorCapability]

    def labels(wanted: set[Availability]) -> list[str]:
        return [
            t.gettext(MALE_FACTOR_LABELS[capability])
            for capability, fact in facts
            if (fact.value if fact is not None else Availability.UNKNOWN) in wanted
        ]

    yes, no, unknown = labels({Availability.YES}), labels({Availability.NO}), labels({Availability.UNKNOWN})
    claimed = [
        t.gettext(MALE_FACTOR_LABELS[capability])
        for capability, fact in clinic.pending_male_factor.items()
        if fact.value is Availability.YES
    ]
    parts = [
        t.gettext("Yes: {items}.", items=t.join(yes)) if yes else "",
        t.gettext("No: {items}.", items=t.join(no)) if no else "",
        t.gettext("Unknown: {items}.", items=t.join(unknown)) if unknown else "",
        t.gettext("Clinic-reported, not yet verified: {items}.", items=t.join(claimed)) if claimed else "",
    ]
    detail = " ".join(part for part in parts if part)
    evidence = _evidence(*(fact for _, fact in facts), *clinic.pending_male_factor.values())
    if no:
        return result.with_outcome(Outcome.FAILED, detail, evidence)
    if unknown:
        return result.with_outcome(Outcome.UNKNOWN, detail, evidence)
    return result.with_outcome(Outcome.MET, detail, evidence)


LANGUAGE_NAMES: Mapping[str, str] = {"en": N_("English"), "es": N_("Spanish")}
# Where the patient's language is the country's own, "do staff speak it?" is not a question worth showing.
NATIONAL_LANGUAGES: Mapping[str, frozenset[str]] = {
    "US": frozenset({"en"}),
    "GB": frozenset({"en"}),
    "ES": frozenset({"es"}),
}


def language(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> CriterionResult | None:
    if context.language in NATIONAL_LANGUAGES.get(clinic.country, frozenset()):
        return None
    result, t = _result("language", context), context.text
    spoken = clinic.languages
    wanted = t.gettext(LANGUAGE_NAMES.get(context.language, context.language))
    if spoken is None:
        detail = t.gettext("We don't know whether staff speak {language}.", language=wanted)
        return result.with_outcome(Outcome.UNKNOWN, detail, ())
    evidence = _evidence(spoken)
    if context.language in spoken.value:
        return result.with_outcome(Outcome.MET, t.gettext("Staff speak {language}.", language=wanted), evidence)
    detail = t.gettext("Staff are not listed as speaking {language}.", language=wanted)
    return result.with_outcome(Outcome.FAILED, detail, evidence)


# --- the catalogue -------------------------------------------------------------------

Check = Callable[[ClinicFacts, QualityPolicy, Context], CriterionResult | None]


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
        N_("Clinics that report every cycle to the national register (CDC in the US) publish comparable results."),
        True,
        open_and_reporting,
    ),
    Criterion(
        "lab_accreditation",
        N_("Accredited laboratory"),
        N_("An accredited or licensed embryo lab is inspected against published standards."),
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
        N_("Whether the treatment you chose is listed by CDC, or reported by the clinic and checked by us."),
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
    def __init__(self, criterion: Criterion, text: Text) -> None:
        self._criterion = criterion
        # Translated once per criterion and language: every clinic on every page shows the same two.
        self._title = text.gettext(criterion.title)
        self._why_it_matters = text.gettext(criterion.why_it_matters)

    def with_outcome(self, outcome: Outcome, detail: str, evidence: tuple[Evidence, ...] = ()) -> CriterionResult:
        criterion = self._criterion
        return CriterionResult(
            code=criterion.code,
            title=self._title,
            why_it_matters=self._why_it_matters,
            gate=criterion.gate,
            outcome=outcome,
            detail=detail,
            evidence=evidence,
        )


def _result(code: str, context: Context) -> _ResultBuilder:
    return _builder(code, context.text.language)


@functools.cache  # keyed by a supported language (Text.language), so it holds a few dozen builders at most
def _builder(code: str, language: str) -> _ResultBuilder:
    return _ResultBuilder(_BY_CODE[code], text_for(language))


def applicable(treatment: Treatment) -> tuple[Criterion, ...]:
    return tuple(c for c in CRITERIA if c.applies_to is None or treatment in c.applies_to)


def evaluate(clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> tuple[CriterionResult, ...]:
    """The gates and the facts that apply to this treatment; a fact that cannot apply is left out."""
    results = (criterion.check(clinic, policy, context) for criterion in applicable(context.treatment))
    return tuple(result for result in results if result is not None)
