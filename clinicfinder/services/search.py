"""The long-lived helpers a request needs — geocoder, matcher — built once per process.

They are pure-Python objects from `geo` and `matching`; this module only ties them to the
app's configuration and the request's database session, so views and the worker share them.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, current_app

from clinicfinder.core.geo import Gazetteer, GeocodeResult, OnlineGeocoder
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher, SearchOutcome, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts
from clinicfinder.core.matching.index import DirectoryIndex
from clinicfinder.core.matching.memo import DirectoryMemo
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db

_lock = threading.Lock()
log = logging.getLogger(__name__)
# Up to this many changed clinics, a rebuild reads only their rows and patches the index it has
# (milliseconds); beyond, it reads the whole directory again (seconds at 100,000 clinics).
PATCH_LIMIT = 2_000


class Services:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._config = app.config
        self._geocoder: Gazetteer | OnlineGeocoder | None = None
        self._matcher: Matcher | None = None
        # (revision, index), replaced whole by the rebuild thread: a reader sees the old pair or the new one.
        self._index: tuple[int, DirectoryIndex] | None = None
        self._rebuild: threading.Thread | None = None
        self._rebuild_error: BaseException | None = None
        self._countries: tuple[int, tuple[str, ...]] | None = None
        # The facts and criteria of clinics searches returned, for the newest revision seen; replaced
        # whole (never cleared in place) when the revision moves.
        self._memo: DirectoryMemo | None = None
        self._memo_lock = threading.Lock()
        # Called by the rebuild thread before it reads the directory: tests hold a rebuild open with it.
        self.before_index_build: Callable[[], None] | None = None

    @property
    def geocoder(self) -> Gazetteer | OnlineGeocoder:
        # Loaded on first use, so commands that never geocode start fast.
        if self._geocoder is None:
            with _lock:
                if self._geocoder is None:
                    self._geocoder = _make_geocoder(self._config)
        return self._geocoder

    @property
    def geocoder_attribution(self) -> str:
        return self.geocoder.attribution()

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            with _lock:
                if self._matcher is None:
                    policy = QualityPolicy(
                        min_cycles_per_year=self._config["MIN_CYCLES_PER_YEAR"],
                        max_outcome_age_years=self._config["MAX_OUTCOME_AGE_YEARS"],
                    )
                    self._matcher = Matcher(ExchangeRates.load(), CostReference.load(), policy)
        return self._matcher

    def index(self, repository: ClinicRepository) -> DirectoryIndex:
        """The search index; after a change to the directory, the previous one until the new one is built.

        The rebuild runs in a background thread (one at a time per process), never in the request
        that noticed the change: at 100,000 clinics it takes over a second. Only a process that has no
        index yet waits for the first one.
        """
        return self.search_state(repository)[0]

    def search_state(
        self, repository: ClinicRepository, revision: int | None = None
    ) -> tuple[DirectoryIndex, DirectoryMemo]:
        """The index (as `index`) and the memo of the revision this request's session reads
        (`revision`, when the caller has just read it: a query saved)."""
        if revision is None:
            revision = repository.revision()
        return self._index_for(revision), self.memo(revision)

    def memo(self, revision: int) -> DirectoryMemo:
        """The memo of `revision`. A request still reading an older revision (its transaction began
        before a change) gets a memo of its own, so it never leaves old facts where newer requests look."""
        memo = self._memo
        if memo is not None and memo.revision == revision:
            return memo
        fresh = DirectoryMemo(revision)
        with self._memo_lock:
            if self._memo is None or self._memo.revision < revision:
                self._memo = fresh
            elif self._memo.revision == revision:
                return self._memo
        return fresh

    def _index_for(self, revision: int) -> DirectoryIndex:
        current = self._index
        if current is not None:
            if current[0] != revision:
                self._start_rebuild()
            return current[1]
        return self._rebuild_and_wait()

    def _rebuild_and_wait(self) -> DirectoryIndex:
        self._start_rebuild().join()
        current = self._index
        if current is None:
            raise RuntimeError("the search index could not be built") from self._rebuild_error
        return current[1]

    def prepare(self, *, full_rebuild: bool = True) -> None:
        """Bring the index up to the directory's revision and load the geocoder now, and wait for both.

        gunicorn's master calls this before it forks each worker (gunicorn.conf.py), so no worker's
        first request waits for an index (seconds at 100,000 clinics) or starts with an old one (a
        worker replaced days after start-up), and the workers share the index's arrays copy-on-write
        instead of each holding its own. A directory unchanged since the last call costs one query.
        With `full_rebuild=False`, a change too large to patch is left alone: the new worker's first
        search starts that rebuild in its background while the index it was forked with serves.
        """
        with self._app.app_context():
            try:
                repository = ClinicRepository(db.session)
                revision = repository.revision()
                current = self._index
                stale = current is None or current[0] != revision
                if stale and not full_rebuild:
                    stale = _clinics_to_patch(repository, current, revision) is not None
            finally:
                db.session.remove()
        if stale:
            self._rebuild_and_wait()
        self.geocoder  # noqa: B018 - loaded for its side effect

    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Wait for a running rebuild to finish; False if it is still running after `timeout` seconds."""
        thread = self._rebuild
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _start_rebuild(self) -> threading.Thread:
        with _lock:
            if self._rebuild is None or not self._rebuild.is_alive():
                self._rebuild = threading.Thread(target=self._build_index, name="index-rebuild", daemon=True)
                self._rebuild.start()
            return self._rebuild

    def _build_index(self) -> None:
        with self._app.app_context():
            try:
                if self.before_index_build is not None:
                    self.before_index_build()
                repository = ClinicRepository(db.session)
                # Read before the rows: a change landing meanwhile moves the revision past this one,
                # and the next search starts another rebuild.
                revision = repository.revision()
                current = self._index
                only = _clinics_to_patch(repository, current, revision)
                if current is not None and only is not None:
                    index = self.matcher.patch_index(current[1], only, repository.index_columns(only))
                else:
                    index = self.matcher.index_from_columns(repository.index_columns())
                self._index = (revision, index)
                self._rebuild_error = None
                del index
                return_freed_memory()
            except Exception as error:  # the previous index keeps serving; the next search tries again
                log.exception("rebuilding the search index failed")
                self._rebuild_error = error
            finally:
                db.session.remove()

    def countries(self, repository: ClinicRepository, revision: int | None = None) -> tuple[str, ...]:
        """The countries the directory has clinics in, read again after any change to it."""
        key = repository.revision() if revision is None else revision
        cached = self._countries
        if cached is None or cached[0] != key:
            cached = self._countries = (key, repository.countries())
        return cached[1]


