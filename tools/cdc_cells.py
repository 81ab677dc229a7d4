"""CDC's printed table cells, read as CDC meant them.

CDC's ART tables are text: `1,234`, `45.2%`, `<1%`, `1.8`, a fraction `3 / 8` (2018) or `3/8` (2022)
when the denominator is under 20, `*` for a count of 1–4 withheld for privacy (and for anything that
would reveal one), `* / 11` or `0 / *` when one side of a fraction is withheld. A withheld cell is
"too few cycles to report", never zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

SUPPRESSED = "*"

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_FRACTION_RE = re.compile(rf"(\*|{_NUMBER})\s*/\s*(\*|{_NUMBER})")
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_BELOW_RE = re.compile(r"<\s*(\d+(?:\.\d+)?)\s*%")
_COUNT_RE = re.compile(_NUMBER)
_DECIMAL_RE = re.compile(r"\d+\.\d+")


class CellKind(StrEnum):
    EMPTY = "empty"
    SUPPRESSED = "suppressed"
    COUNT = "count"
    PERCENT = "percent"
    BELOW = "below"  # "<1%": under the printed figure, not a value
    FRACTION = "fraction"
    DECIMAL = "decimal"
    YES_NO = "yes_no"


@dataclass(frozen=True, slots=True)
class Cell:
    raw: str
    kind: CellKind
    number: float | None = None  # the count, percentage, decimal or "<" bound as printed
    numerator: int | None = None
    denominator: int | None = None
    decimals: int = 0  # digits after the point in a printed percentage or decimal
    text: str = ""  # "yes" / "no"

    @property
    def suppressed(self) -> bool:
        if self.kind is CellKind.SUPPRESSED:
            return True
        return self.kind is CellKind.FRACTION and (self.numerator is None or self.denominator is None)


def _whole(text: str) -> int:
    return int(text.replace(",", ""))


def parse_cell(raw: object) -> Cell:
    """Read one CDC cell; raise ValueError on anything CDC's tables do not print."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return Cell(text, CellKind.EMPTY)
    if text == SUPPRESSED:
        return Cell(text, CellKind.SUPPRESSED)
    if match := _FRACTION_RE.fullmatch(text):
        top, bottom = match.groups()
        numerator = None if top == SUPPRESSED else _whole(top)
        denominator = None if bottom == SUPPRESSED else _whole(bottom)
        if numerator is not None and denominator is not None and numerator > denominator:
            raise ValueError(f"fraction {text!r} is above 1")
        return Cell(text, CellKind.FRACTION, numerator=numerator, denominator=denominator)
    if match := _PERCENT_RE.fullmatch(text):
        figure = match.group(1)
        decimals = len(figure.partition(".")[2])
        return Cell(text, CellKind.PERCENT, number=float(figure), decimals=decimals)
    if match := _BELOW_RE.fullmatch(text):
        return Cell(text, CellKind.BELOW, number=float(match.group(1)))
    if _COUNT_RE.fullmatch(text):
        return Cell(text, CellKind.COUNT, number=float(_whole(text)))
    if _DECIMAL_RE.fullmatch(text):
        return Cell(text, CellKind.DECIMAL, number=float(text), decimals=len(text.partition(".")[2]))
    if text in ("Yes", "No"):
        return Cell(text, CellKind.YES_NO, text=text.lower())
    raise ValueError(f"unexpected CDC cell {text!r}")


def numerators_for(percent: float, decimals: int, denominator: int) -> list[int]:
    """Every whole numerator k for which k / denominator prints as `percent` with `decimals` digits."""
    if denominator <= 0:
        return []
    half_unit = 0.5 * 10**-decimals
    # A little slack for binary floating point at exact halves (CDC's rounding direction is not stated).
    low = (percent - half_unit) * denominator / 100 - 1e-9
    high = (percent + half_unit) * denominator / 100 + 1e-9
    return [k for k in range(max(0, int(low)), min(denominator, int(high) + 1) + 1) if low <= k <= high]
