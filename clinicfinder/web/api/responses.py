"""The answers of `/api/v1` as pydantic models: built from the matching core, dumped as JSON, documented.

No Flask here: a clinic's URL comes in as a function, so the models could live in a core package.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal, Self

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from clinicfinder.core import geo
from clinicfinder.core.domain import Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.core.matching import engine, facts, money
from clinicfinder.core.matching.criteria import CriterionResult, Outcome
from clinicfinder.core.matching.engine import Exclusion
from clinicfinder.core.matching.estimates import COST_ITEM_NAMES, CostEstimate, Covers
from clinicfinder.core.matching.pricing import BudgetFit, PriceAssessment, PriceKind
from clinicfinder.web.api.base import ApiModel
from clinicfinder.web.api.outcomes import ShareFigure, SuccessRate
from clinicfinder.web.api.schemas import AgeBand, ApiError, Currency, Language, Order, SearchParams

ClinicUrl = Callable[[str], str]  # a clinic id → the URL of its detail


class Place(ApiModel):
    label: str
    name: str
    locality: str | None = Field(description="The town of a postcode, when known.")
    region: str | None
    country: str = Field(pattern=r"^[A-Z]{2}$")
    country_name: str
    latitude: float
    longitude: float
    kind: str

    @classmethod
    def of(cls, value: geo.Place) -> Self:
        return cls(
            label=value.label,
            name=value.name,
            locality=value.locality,
            region=value.region,
            country=value.country,
            country_name=value.country_name,
            latitude=value.latitude,
            longitude=value.longitude,
            kind=value.kind,
        )


class Money(ApiModel):
    amount: float
    currency: str

    @classmethod
    def of(cls, value: money.Money | None) -> Self | None:
        return None if value is None else cls(amount=float(value.amount), currency=value.currency)


class Fact(ApiModel):
    value: str | list[str]
    source: str
    as_of: date

    @classmethod
    def of(cls, value: facts.Fact[Any] | None) -> Self | None:
        if value is None:
            return None
        raw = value.value
        shown = list(raw) if isinstance(raw, tuple) else getattr(raw, "value", raw)
        return cls(value=shown, source=value.source, as_of=value.as_of)


class Evidence(ApiModel):
    source: str
    as_of: date | None


class Criterion(ApiModel):
    code: str
    title: str
    why_it_matters: str
    gate: bool = Field(description="A gate must be met for a clinic to be listed.")
    outcome: Outcome
    detail: str
    evidence: list[Evidence]

    @classmethod
    def of(cls, value: CriterionResult) -> Self:
        return cls(
            code=value.code,
            title=value.title,
            why_it_matters=value.why_it_matters,
            gate=value.gate,
            outcome=value.outcome,
            detail=value.detail,
            evidence=[Evidence(source=e.source, as_of=e.as_of) for e in value.evidence],
        )


class CostFigure(ApiModel):
    item: str
    label: str = Field(description="What the figure is, in the source's own terms (English).")
    includes: str
    year: str
    source_title: str
    source_url: str


class Estimate(ApiModel):
    low: Money | None
    typical: Money | None
    high: Money | None
    is_sum_of_figures: bool
    covers: Covers = Field(description="How many cycles the figure covers, as its source says (one_cycle, not_stated).")
    figures: list[CostFigure]

    @classmethod
    def of(cls, value: CostEstimate | None) -> Self | None:
        if value is None:
            return None
        return cls(
            low=Money.of(value.low),
            typical=Money.of(value.typical),
            high=Money.of(value.high),
            is_sum_of_figures=value.is_sum,
            covers=value.covers,
            figures=[
                CostFigure(
                    item=part.figure.cost_key,
                    label=COST_ITEM_NAMES[part.item],
                    includes=part.figure.includes,
                    year=part.figure.year,
                    source_title=part.figure.source_title,
                    source_url=part.figure.source_url,
                )
                for part in value.parts
            ],
        )


class VariantEstimate(ApiModel):
    variant: str | None = Field(description="donor_sperm_iui, donor_sperm_ivf, egg_freezing, …; null for a single way.")
    estimate: Estimate | None = Field(description="null: no reliable estimate for this variant.")
    budget_fit: BudgetFit = Field(description="An estimate's fit to the budget, never a published price's.")


class Price(ApiModel):
    kind: PriceKind
    budget_fit: BudgetFit = Field(description="For an estimate with several variants: over those that have one.")
    amount: Money | None
    original: Money | None
    estimate: Estimate | None = Field(description="The estimate when the treatment has one variant; else see variants.")
    variants: list[VariantEstimate] = Field(description="Each variant's typical cost, when kind is estimate.")
    source: str | None
    as_of: date | None
    exchange_rate_as_of: date | None

    @classmethod
    def of(cls, value: PriceAssessment) -> Self:
        return cls(
            kind=value.kind,
            budget_fit=value.fit,
            amount=Money.of(value.amount),
            original=Money.of(value.original),
            estimate=Estimate.of(value.estimate),
            variants=[
                VariantEstimate(variant=v.name, estimate=Estimate.of(v.estimate), budget_fit=v.fit)
                for v in value.variants
            ],
            source=value.source,
            as_of=value.as_of,
            exchange_rate_as_of=value.rate_as_of,
        )


class ClinicSummary(ApiModel):
    """A clinic without coordinates can be looked up but is never in a search."""

    id: str
    name: str
    address: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None
    phone: str | None
    email: str | None
    website: str | None
    status: ClinicStatus
    url: str
    cdc_url: str | None = Field(description="The clinic's page on CDC's ART data site, by its CDC ClinicId.")

    @staticmethod
    def fields_of(value: facts.ClinicFacts, url: ClinicUrl) -> dict[str, Any]:
        return {
            "id": value.id,
            "name": value.name,
            "address": value.address,
            "city": value.city,
            "region": value.region,
            "postal_code": value.postal_code,
            "country": value.country,
            "latitude": value.latitude,
            "longitude": value.longitude,
            "phone": value.phone,
            "email": value.email,
            "website": value.website,
            "status": value.status,
            "url": url(value.id),
            "cdc_url": None if value.cdc is None else value.cdc.cdc_page_url,
        }

    @classmethod
    def of(cls, value: facts.ClinicFacts, url: ClinicUrl) -> Self:
        return cls(**cls.fields_of(value, url))


class Listing(ApiModel):
    source: str | None
    as_of: date | None


class Outcomes(ApiModel):
    year: int
    total_cycles: int | None
    source: str
    as_of: date


class Offer(ApiModel):
    availability: Availability
    price: Money | None
    source: str
    as_of: date
    verified: bool = Field(description="False: the clinic's own claim, not yet verified; it does not change order.")


class ClinicDetail(ClinicSummary):
    listing: Listing
    outcomes: Outcomes | None
    verified_lab_accreditation: Fact | None
    accreditation_bodies: Fact | None
    sart_member: Fact | None
    other_society_memberships: Fact | None
    treatments: dict[Treatment, Offer] = Field(
        description="Only what the clinic or the register said; absent: unknown."
    )
    male_factor: dict[MaleFactorCapability, Fact | None]
    languages: Fact | None
    criteria: list[Criterion]
    success_rates: list[SuccessRate] = Field(description="Every age band of the newest year CDC data we hold.")
    older_success_rates: list[SuccessRate]
    male_factor_share: ShareFigure | None = Field(
        description="Share of the clinic's cycles with a male-factor diagnosis."
    )
    icsi_share: ShareFigure | None = Field(description="Share of the clinic's transfers that used ICSI.")

    @classmethod
    def of_clinic(cls, value: facts.ClinicFacts, criteria: tuple[CriterionResult, ...], url: ClinicUrl) -> Self:
        outcomes, record = value.outcomes, value.cdc
        return cls(
            **cls.fields_of(value, url),
            listing=Listing(source=value.listing_source, as_of=value.listing_as_of),
            outcomes=None
            if outcomes is None
            else Outcomes(
                year=outcomes.year, total_cycles=outcomes.total_cycles, source=outcomes.source, as_of=outcomes.as_of
            ),
            verified_lab_accreditation=Fact.of(value.verified_lab_accreditation),
            accreditation_bodies=Fact.of(value.accreditation_bodies),
            sart_member=Fact.of(value.sart_member),
            other_society_memberships=Fact.of(value.other_memberships),
            # A pending claim stands in for the verified fact only where there is none, flagged as such.
            treatments={
                treatment: Offer(
                    availability=offer.availability,
                    price=Money.of(offer.price),
                    source=offer.source,
                    as_of=offer.as_of,
                    verified=verified,
                )
                for verified, offers in ((False, value.pending_offers), (True, value.offers))
                for treatment, offer in offers.items()
            },
            male_factor={capability: Fact.of(item) for capability, item in value.male_factor.items()},
            languages=Fact.of(value.languages),
            criteria=[Criterion.of(item) for item in criteria],
            success_rates=[SuccessRate.of(band) for band in record.success_by_band()] if record else [],
            older_success_rates=[
                SuccessRate.of(band) for year in record.success_years[1:] for band in record.success_by_band(year)
            ]
            if record
            else [],
            male_factor_share=ShareFigure.of(record.male_factor) if record else None,
            icsi_share=ShareFigure.of(record.icsi) if record else None,
        )


class RankedTreatment(ApiModel):
    availability: Availability = Field(description="A search ranks only yes or unknown; no is excluded.")
    confirmed: bool
    source: str | None
    as_of: date | None


class RankedClinic(ApiModel):
    rank: int = Field(ge=1)
    distance_km: float
    explanation: str = Field(description="Why the clinic stands where it does in the chosen order.")
    clinic: ClinicSummary
    treatment: RankedTreatment
    price: Price
    success_rate: SuccessRate | None = Field(description="For the age band asked (age_band); null without one.")
    male_factor_share: ShareFigure | None
    icsi_share: ShareFigure | None
    yearly_cycles: float | None = Field(description="Mean cycles a year CDC reported, 2020–2022.")
    criteria: list[Criterion]

    @classmethod
    def of(cls, value: engine.RankedClinic, url: ClinicUrl) -> Self:
        offer = value.offer
        return cls(
            rank=value.rank,
            distance_km=round(value.distance_km, 1),
            explanation=value.explanation,
            clinic=ClinicSummary.of(value.clinic, url),
            treatment=RankedTreatment(
                availability=value.availability,
                confirmed=value.availability is Availability.YES,
                source=None if offer is None else offer.source,
                as_of=None if offer is None else offer.as_of,
            ),
            price=Price.of(value.price),
            success_rate=None if value.success is None else SuccessRate.of(value.success),
            male_factor_share=ShareFigure.of(value.clinic.cdc.male_factor) if value.clinic.cdc else None,
            icsi_share=ShareFigure.of(value.clinic.cdc.icsi) if value.clinic.cdc else None,
            yearly_cycles=None if value.yearly_cycles is None else round(value.yearly_cycles, 1),
            criteria=[Criterion.of(item) for item in value.criteria],
        )


class Suggestion(ApiModel):
    code: Literal["larger_radius", "higher_budget", "include_unconfirmed", "include_unpriced"]
    added: int = Field(ge=1)
    message: str
    radius_km: float | None
    budget: Money | None

    @classmethod
    def of(cls, value: engine.Suggestion) -> Self:
        return cls(
            code=value.code,  # the engine's codes are plain strings: validated against the documented four here
            added=value.added,
            message=value.message,
            radius_km=value.radius_km,
            budget=Money.of(value.budget),
        )


class FewerThanThree(ApiModel):
    explanation: str
    suggestions: list[Suggestion]


class SearchQuery(ApiModel):
    """The search as understood: the place found, and every default filled in."""

    location: Place | None
    latitude: float
    longitude: float
    radius_km: float | None = Field(description="null: anywhere.")
    treatment: Treatment
    budget: Money | None
    currency: Currency
    include_unpriced: bool
    include_unconfirmed: bool
    language: Language
    limit: int
    age_band: AgeBand | None = Field(description="null: not given.")
    order: Order
    offset: int


class ExchangeRates(ApiModel):
    as_of: date
    source: str


class SearchResponse(ApiModel):
    query: SearchQuery
    total: int = Field(description="Clinics that fit; `results` holds the first `limit`.")
    considered: int = Field(description="Clinics within the radius.")
    excluded: dict[Exclusion, int]
    results: list[RankedClinic]
    fewer_than_three: FewerThanThree | None
    exchange_rates: ExchangeRates

    @classmethod
    def of(
        cls,
        params: SearchParams,
        origin: geo.Place | None,
        query: engine.SearchQuery,
        outcome: engine.SearchOutcome,
        rates: money.ExchangeRates,
        url: ClinicUrl,
    ) -> Self:
        return cls(
            query=SearchQuery(
                location=None if origin is None else Place.of(origin),
                latitude=query.latitude,
                longitude=query.longitude,
                radius_km=params.radius_km,
                treatment=params.treatment,
                budget=Money.of(query.budget),
                currency=params.currency,
                include_unpriced=params.include_unpriced,
                include_unconfirmed=params.include_unconfirmed,
                language=params.language,
                limit=params.limit,
                age_band=params.age_band,
                order=params.order,
                offset=params.offset,
            ),
            total=outcome.total,
            considered=outcome.considered,
            excluded=dict(sorted(outcome.excluded.items())),
            results=[RankedClinic.of(item, url) for item in outcome.results],
            fewer_than_three=None
            if not outcome.fewer_than_enough
            else FewerThanThree(
                explanation=outcome.explanation, suggestions=[Suggestion.of(s) for s in outcome.suggestions]
            ),
            exchange_rates=ExchangeRates(as_of=rates.as_of, source=rates.source),
        )


class GeocodeResponse(ApiModel):
    query: str
    ambiguous: bool
    candidates: list[Place] = Field(min_length=1)
    attribution: str

    @classmethod
    def of(cls, result: geo.GeocodeResult, attribution: str) -> Self:
        return cls(
            query=result.query,
            ambiguous=result.ambiguous,
            candidates=[Place.of(place) for place in result.candidates],
            attribution=attribution,
        )


class ErrorDetail(ApiModel):
    parameter: str | None = Field(description="The query parameter at fault.")
    message: str
    # Present only where they apply; SkipJsonSchema keeps "null" out of the document, as it is never sent.
    code: Literal["ambiguous"] | SkipJsonSchema[None] = None
    suggestions: list[str] | SkipJsonSchema[None] = None
    candidates: list[Place] | SkipJsonSchema[None] = None


class Error(ApiModel):
    error: ErrorDetail

    @classmethod
    def of(cls, error: ApiError) -> Self:
        return cls(error=ErrorDetail(parameter=error.parameter, message=error.message, **error.extra))
