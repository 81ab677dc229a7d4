"""Amounts of money and conversion between currencies with a dated rates table.

Rates come from `data/exchange_rates.csv` (ECB reference rates, euro-based), so every
converted figure can say "at the ECB rate of <date>".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from clinicfinder.core.paths import DATA_DIR

DEFAULT_RATES_FILE = DATA_DIR / "exchange_rates.csv"


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.0f}"


class UnknownCurrency(ValueError):
    pass


@dataclass(frozen=True)
class ExchangeRates:
    """Units of each currency per euro, as published on one date."""

    per_eur: dict[str, Decimal]
    as_of: date
    source: str

    @classmethod
    def load(cls, path: Path = DEFAULT_RATES_FILE) -> ExchangeRates:
        with path.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        dates = {row["as_of"] for row in rows}
        if len(dates) != 1:
            raise ValueError(f"{path}: every rate must share one as_of date, found {sorted(dates)}")
        return cls(
            per_eur={row["currency"]: Decimal(row["units_per_eur"]) for row in rows},
            as_of=date.fromisoformat(dates.pop()),
            source=rows[0]["source"],
        )

    def convert_whole(self, money: Money, currency: str) -> Money:
        """Converted and rounded once, half up, to whole units: the one rounding every price shown gets."""
        amount = money.amount if money.currency == currency else self._exact(money, currency)
        return Money(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP), currency)

    def _exact(self, money: Money, currency: str) -> Decimal:
        for code in (money.currency, currency):
            if code not in self.per_eur:
                raise UnknownCurrency(f"no exchange rate for {code}")
        return money.amount / self.per_eur[money.currency] * self.per_eur[currency]

    def convert(self, money: Money, currency: str) -> Money:
        if money.currency == currency:
            return money
        for code in (money.currency, currency):
            if code not in self.per_eur:
                raise UnknownCurrency(f"no exchange rate for {code}")
        in_eur = money.amount / self.per_eur[money.currency]
        return Money((in_eur * self.per_eur[currency]).quantize(Decimal("0.01")), currency)
