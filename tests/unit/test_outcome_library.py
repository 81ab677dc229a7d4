"""CDC's facts per clinic, as the cards and the ranking read them from `data/cdc_outcomes.csv`."""

from __future__ import annotations

import pytest

from clinicfinder.core.outcomes import (
    AGE_CHOICES,
    AgeChoice,
    ClinicRecord,
    Comparison,
    OutcomeLibrary,
    band_for,
    band_is_wider,
    cdc_page_url,
    clinic_number,
    outcome_library,
)

NYU_LANGONE = "us-cdc-46"
IHR_CHICAGO = "us-cdc-1"  # Illinois: no 2022 summary in our copy, 2018 tables only
KINDBODY_CHICAGO_WEST_LOOP = "us-cdc-807"
NON_REPORTER_2022 = "us-cdc-252"  # Open 2020 and 2021, non-reporter in 2022


@pytest.fixture(scope="module")
def library() -> OutcomeLibrary:
    return outcome_library()


def record(library: OutcomeLibrary, clinic_id: str) -> ClinicRecord:
    found = library.get(clinic_id)
    assert found is not None, clinic_id
    return found


def test_the_library_loads_once_per_process_with_every_cdc_clinic(library: OutcomeLibrary) -> None:
    assert OutcomeLibrary.load() is library
    assert len(library) > 450
    assert "national" not in library
    assert library.get("es-valencia-1") is None


@pytest.mark.parametrize(
    ("age", "band", "numerator", "denominator"),
    [
        ("under_35", "<35", 236, 477),
        ("35_37", "35-37", 167, 426),
        ("38_40", "38-40", 140, 500),
        ("41_42", ">40", 67, 480),
        ("over_42", ">40", 67, 480),
    ],
)
def test_nyu_langone_shows_its_2022_own_egg_figure_for_each_band_without_a_national_figure(
    library: OutcomeLibrary, age: AgeChoice, band: str, numerator: int, denominator: int
) -> None:
    outcome = record(library, NYU_LANGONE).success(age)

    assert outcome is not None
    assert (outcome.year, outcome.age_band) == (2022, band)
    assert (outcome.numerator, outcome.denominator) == (numerator, denominator)
    assert outcome.source == "CDC NASS 2022 ART clinic data summary"
    assert outcome.cycles_started_in == 2021
    assert outcome.interval is not None
    low, high = outcome.interval
    assert low < numerator / denominator < high
    assert outcome.singleton_live_births is not None and outcome.singleton_live_births.year == 2022
    # Our copy has no 2022 national figure: never compared with 2018's instead.
    assert outcome.national is None
    assert outcome.comparison is Comparison.NO_NATIONAL


def test_nyu_langones_2018_figures_stay_available_behind_the_2022_ones(library: OutcomeLibrary) -> None:
    outcome = record(library, NYU_LANGONE).success("41_42")

    assert outcome is not None
    assert [(older.year, older.age_band) for older in outcome.older] == [(2018, "41-42")]
    older = outcome.older[0]
    assert older.national is not None and older.national.year == 2018
    assert older.comparison is Comparison.CONSISTENT


def test_a_clinic_known_only_from_2018_shows_2018_figures_against_the_2018_national_figure(
    library: OutcomeLibrary,
) -> None:
    clinic = record(library, IHR_CHICAGO)
    outcome = clinic.success("under_35")

    assert clinic.success_years == (2018,)
    assert outcome is not None
    assert (outcome.year, outcome.age_band, outcome.source) == (2018, "<35", "CDC NASS 2018 ART clinic tables")
    assert outcome.cycles_started_in is None
    assert outcome.national is not None
    assert (outcome.national.year, outcome.national.age_band, outcome.national.value) == (2018, "<35", 52.0)
    assert outcome.interval is not None
    assert outcome.comparison in {Comparison.ABOVE, Comparison.BELOW, Comparison.CONSISTENT}
    assert outcome.older == ()


def test_without_an_age_no_single_rate_is_shown_but_every_band_can_be_listed(library: OutcomeLibrary) -> None:
    clinic = record(library, NYU_LANGONE)

    assert clinic.success(None) is None
    assert [band.age_band for band in clinic.success_by_band()] == ["<35", "35-37", "38-40", ">40"]
    assert [band.age_band for band in clinic.success_by_band(2018)] == ["<35", "35-37", "38-40", "41-42", "≥43"]


def test_suppressed_cells_are_too_few_never_zero(library: OutcomeLibrary) -> None:
    suppressed = [
        band for clinic in library.records.values() for year in clinic.bands.values() for band in year.values()
    ]
    suppressed = [band for band in suppressed if band.suppressed]

    assert len(suppressed) > 100
    for band in suppressed:
        assert band.comparison is Comparison.TOO_FEW
        assert band.interval is None
        assert band.rate is None  # "0 / *" included: the count of births is known, the rate is not


