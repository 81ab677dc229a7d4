"""What a place's own people expect to read: distance unit, currency and paper size.

Taken from the place, not the page's language: a Spanish speaker in Chicago drives in miles,
pays in dollars and prints on Letter paper. These are only defaults; the patient can change the
unit on the where step, the currency on the budget step and the paper next to the report offer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlaceDefaults:
    unit: str  # "km" or "mi"
    currency: str  # one of domain.CURRENCIES
    paper: str  # a CSS @page size: "Letter" or "A4"


# The report's paper sizes, as CSS @page names.
PAPER_SIZES = ("Letter", "A4")

US = PlaceDefaults("mi", "USD", "Letter")
# Road signs in the UK are in miles; paper is A4 as in the rest of Europe.
GB = PlaceDefaults("mi", "GBP", "A4")
EUROZONE = PlaceDefaults("km", "EUR", "A4")
# Anywhere else: kilometres and A4 are the world's norm; the directory's prices are in dollars.
ELSEWHERE = PlaceDefaults("km", "USD", "A4")

# ISO 3166 alpha-2 → defaults. US territories (own codes in GeoNames) use US units and paper;
# Canada and Mexico print on Letter but measure in kilometres.
BY_COUNTRY: dict[str, PlaceDefaults] = {
    "US": US, "PR": US, "GU": US, "VI": US, "AS": US, "MP": US,
    "GB": GB, "IM": GB, "JE": GB, "GG": GB,
    "CA": PlaceDefaults("km", "USD", "Letter"), "MX": PlaceDefaults("km", "USD", "Letter"),
    **dict.fromkeys(
        ("AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT",
         "SI", "SK", "AD", "MC", "SM", "VA", "ME", "XK"),
        EUROZONE,
    ),
}  # fmt: skip

# No country known (a browser position more than 100 km from any listed place): the page's language decides.
BY_LANGUAGE: dict[str, PlaceDefaults] = {"en": US, "es": EUROZONE}


def defaults_for(country: str | None, language: str | None = None) -> PlaceDefaults:
    """The defaults for a place in `country`; without a country, those of the `language`'s usual place."""
    if country:
        return BY_COUNTRY.get(country.upper(), ELSEWHERE)
    return BY_LANGUAGE.get(language or "", ELSEWHERE)


def report_paper(chosen: object, country: str | None, language: str | None = None) -> str:
    """The patient's choice of paper when it is one we print on, else the place's default."""
    if isinstance(chosen, str) and chosen in PAPER_SIZES:
        return chosen
    return defaults_for(country, language).paper
