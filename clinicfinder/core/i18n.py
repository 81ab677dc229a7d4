"""Words and numbers in the patient's language, without Flask.

The matching core and the report builder explain themselves in English or Spanish through a
`Text`; Flask-Babel serves the templates from the same catalogue (`translations/`), so one
`.po` file per language holds every patient-facing sentence.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import NumberPattern, format_currency, format_percent, parse_pattern

from clinicfinder.core.paths import TRANSLATIONS_DIR

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
# Locales for numbers and dates: US English, and Spain's Spanish.
LOCALES = {"en": "en_US", "es": "es_ES"}
KM_PER_MILE = 1.609344


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Text:
    language: str
    _catalogue: gettext.NullTranslations

    @property
    def catalogue(self) -> gettext.NullTranslations:
        return self._catalogue

    @property
    def locale(self) -> str:
        return LOCALES.get(self.language, "en_US")

    def gettext(self, message: str, **values: Any) -> str:
        translated = self._catalogue.gettext(message)
        return translated.format(**values) if values else translated

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self._catalogue.ngettext(singular, plural, count).format(count=self.number(count), **values)

    def number(self, value: int | float | Decimal, digits: int = 0) -> str:
        return _format_number(value, digits, self.locale)

    def percent(self, proportion: float, digits: int = 1) -> str:
        """A proportion (0–1) as a percentage in the locale's own way: "41.3%" / "41,3 %"."""
        return _format_percent(proportion, digits, self.locale)

    def money(self, amount: Decimal | float, currency: str) -> str:
        """Whole units, in the locale's own pattern: "$21,600" / "21.600 US$"."""
        return _format_money(amount, currency, self.locale)

    def limit(self, amount: Decimal, currency: str) -> str:
        """A limit the patient set, never rounded up: "$12,000" or "$12,000.99"."""
        if amount == amount.to_integral_value():
            return self.money(amount, currency)
        return _format_limit(amount, currency, self.locale)

    def country(self, code: str | None) -> str | None:
        """A country's name in this language ("ES" → "España"), or None when unknown."""
        name = _locale(self.locale).territories.get(code) if code else None
        return str(name) if name else None

    def date(self, value: date) -> str:
        return _format_date(value, self.locale)

    def distance(self, km: float, unit: str = "km") -> str:
        """A distance in the patient's unit: "15 km" or "9 mi"."""
        value = km / KM_PER_MILE if unit == "mi" else km
        # Tenths matter when the clinic is around the corner.
        shown = self.number(value, digits=1) if value < 9.95 else self.number(round(value))
        return f"{shown}\u00a0{unit}"

    def join(self, items: list[str]) -> str:
        return ", ".join(items)

    def and_list(self, items: list[str]) -> str:
        """ "the United States and Canada" / "Estados Unidos y Canadá"."""
        return str(format_list(items, locale=self.locale))


# Parsed once: formatting runs for every fact on every results page.
@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _number_pattern(digits: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))


@lru_cache(maxsize=8192)  # the same years and counts come up on every page
def _format_number(value: int | float | Decimal, digits: int, locale: str) -> str:
    return str(_number_pattern(digits).apply(value, _locale(locale)))


# Remembered: a page formats the same budget, typical cost, rates and dates for every card it shows
# (babel took a third of a millisecond a call), and a format depends only on its arguments and locale.
@lru_cache(maxsize=4096)
def _format_percent(proportion: float, digits: int, locale: str) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return str(format_percent(proportion, format=pattern, locale=_locale(locale)))


@lru_cache(maxsize=4096)
def _format_money(amount: Decimal | float, currency: str, locale: str) -> str:
    # What format_currency does with these arguments, minus parsing the locale and pattern on every call.
    return str(_whole_currency_pattern(locale).apply(amount, _locale(locale), currency=currency, currency_digits=False))


@lru_cache(maxsize=1024)
def _format_limit(amount: Decimal, currency: str, locale: str) -> str:
    return str(format_currency(amount, currency, locale=_locale(locale)))


@lru_cache(maxsize=1024)
def _format_date(value: date, locale: str) -> str:
    return str(format_date(value, format="medium", locale=_locale(locale)))


@cache
def _whole_currency_pattern(locale: str) -> NumberPattern:
    pattern: str = Locale.parse(locale).currency_formats["standard"].pattern
    return parse_pattern(pattern.replace(".00", ""))


@cache
def text_for(language: str) -> Text:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    catalogue = gettext.translation("messages", localedir=TRANSLATIONS_DIR, languages=[language], fallback=True)
    return Text(language, catalogue)
