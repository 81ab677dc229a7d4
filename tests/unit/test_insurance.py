"""The state fertility-insurance law table: what each checked state's law is, as its source says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from clinicfinder.core.insurance import (
    COLUMNS,
    Coverage,
    LawType,
    StateLawError,
    all_laws,
    laws_for_places,
    load_laws,
    state_law,
)

HEADER = ",".join(COLUMNS)
GOOD_ROW = (
    "IL,Illinois,mandate_to_cover,yes,unknown,215 ILCS 5/356m,A sentence.,Una frase.,"
    "https://ilga.gov/x,Illinois General Assembly,2026-12-01"
)


@pytest.mark.parametrize("code", ["IL", "MA"])
def test_illinois_and_massachusetts_require_insurers_to_cover_ivf(code: str) -> None:
    law = state_law(code)
    assert law is not None
    assert law.law_type is LawType.MANDATE_TO_COVER
    assert law.ivf_included is Coverage.YES


def test_illinois_cites_its_insurance_code_and_the_statute_page() -> None:
    law = state_law("il")  # the code is read whatever its case
    assert law is not None
    assert law.statute == "215 ILCS 5/356m"
    assert law.source_url.startswith("https://ilga.gov/")
    assert "25 employees" in law.summary


def test_texas_only_requires_insurers_to_offer_ivf_coverage() -> None:
    law = state_law("TX")
    assert law is not None
    assert law.law_type is LawType.MANDATE_TO_OFFER
    assert law.statute == "Tex. Ins. Code § 1366.003"
    assert "offer" in law.summary


@pytest.mark.parametrize("code", ["AL", "AZ"])
def test_a_state_our_source_says_has_no_law_says_so(code: str) -> None:
    law = state_law(code)
    assert law is not None
    assert law.law_type is LawType.NO_LAW
    assert not law.has_law
    assert law.statute == ""


@pytest.mark.parametrize("code", ["WA", "PA", "", None, "ZZ"])
def test_an_unchecked_state_answers_nothing_rather_than_a_guess(code: str | None) -> None:
    assert state_law(code) is None


def test_georgias_law_covers_fertility_preservation_and_not_infertility_treatment() -> None:
    law = state_law("GA")
    assert law is not None and law.has_law
    assert law.law_type is LawType.PRESERVATION_ONLY
    assert law.fertility_preservation is Coverage.YES and law.ivf_included is Coverage.NO
    assert "33-24-59.34" in law.statute and "sickle cell" in law.summary


@pytest.mark.parametrize("code", ["LA", "NV", "UT", "FL", "KY"])
def test_states_whose_laws_we_could_not_confirm_stay_unchecked(code: str) -> None:
    assert state_law(code) is None  # see data/state_fertility_laws.md for why each is left out


def test_california_and_dc_cover_ivf_since_their_recent_laws() -> None:
    california, dc = state_law("CA"), state_law("DC")
    assert california and california.law_type is LawType.MANDATE_TO_COVER
    assert california.ivf_included is Coverage.YES and "1374.55" in california.statute
    assert dc and dc.law_type is LawType.MANDATE_TO_COVER
    assert dc.ivf_included is Coverage.YES and dc.fertility_preservation is Coverage.YES


def test_every_row_has_a_source_link_and_a_checked_on_date() -> None:
    laws = all_laws()
    assert len(laws) >= 19
    for law in laws.values():
        assert law.source_url.startswith(("https://", "http://")), law.state
        assert law.source_title, law.state
        assert date(2024, 1, 1) <= law.checked_on <= date(2026, 12, 31), law.state
        assert law.has_law == bool(law.statute), law.state


def test_each_spanish_summary_carries_the_numbers_of_its_english_one() -> None:
    # A translation says no more and no less than its source: every figure, year, age and
    # percentage of the English sentence is in the Spanish one, and none is added.
    for law in all_laws().values():
        english = re.findall(r"\d+", law.summary.replace(",000", "000"))
        spanish = re.findall(r"\d+", law.summary_es.replace(".000", "000"))
        assert sorted(spanish) == sorted(english), law.state


def test_the_states_of_a_page_are_listed_once_in_order_and_only_for_us_clinics() -> None:
    places = [("US", "IL"), ("US", "WA"), ("US", "IL"), ("GB", "TX"), ("US", None), ("US", "AZ")]
    assert [law.state for law in laws_for_places(places)] == ["IL", "AZ"]


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "laws.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    assert list(load_laws(_write(tmp_path, GOOD_ROW))) == ["IL"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD_ROW.replace("mandate_to_cover", "mandate_maybe"), "unknown law_type 'mandate_maybe'"),
        (GOOD_ROW.replace("https://ilga.gov/x", ""), "IL has no source_url"),
        (GOOD_ROW.replace("Illinois General Assembly", ""), "IL has no source_title"),
        (GOOD_ROW.replace("Una frase.", ""), "IL has no summary_es"),
        (GOOD_ROW.replace("https://ilga.gov/x", "ilga.gov/x"), "not a web address"),
        (GOOD_ROW.replace("215 ILCS 5/356m", ""), "no statute citation"),
        (GOOD_ROW.replace("2026-12-01", "soon"), "checked_on is not a date"),
        (GOOD_ROW.replace(",yes,", ",perhaps,"), "unknown ivf_included 'perhaps'"),
        (GOOD_ROW.replace("IL,", "Ill,", 1), "two-letter code"),
        (
            GOOD_ROW.replace("mandate_to_cover", "preservation_only"),
            "fertility_preservation must be yes and ivf_included no",
        ),
    ],
)
def test_the_loader_rejects_a_bad_row_naming_its_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(StateLawError, match="line 3") as error:
        load_laws(_write(tmp_path, GOOD_ROW.replace("IL,Illinois", "IN,Indiana"), row))
    assert message in str(error.value)


def test_the_loader_rejects_a_state_listed_twice(tmp_path: Path) -> None:
    with pytest.raises(StateLawError, match="line 3: IL appears twice"):
        load_laws(_write(tmp_path, GOOD_ROW, GOOD_ROW))
