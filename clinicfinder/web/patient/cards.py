"""Parts of a results card that depend on the directory alone, rendered once and reused.

A card's description, badges, male-factor figures and contact block depend only on the clinic's
facts (at a directory revision), the page's language and the treatment asked about. Twenty cards of
them were re-rendered on every results page. Here they are kept per (revision, language, treatment,
clinic, part), in a bounded LRU that is emptied when the directory's revision moves. Nothing about
the patient beyond the treatment (place, distance, budget, age, diagnosis, situation, rank) may go
into a part: those stay in the template around the parts, and the key has no room for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from markupsafe import Markup, escape

from clinicfinder.core.matching.memo import Bounded
from clinicfinder.web.patient.holes import hole, split_at_holes

Key = tuple[str, str, str, str]  # language, treatment, clinic id, part


class Frame(tuple[Markup, ...]):
    """A card's directory markup in pieces, split where the page writes values of its own."""

    def fill(self, start: int, *values: Any) -> Markup:
        """Piece `start`, the first value, the next piece, the next value...: one string for the template
        to write, the values escaped as the template would have."""
        out: list[str] = []
        for piece, value in zip(self[start:], values, strict=False):
            out += (piece, escape(value))
        return Markup("".join(out))  # noqa: S704 - kept markup and escaped values


Part = Markup | Frame  # a frame is kept as its pieces, split where the patient's values go


class DirectoryParts:
    """Rendered card parts for one directory revision at a time, at most `size` of them.

    A new revision gets a new store; a page begun under the old one keeps writing to the old store,
    which nobody reads any more, so nothing it renders outlives the revision it read.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._current: tuple[int, Bounded[Key, Part]] = (-1, Bounded(size))
        self._lock = threading.Lock()  # gunicorn's threaded workers share one process's cache

    def for_page(self, revision: int, language: str, treatment: str) -> PageParts:
        with self._lock:
            if self._current[0] != revision:
                self._current = (revision, Bounded(self.size))
            store = self._current[1]
        return PageParts(store, language, treatment)

    def __len__(self) -> int:
        return len(self._current[1])

    def entries(self) -> list[tuple[Key, Part]]:
        """What is kept, oldest first."""
        return self._current[1].items()


class PageParts:
    """`frame(clinic_id, macro, *args)` for one page: the stored frame, or the macro's and stored.

    The macro's arguments must be directory facts only (the clinic, its availability and offer for
    the treatment): its output is shown to every patient who asks about this treatment.
    """

    def __init__(self, store: Bounded[Key, Part], language: str, treatment: str) -> None:
        self._store, self._language, self._treatment = store, language, treatment

    def frame(self, clinic_id: str, macro: Callable[..., Any], *args: Any) -> Frame:
        """A card's directory markup in one piece per stretch between the page's own values: the
        macro gets a hole first, and writes it wherever the page puts something of its own (rank,
        distance, price, ...). One kept part a card, and a handful of pieces for the template to
        write instead of some forty."""
        key = (self._language, self._treatment, clinic_id, "frame")
        pieces = self._store.get(key)
        if pieces is None:
            rendered = str(escape(macro(hole(), *args)))  # the macro's markup, escaped by the template
            pieces = Frame(Markup(piece) for piece in split_at_holes(rendered)[0])  # noqa: S704 - pieces of that markup
            self._store.put(key, pieces)
        return cast(Frame, pieces)