def _clinics_to_patch(
    repository: ClinicRepository, current: tuple[int, DirectoryIndex] | None, revision: int
) -> list[str] | None:
    """The clinics to read again to bring `current` up to `revision` by a patch, or None when it needs a
    full build: there is no index yet, the change list is gone, or it names too many clinics."""
    changed = None if current is None else repository.changed_clinics(current[0], revision)
    return sorted(changed) if changed is not None and len(changed) <= PATCH_LIMIT else None


def return_freed_memory() -> None:
    """Hand the rows' freed memory back to the system: glibc keeps it otherwise, ~20 MB a build at 100k."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _make_geocoder(config: Any) -> Gazetteer | OnlineGeocoder:
    gazetteer = Gazetteer.load()
    if config["GEOCODER"] == "nominatim":
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        # OpenStreetMap's usage policy: at most one request a second, with an identifying user agent.
        nominatim = Nominatim(user_agent=config["GEOCODER_USER_AGENT"], timeout=5)
        nominatim.geocode = RateLimiter(nominatim.geocode, min_delay_seconds=1.0, max_retries=0)
        return OnlineGeocoder(nominatim, fallback=gazetteer)
    return gazetteer


def init_app(app: Flask) -> None:
    app.extensions["services"] = Services(app)


def services() -> Services:
    return cast(Services, current_app.extensions["services"])


def geocode(query: str) -> GeocodeResult:
    return services().geocoder.geocode(query)


def country_near(latitude: float, longitude: float) -> str | None:
    """The country of a position that came without one (the browser's), from the offline index."""
    return services().geocoder.country_near(latitude, longitude)


def covered_countries(revision: int | None = None) -> tuple[str, ...]:
    """ISO codes of the countries the directory lists open clinics in, e.g. ("US",).

    `revision`: the directory revision the caller read in this request, if it did."""
    return services().countries(ClinicRepository(db.session), revision)


def search_clinics(query: SearchQuery, revision: int | None = None) -> SearchOutcome:
    """`revision`: the directory revision the caller read in this request, if it did (not read again)."""
    repository = ClinicRepository(db.session)
    helpers = services()
    index, memo = helpers.search_state(repository, revision)
    return helpers.matcher.search(query, index, repository.facts, memo)


def clinic_facts(clinic_id: str) -> ClinicFacts | None:
    return ClinicRepository(db.session).get(clinic_id)
