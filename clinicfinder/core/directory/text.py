"""Which characters a clinic's text may hold: the one rule for the CSV import and the admin editor.

Control characters are invisible on the page, break spreadsheets and terminals, and PostgreSQL
refuses NUL outright, so both ways in refuse them. Tab is allowed anywhere (the CDC data has one
in a director's name, and it reads as a space); line breaks only where a field has several lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MULTILINE_COLUMNS: frozenset[str] = frozenset({"description"})

# C0 controls except tab, DEL, and the C1 controls U+0080–U+009F.
_REFUSED_ANYWHERE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_IN_ONE_LINE = re.compile(rf"[{_REFUSED_ANYWHERE}\n\r]")
_IN_SEVERAL_LINES = re.compile(rf"[{_REFUSED_ANYWHERE}]")


@dataclass(frozen=True)
class ControlCharacter:
    position: int  # 1-based, counted in characters of the cell
    code_point: int

    def __str__(self) -> str:
        return (
            f"character {self.position} is an invisible control character (U+{self.code_point:04X}); "
            "remove it and import again"
        )


def find_control_character(text: str, *, multiline: bool) -> ControlCharacter | None:
    found = (_IN_SEVERAL_LINES if multiline else _IN_ONE_LINE).search(text)
    return None if found is None else ControlCharacter(found.start() + 1, ord(found.group()))
