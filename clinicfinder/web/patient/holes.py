"""Markup rendered once and kept, with holes where each request writes its own values.

A kept step page (`step_pages`) and a results card's directory frame (`cards`) are both rendered
once and then filled in by every request that shows them. While one renders, each place a request
fills is written as a hole: a NUL, a word drawn at random when the process starts, the hole's
number, a NUL. Nothing from the directory or a request can look like one: HTML text cannot hold a
NUL, and nobody outside this process knows the word. The kept markup is then split at its holes.
"""

from __future__ import annotations

import re
import secrets

from markupsafe import Markup

_WORD = secrets.token_hex(8)
_HOLE = re.compile(f"\x00{_WORD}:([0-9]+)\x00")


def hole(number: int = 0) -> Markup:
    """Hole `number`, as markup: the template writes it unescaped, as the value it stands for would be."""
    return Markup(f"\x00{_WORD}:{number}\x00")  # noqa: S704 - our own constant and a number, no markup in them


def split_at_holes(rendered: str) -> tuple[list[str], list[int]]:
    """The markup between the holes, and each hole's number: pieces[0], numbers[0], pieces[1], ..."""
    parts = _HOLE.split(rendered)
    return parts[0::2], [int(number) for number in parts[1::2]]
