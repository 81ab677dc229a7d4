"""The long-lived helpers a request needs — geocoder, matcher — built once per process.

They are pure-Python objects from `geo` and `matching`; this module only ties them to the
app's configuration and the request's database session, so views and the worker share them.
"""

from __future__ import annotations

import threading
from typing import Any, cast

from flask import Flask, current_app

from clinicfinder.core.geo import Gazetteer, GeocodeResult, OnlineGeocoder
from clinicfinder.core.matching.criteria import QualityPolicy
from clinicfinder.core.matching.engine import Matcher, SearchOutcome, SearchQuery
from clinicfinder.core.matching.estimates import CostReference
from clinicfinder.core.matching.facts import ClinicFacts
from clinicfinder.core.matching.index import DirectoryIndex
from clinicfinder.core.matching.money import ExchangeRates
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db

_lock = threading.Lock()


class Services:
    def __init__(self, app: Flask) -> None:
        self._config = app.config
        self._geocoder: Gazetteer | OnlineGeocoder | None = None
        self._matcher: Matcher | None = None
        self._index: tuple[int, DirectoryIndex] | None = None
        self._countries: tuple[int, tuple[str, ...]] | None = None

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
        """The search index of the directory as it is now; rebuilt after any change."""
        key = repository.revision()
        cached = self._index
        if cached is not None and cached[0] == key:
            return cached[1]
        with _lock:
            if self._index is None or self._index[0] != key:
                self._index = (key, self.matcher.build_index(repository.load_all()))
            return self._index[1]

    def countries(self, repository: ClinicRepository) -> tuple[str, ...]:
        """The countries the directory has clinics in, read again after any change to it."""
        key = repository.revision()
        cached = self._countries
        if cached is None or cached[0] != key:
            cached = self._countries = (key, repository.countries())
        return cached[1]


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


def covered_countries() -> tuple[str, ...]:
    """ISO codes of the countries the directory lists open clinics in, e.g. ("US",)."""
    return services().countries(ClinicRepository(db.session))


def search_clinics(query: SearchQuery) -> SearchOutcome:
    repository = ClinicRepository(db.session)
    helpers = services()
    return helpers.matcher.search(query, helpers.index(repository), repository.facts)


def clinic_facts(clinic_id: str) -> ClinicFacts | None:
    return ClinicRepository(db.session).get(clinic_id)
