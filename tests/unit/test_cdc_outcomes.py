"""CDC outcome conversion: printed cells, the 2018 matcher, Wilson intervals and the national comparison."""

from __future__ import annotations

import filecmp

import pytest

from clinicfinder.core.outcomes import (
    MIN_TRIALS,
    Comparison,
    NumeratorBasis,
    OutcomeFigure,
    compare_figure,
    compare_to_national,
    wilson_interval,
)
from tests.support.paths import PROJECT_ROOT
from tools.cdc_cells import CellKind, numerators_for, parse_cell
from tools.cdc_match_2018 import DO_NOT_MATCH, Alias, Clinic2018, Method, match_all
from tools.cdc_outcomes import Cohort, Quirks, figure, main
from tools.cdc_profiles import Profile


@pytest.mark.parametrize(
    ("raw", "kind", "numerator", "denominator", "number", "suppressed"),
    [
        ("*", CellKind.SUPPRESSED, None, None, None, True),
        ("* / 11", CellKind.FRACTION, None, 11, None, True),
        ("0 / *", CellKind.FRACTION, 0, None, None, True),
        ("3 / 8", CellKind.FRACTION, 3, 8, None, False),
        ("9/15", CellKind.FRACTION, 9, 15, None, False),
        ("1,234", CellKind.COUNT, None, None, 1234.0, False),
        ("45.2%", CellKind.PERCENT, None, None, 45.2, False),
        ("31%", CellKind.PERCENT, None, None, 31.0, False),
        ("<1%", CellKind.BELOW, None, None, 1.0, False),
        ("", CellKind.EMPTY, None, None, None, False),
    ],
)
def test_cdc_cells_are_read_as_printed(raw, kind, numerator, denominator, number, suppressed):
    cell = parse_cell(raw)
    assert (cell.kind, cell.numerator, cell.denominator, cell.number, cell.suppressed) == (
        kind,
        numerator,
        denominator,
        number,
        suppressed,
    )


@pytest.mark.parametrize("raw", ["n/a", "12 / 8", "4.5.6%", "-3"])
def test_a_cell_cdc_never_prints_is_an_error(raw):
    with pytest.raises(ValueError):
        parse_cell(raw)


def _figure(raw: str, denominator: str | None = None) -> dict[str, str]:
    row = figure(
        Cohort("own", "all", "", "<35"),
        "live_births_per_intended_retrieval",
        "percent",
        parse_cell(raw),
        parse_cell(denominator) if denominator is not None else None,
        Quirks(),
        "test",
    )
    assert row is not None
    return row


def test_a_suppressed_rate_is_too_few_to_report_never_zero():
    row = _figure("* / 11", "11")
    assert (row["suppressed"], row["numerator"], row["denominator"], row["value"]) == ("true", "", "11", "")


def test_a_fraction_keeps_its_counts_as_published():
    row = _figure("3 / 8", "8")
    assert (row["numerator"], row["denominator"], row["numerator_basis"], row["suppressed"]) == (
        "3",
        "8",
        "published",
        "false",
    )


def test_a_percentage_over_a_small_count_gives_back_the_one_numerator_that_fits():
    row = _figure("56.4%", "39")  # 22 / 39 = 56.41 %
    assert (row["value"], row["numerator"], row["denominator"], row["numerator_basis"]) == (
        "56.4",
        "22",
        "39",
        NumeratorBasis.RECONSTRUCTED.value,
    )


def test_a_percentage_over_a_large_count_is_marked_rounded():
    assert len(numerators_for(52.0, 1, 50651)) > 1
    row = _figure("52.0%", "50,651")
    assert (row["numerator"], row["numerator_basis"]) == (str(round(0.52 * 50651)), "rounded")


def _profile(number: int, name: str, city: str, director: str, state: str = "CA", year: int = 2022) -> Profile:
    return Profile(number, year, name, director, "1 Main St", city, state, "California", "90000", "Open", "100", "", "")


def _clinic(order_id: int, name: str, city: str, director: str, state: str = "CA") -> Clinic2018:
    return Clinic2018(order_id, name, "", city, "CALIFORNIA", state, director)


def _match(clinics, profiles, aliases=()):
    by_year = {2022: {p.number: p for p in profiles}}
    return {r.clinic.order_id: r for r in match_all(clinics, by_year, list(aliases))}


def test_a_renamed_clinic_is_matched_only_through_its_reviewed_alias():
    renamed = _clinic(1, "SHER INSTITUTE-LAS VEGAS", "LAS VEGAS", "Russell A. Foulk, MD", state="NV")
    profiles = [_profile(713, "Nevada Fertility Center", "Las Vegas", "Russell A. Foulk, MD", state="NV")]
    assert _match([renamed], profiles)[1].clinic_id == ""
    alias = Alias("SHER INSTITUTE-LAS VEGAS", "LAS VEGAS", "CALIFORNIA", "us-cdc-713", "renamed, same director")
    result = _match([renamed], profiles, [alias])[1]
    assert (result.clinic_id, result.method) == ("us-cdc-713", Method.ALIAS)


def test_an_alias_can_say_do_not_match():
    clinic = _clinic(1, "USC FERTILITY", "LOS ANGELES", "Richard J. Paulson, MD")
    profiles = [_profile(937, "USC Fertility", "Los Angeles", "Richard J. Paulson, MD")]
    alias = Alias("USC FERTILITY", "LOS ANGELES", "CALIFORNIA", DO_NOT_MATCH, "new ClinicId")
    assert _match([clinic], profiles, [alias])[1].clinic_id == ""


