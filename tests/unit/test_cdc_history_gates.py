"""The gates read CDC's 2020–2022 history: three-year volume, and "reorganized" clinics that still report.

Both the reference rules (`Matcher.assess`, which explain a card) and the columnar index (which
ranks) are asked, so the two cannot drift apart on these clinics.
"""

from __future__ import annotations

from datetime import date

import pytest

from clinicfinder.core.domain import AccreditationStatus, Availability, ClinicStatus, Treatment
from clinicfinder.core.matching.criteria import Context, Outcome, QualityPolicy, evaluate
from clinicfinder.core.matching.engine import EXCLUSION_ORDER, Exclusion, Matcher, RankedClinic, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts, Fact, Offer, Outcomes
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.core.outcomes import ClinicRecord, YearReport, outcome_library

TODAY = date(2026, 11, 25)
CDC = "CDC NASS 2022 ART Services and Profiles"
CDC_DATE = date(2022, 12, 31)
CHICAGO = (41.8781, -87.6298)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(ExchangeRates.load(), CostReference.load(), QualityPolicy(), today=lambda: TODAY)


def clinic(clinic_id: str, status: ClinicStatus, total_cycles: int | None, cdc: ClinicRecord | None) -> ClinicFacts:
    return ClinicFacts(
        id=clinic_id,
        name=f"Clinic {clinic_id}",
        city="Chicago",
        region="IL",
        country="US",
        latitude=CHICAGO[0],
        longitude=CHICAGO[1],
        status=status,
        listing_source=CDC,
        listing_as_of=CDC_DATE,
        outcomes=Outcomes(2022, total_cycles, CDC, CDC_DATE),
        verified_lab_accreditation=Fact(AccreditationStatus.YES, CDC, CDC_DATE),
        offers={Treatment.IVF: Offer(Availability.YES, None, CDC, CDC_DATE)},
        cdc=cdc,
    )


def history(*years: tuple[int, str, int | None]) -> ClinicRecord:
    return ClinicRecord(
        clinic_id="us-cdc-9000",
        history=tuple(
            YearReport(year, status, cycles, "Test", f"CDC NASS {year} ART Services and Profiles")
            for year, status, cycles in years
        ),
    )


def verdicts(matcher: Matcher, facts: ClinicFacts) -> tuple[RankedClinic | Exclusion, Exclusion | None]:
    """What the reference rules say, and what the index says (None: it fits)."""
    query = SearchQuery(CHICAGO[0], CHICAGO[1], 50.0, Treatment.IVF)
    reference = matcher.assess(facts, 0.0, query)
    index = matcher.build_index([facts])
    scores = matcher.score(query, index, query.radius_km)
    code = int(scores.exclusion[0])
    return reference, (None if code == 0 else EXCLUSION_ORDER[code - 1])


def test_kindbody_chicago_west_loop_reorganized_with_a_full_2022_is_listed(matcher: Matcher) -> None:
    record = outcome_library().get("us-cdc-807")
    assert record is not None and record.cycles_in(2022) == 3427
    facts = clinic("us-cdc-807", ClinicStatus.REORGANIZED, 3427, record)

    reference, index = verdicts(matcher, facts)

    assert isinstance(reference, RankedClinic)
    assert index is None
    (gate,) = [
        r
        for r in evaluate(facts, QualityPolicy(), Context(Treatment.IVF, "en", TODAY))
        if r.code == "open_and_reporting"
    ]
    assert gate.outcome is Outcome.MET
    assert gate.detail == "Reorganized, and still reported its 2022 results."


@pytest.mark.parametrize(
    ("status", "cdc"),
    [
        # Reorganized with no cycles for 2022: nothing current to show.
        (ClinicStatus.REORGANIZED, history((2021, "Open", 400), (2022, "Reorganized", None))),
        # Reorganized and no CDC history at all: we could not check.
        (ClinicStatus.REORGANIZED, None),
        (ClinicStatus.CLOSED, history((2022, "Closed", 400))),
    ],
    ids=["reorganized-not-reported", "reorganized-no-history", "closed"],
)
def test_a_reorganized_clinic_without_reported_cycles_and_a_closed_one_stay_out(
    matcher: Matcher, status: ClinicStatus, cdc: ClinicRecord | None
) -> None:
    reference, index = verdicts(matcher, clinic("c1", status, 400, cdc))

    assert reference is Exclusion.NOT_OPEN_OR_REPORTING
    assert index is Exclusion.NOT_OPEN_OR_REPORTING


@pytest.mark.parametrize(
    ("years", "single_year", "listed", "detail"),
    [
        # 2022 alone (94) would fail; the three-year mean (105) passes.
        (
            ((2020, "Open", 120), (2021, "Open", 101), (2022, "Open", 94)),
            94,
            True,
            "105 cycles a year on average, 2020–2022.",
        ),
        # 2022 alone (138) would pass; the mean (82) fails.
        (
            ((2020, "Open", 40), (2021, "Open", 68), (2022, "Open", 138)),
            138,
            False,
            "82 cycles a year on average, 2020–2022.",
        ),
        # New in 2021: the mean counts only the years it reported.
        (((2021, "Open", 100), (2022, "Open", 100)), 100, True, "100 cycles a year on average, 2021–2022."),
        # 99.67 a year is under 100, and is not shown as "100".
        (
            ((2020, "Open", 100), (2021, "Open", 100), (2022, "Open", 99)),
            99,
            False,
            "99 cycles a year on average, 2020–2022.",
        ),
        (((2022, "Open", 150),), 150, True, "150 cycles in 2022."),
    ],
)
def test_the_volume_gate_judges_the_mean_of_the_reported_years(
    matcher: Matcher,
    years: tuple[tuple[int, str, int | None], ...],
    single_year: int,
    listed: bool,
    detail: str,
) -> None:
    facts = clinic("c1", ClinicStatus.OPEN, single_year, history(*years))

    reference, index = verdicts(matcher, facts)

    if listed:
        assert isinstance(reference, RankedClinic) and index is None
    else:
        assert reference is Exclusion.MINIMUM_VOLUME and index is Exclusion.MINIMUM_VOLUME
    (gate,) = [
        r for r in evaluate(facts, QualityPolicy(), Context(Treatment.IVF, "en", TODAY)) if r.code == "minimum_volume"
    ]
    assert gate.detail == detail
    assert [e.as_of.year for e in gate.evidence if e.as_of] == [year for year, _, cycles in years if cycles is not None]


@pytest.mark.parametrize(("cycles", "listed"), [(100, True), (99, False), (None, False)])
def test_without_cdc_history_the_listings_single_year_decides(
    matcher: Matcher, cycles: int | None, listed: bool
) -> None:
    reference, index = verdicts(matcher, clinic("es-1", ClinicStatus.OPEN, cycles, None))

    assert isinstance(reference, RankedClinic) is listed
    assert (index is None) is listed