def test_a_small_published_fraction_is_too_few_to_compare_but_keeps_its_interval(library: OutcomeLibrary) -> None:
    small = [
        band
        for clinic in library.records.values()
        for year in clinic.bands.values()
        for band in year.values()
        if not band.suppressed and band.denominator is not None and 0 < band.denominator < 20
    ]

    assert small
    assert all(band.comparison is Comparison.TOO_FEW and band.interval is not None for band in small)


def test_a_rate_cdc_printed_over_no_retrievals_is_no_rate(library: OutcomeLibrary) -> None:
    # CDC prints "0.0%" for us-cdc-421's 35–37 band in 2022, over 0 intended retrievals.
    band = record(library, "us-cdc-421").bands[2022]["35-37"]

    assert (band.denominator, band.live_births.value) == (0, 0.0)
    assert band.rate is None
    assert band.interval is None
    assert band.comparison is Comparison.TOO_FEW


@pytest.mark.parametrize(
    ("age", "band_2018", "band_2022", "wider_in_2022"),
    [
        ("under_35", "<35", "<35", False),
        ("35_37", "35-37", "35-37", False),
        ("38_40", "38-40", "38-40", False),
        ("41_42", "41-42", ">40", True),
        ("over_42", "≥43", ">40", True),
    ],
)
def test_each_age_choice_maps_to_the_band_cdc_published_that_year(
    age: AgeChoice, band_2018: str, band_2022: str, wider_in_2022: bool
) -> None:
    assert age in AGE_CHOICES
    assert band_for(age, 2018) == band_2018
    assert band_for(age, 2022) == band_2022
    assert band_is_wider(age, 2018) is False
    assert band_is_wider(age, 2022) is wider_in_2022
    assert band_for(age, 2019) is None


def test_male_factor_and_icsi_shares_come_from_the_newest_year_with_their_source(library: OutcomeLibrary) -> None:
    clinic = record(library, NYU_LANGONE)

    assert clinic.male_factor is not None and clinic.icsi is not None
    assert (clinic.male_factor.year, clinic.male_factor.figure.value) == (2022, 9.7)
    assert clinic.male_factor.national is None  # no 2022 national figure at hand
    assert [older.year for older in clinic.male_factor.older] == [2018]
    assert (clinic.icsi.year, clinic.icsi.figure.value, clinic.icsi.too_few) == (2022, 35.4, False)

    only_2018 = record(library, IHR_CHICAGO)
    assert only_2018.male_factor is not None and only_2018.male_factor.year == 2018
    assert only_2018.male_factor.national is not None and only_2018.male_factor.national.value == 28.0


def test_a_withheld_icsi_share_is_too_few_not_zero(library: OutcomeLibrary) -> None:
    withheld = [c.icsi for c in library.records.values() if c.icsi is not None and c.icsi.figure.suppressed]

    assert withheld
    assert all(share.too_few and share.rate is None for share in withheld)


def test_single_women_service_carries_its_2018_year(library: OutcomeLibrary) -> None:
    flag = record(library, NYU_LANGONE).single_women_service

    assert flag is not None
    assert (flag.value, flag.year, flag.source) == (True, 2018, "CDC NASS 2018 ART clinic tables")


def test_three_year_volume_sums_the_reported_years(library: OutcomeLibrary) -> None:
    clinic = record(library, NYU_LANGONE)

    assert [clinic.cycles_in(year) for year in (2020, 2021, 2022)] == [3503, 4691, 5117]
    assert clinic.volume_years == (2020, 2021, 2022)
    assert clinic.three_year_cycles == 3503 + 4691 + 5117
    assert clinic.mean_cycles_per_year == pytest.approx((3503 + 4691 + 5117) / 3)


def test_kindbody_chicago_west_loop_is_reorganized_but_reported(library: OutcomeLibrary) -> None:
    clinic = record(library, KINDBODY_CHICAGO_WEST_LOOP)

    assert clinic.status_in(2022) == "Reorganized"
    assert clinic.cycles_in(2022) == 3427
    assert clinic.reorganized_but_reported
    assert clinic.last_reported_year == 2022


def test_a_2022_non_reporter_is_shown_with_the_last_year_it_reported(library: OutcomeLibrary) -> None:
    clinic = record(library, NON_REPORTER_2022)

    assert clinic.status_in(2022) == "Non-reporter"
    assert clinic.cycles_in(2022) is None
    assert clinic.last_reported_year == 2021
    assert clinic.volume_years == (2020, 2021)
    assert not clinic.reorganized_but_reported


def test_every_clinic_links_to_its_cdc_page_by_clinic_id(library: OutcomeLibrary) -> None:
    expected = "https://nccd.cdc.gov/drh_art/rdPage.aspx?rdReport=DRH_ART.ClinicInfo&ClinicId=46"

    assert cdc_page_url(46) == expected
    assert record(library, NYU_LANGONE).cdc_page_url == expected
    assert clinic_number("us-cdc-46") == 46
    assert clinic_number("es-valencia-1") is None
