"""What a search learns about the clinics it returns and can reuse until the directory changes.

A page of results needs each clinic's full facts (one query) and its criteria (`criteria.evaluate`):
together ~4 ms of a ~10 ms search at 100,000 clinics, and the same for every patient who sees that
clinic for that treatment. A `DirectoryMemo` keeps both for one revision of the directory; the
owner replaces the whole memo when the revision moves, so nothing in it outlives the data it came
from.

Only directory data lives here, keyed by clinic, treatment, interface language and date: never a
budget, an age, a place or anything else a patient answered besides the treatment they asked about.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date
from typing import Generic, TypeVar

from clinicfinder.core.domain import Treatment
from clinicfinder.core.matching.criteria import Context, CriterionResult, QualityPolicy, evaluate
from clinicfinder.core.matching.facts import ClinicFacts

# Clinics remembered per table. At 100,000 clinics a worker sees the busy places' clinics again and
# again; the bound keeps a crawl through "show all" from growing the worker without limit
# (~2 KB of facts and ~3 KB of criteria a clinic, treatment and language: ~5 MB at the bound).
DEFAULT_SIZE = 1_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
FactsLoader = Callable[[Sequence[str], Treatment], Mapping[str, ClinicFacts]]


class Bounded(Generic[K, V]):
    """Least recently used first out; safe to share between a worker's threads. Also the store of the
    results page's kept card parts (web/patient/cards.py)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[K, V]]:
        """What is kept, least recently used first."""
        with self._lock:
            return list(self._items.items())


class DirectoryMemo:
    """Facts and criteria of clinics, for one revision of the directory."""

    def __init__(self, revision: int, size: int = DEFAULT_SIZE) -> None:
        self.revision = revision
        self._facts: Bounded[tuple[str, Treatment], ClinicFacts] = Bounded(size)
        self._criteria: Bounded[tuple[str, Treatment, str, date], tuple[CriterionResult, ...]] = Bounded(size)
        # A clinic the loader did not find (deleted since the index was built) is asked for again:
        # rare, and remembering absences would need its own bound.

    def facts(self, clinic_ids: Sequence[str], treatment: Treatment, load: FactsLoader) -> dict[str, ClinicFacts]:
        """The facts of these clinics for this treatment: the remembered ones, the rest in one `load`."""
        found: dict[str, ClinicFacts] = {}
        missing: list[str] = []
        for clinic_id in clinic_ids:
            clinic = self._facts.get((clinic_id, treatment))
            if clinic is None:
                missing.append(clinic_id)
            else:
                found[clinic_id] = clinic
        if missing:
            for clinic_id, clinic in load(missing, treatment).items():
                self._facts.put((clinic_id, treatment), clinic)
                found[clinic_id] = clinic
        return {clinic_id: found[clinic_id] for clinic_id in clinic_ids if clinic_id in found}

    def criteria(self, clinic: ClinicFacts, policy: QualityPolicy, context: Context) -> tuple[CriterionResult, ...]:
        """`criteria.evaluate`, once per clinic, treatment, language and day."""
        key = (clinic.id, context.treatment, context.language, context.today)
        criteria = self._criteria.get(key)
        if criteria is None:
            criteria = evaluate(clinic, policy, context)
            self._criteria.put(key, criteria)
        return criteria

    def __len__(self) -> int:
        return len(self._facts)