def test_two_clinics_in_one_city_are_told_apart_by_name_and_then_by_director():
    clinics = [
        _clinic(1, "HRC FERTILITY-PASADENA", "PASADENA", "John G. Wilcox, MD"),
        _clinic(2, "USC FERTILITY, LLC", "PASADENA", "Richard J. Paulson, MD"),
        _clinic(3, "FERTILITY CENTER", "IRVINE", "Ann Smith, MD"),
    ]
    profiles = [
        _profile(477, "HRC Fertility-Pasadena", "Pasadena", "John G. Wilcox, MD"),
        _profile(937, "USC Fertility", "Pasadena", "Richard J. Paulson, MD"),
        _profile(10, "Fertility Center", "Irvine", "Ann Smith, MD"),
        _profile(11, "Fertility Center", "Irvine", "Bob Jones, MD"),
    ]
    results = _match(clinics, profiles)
    assert results[1].clinic_id == "us-cdc-477"
    assert (results[2].clinic_id, results[2].method) == ("us-cdc-937", Method.NAME)
    assert (results[3].clinic_id, results[3].method) == ("us-cdc-10", Method.NAME_DIRECTOR)


@pytest.mark.parametrize(
    ("name", "city", "director"),
    [
        ("CHA FERTILITY CENTER", "LOS ANGELES", "Joshua J. Berger, MD"),  # 0.93 like "UCLA Fertility Center"
        ("UCLA FERTILITY CENTER", "SANTA MONICA", "Kathleen M. Brennan, MD"),  # same name, other city
        ("PRESBYTERIAN HOSPITAL ARTS", "LOS ANGELES", "Kathleen M. Brennan, MD"),  # same director only
    ],
)
def test_a_doubtful_match_stays_unmatched(name, city, director):
    profiles = [_profile(361, "UCLA Fertility Center", "Los Angeles", "Kathleen M. Brennan, MD")]
    result = _match([_clinic(1, name, city, director)], profiles)[1]
    assert result.clinic_id == ""
    assert result.reason


def test_two_2018_clinics_claiming_one_clinic_id_are_both_ambiguous():
    clinics = [
        _clinic(1, "BAY FERTILITY", "OAKLAND", "Ann Smith, MD"),
        _clinic(2, "BAY FERTILITY, INC.", "OAKLAND", "Ann Smith, MD"),
    ]
    results = _match(clinics, [_profile(5, "Bay Fertility", "Oakland", "Ann Smith, MD")])
    assert all(r.ambiguous and r.clinic_id == "" for r in results.values())


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [
        (0, 0, None),
        (2, 3, (0.2077, 0.9385)),
        (10, 10, (0.7225, 1.0)),
        (0, 10, (0.0, 0.2775)),
        (520, 1000, (0.4890, 0.5508)),
    ],
)
def test_wilson_interval(successes, trials, expected):
    interval = wilson_interval(successes, trials)
    if expected is None:
        assert interval is None
    else:
        assert interval == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("successes", "trials", "suppressed", "national", "expected"),
    [
        (0, 0, False, 0.52, Comparison.TOO_FEW),
        (2, 3, False, 0.52, Comparison.TOO_FEW),
        (None, 11, True, 0.52, Comparison.TOO_FEW),
        (MIN_TRIALS - 1, MIN_TRIALS - 1, False, 0.52, Comparison.TOO_FEW),
        (40, 40, False, 0.52, Comparison.ABOVE),  # 100 % of 40
        (600, 1000, False, 0.52, Comparison.ABOVE),
        (450, 1000, False, 0.52, Comparison.BELOW),
        (12, 25, False, 0.52, Comparison.CONSISTENT),
        (None, None, False, 0.52, Comparison.TOO_FEW),
    ],
)
def test_comparison_with_the_national_rate_in_hfeas_manner(successes, trials, suppressed, national, expected):
    assert compare_to_national(successes, trials, national, suppressed=suppressed) is expected


def test_a_national_rate_given_as_a_percentage_is_refused():
    with pytest.raises(ValueError):
        compare_to_national(10, 50, 52.0)


def test_a_clinic_figure_is_compared_with_the_national_figure_from_the_csv():
    base = {
        "year": "2018",
        "egg_source": "own",
        "patients": "all",
        "age_band": "<35",
        "measure": "live_births_per_intended_retrieval",
        "unit": "percent",
        "suppressed": "false",
        "source": "CDC NASS 2018 ART clinic tables",
        "source_year": "2018",
    }
    national = OutcomeFigure.from_row(
        base | {"clinic_id": "national", "numerator": "26339", "denominator": "50651", "value": "52.0"}
    )
    clinic = OutcomeFigure.from_row(
        base
        | {
            "clinic_id": "us-cdc-1",
            "numerator": "300",
            "denominator": "400",
            "value": "75.0",
            "numerator_basis": "reconstructed",
        }
    )
    assert compare_figure(clinic, national) is Comparison.ABOVE


def test_the_committed_outcome_files_rebuild_from_data_raw(tmp_path):
    assert main(["--out", str(tmp_path)]) == 0
    for name in ("cdc_outcomes.csv", "cdc_history.csv", "cdc_2018_match_report.md"):
        assert filecmp.cmp(tmp_path / name, PROJECT_ROOT / "data" / name, shallow=False), f"{name} is stale: rebuild it"
