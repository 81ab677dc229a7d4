"""Units, currency and paper follow the place, not the page's language."""

from __future__ import annotations

import pytest

from clinicfinder.core.domain import CURRENCIES
from clinicfinder.core.place_defaults import BY_COUNTRY, BY_LANGUAGE, PlaceDefaults, defaults_for, report_paper


@pytest.mark.parametrize(
    ("country", "language", "expected"),
    [
        ("US", "es", PlaceDefaults("mi", "USD", "Letter")),  # a Spanish speaker in Chicago
        ("US", "en", PlaceDefaults("mi", "USD", "Letter")),
        ("PR", "es", PlaceDefaults("mi", "USD", "Letter")),
        ("GB", "en", PlaceDefaults("mi", "GBP", "A4")),
        ("ES", "en", PlaceDefaults("km", "EUR", "A4")),  # an English speaker in Madrid
        ("FR", "es", PlaceDefaults("km", "EUR", "A4")),
        ("JP", "en", PlaceDefaults("km", "USD", "A4")),
        ("es", "en", PlaceDefaults("km", "EUR", "A4")),  # codes in any case
    ],
)
def test_defaults_come_from_the_places_country_whatever_the_language(
    country: str, language: str, expected: PlaceDefaults
) -> None:
    assert defaults_for(country, language) == expected


@pytest.mark.parametrize(("language", "unit"), [("en", "mi"), ("es", "km"), ("fr", "km"), (None, "km")])
def test_without_a_country_the_language_is_the_only_clue(language: str | None, unit: str) -> None:
    assert defaults_for(None, language).unit == unit


def test_every_default_is_a_unit_currency_and_paper_the_app_offers() -> None:
    for defaults in [*BY_COUNTRY.values(), *BY_LANGUAGE.values()]:
        assert defaults.unit in ("km", "mi")
        assert defaults.currency in CURRENCIES
        assert defaults.paper in ("A4", "Letter")


@pytest.mark.parametrize(
    ("chosen", "country", "language", "paper"),
    [
        (None, "US", "es", "Letter"),  # nothing chosen: the place decides
        ("A4", "US", "en", "A4"),  # the patient's choice wins over the place
        ("Letter", "ES", "es", "Letter"),
        ("Tabloid", "US", "en", "Letter"),  # not a size we print on: the place's default
        (None, None, "es", "A4"),  # no country: the language's usual place
    ],
)
def test_the_report_paper_is_the_patients_choice_or_the_places(
    chosen: object, country: str | None, language: str, paper: str
) -> None:
    assert report_paper(chosen, country, language) == paper
