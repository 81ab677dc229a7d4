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
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

Key = tuple[str, str, str, str]  # language, treatment, clinic id, part


class DirectoryParts:
    """Rendered card parts for one directory revision at a time, at most `size` of them."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._revision: int | None = None
        self._parts: OrderedDict[Key, Markup] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threaded workers share one process's cache

    def for_page(self, revision: int, language: str, treatment: str) -> PageParts:
        with self._lock:
            if revision != self._revision:
                self._parts.clear()
                self._revision = revision
        return PageParts(self, revision, language, treatment)

    def get(self, revision: int, key: Key) -> Markup | None:
        with self._lock:
            if revision != self._revision:
                return None
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
            return part

    def put(self, revision: int, key: Key, part: Markup) -> None:
        with self._lock:
            if revision != self._revision:  # the directory moved while this page rendered
                return
            self._parts[key] = part
            if len(self._parts) > self.size:
                self._parts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._parts)

    def entries(self) -> list[tuple[Key, Markup]]:
        """What is kept, oldest first."""
        with self._lock:
            return list(self._parts.items())


class PageParts:
    """`part(name, clinic_id, macro, *args)` for one page: the stored part, or the macro's and stored.

    The macro's arguments must be directory facts only (the clinic, its availability and offer for
    the treatment): its output is shown to every patient who asks about this treatment.
    """

    def __init__(self, parts: DirectoryParts, revision: int, language: str, treatment: str) -> None:
        self._parts, self._revision, self._language, self._treatment = parts, revision, language, treatment

    def __call__(self, name: str, clinic_id: str, macro: Callable[..., Any], *args: Any) -> Markup:
        key = (self._language, self._treatment, clinic_id, name)
        part = self._parts.get(self._revision, key)
        if part is None:
            part = escape(macro(*args))  # a macro's output is markup already: kept as it is
            self._parts.put(self._revision, key, part)
        return part
