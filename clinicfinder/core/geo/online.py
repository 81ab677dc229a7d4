"""An online geocoder (any geopy geocoder, e.g. Nominatim) behind the same interface as the
offline `Gazetteer`. Off by default; when the service fails or finds nothing, the offline
gazetteer answers instead (if one is given), so the search never depends on the network.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from clinicfinder.core.geo.distance import great_circle_km
from clinicfinder.core.geo.gazetteer import DEDUPE_KM, Gazetteer
from clinicfinder.core.geo.model import GeocodeError, GeocodeResult, Place, clean_query, quoted, split_notes
from clinicfinder.core.geo.normalise import fold

log = logging.getLogger(__name__)

# What each service's terms ask us to show with its results.
_ATTRIBUTIONS = {
    "Nominatim": "Online search: © OpenStreetMap contributors (Nominatim), ODbL 1.0.",
}
# Nominatim's `addressdetails` names the town under one of these keys, smallest last.
_TOWN_KEYS = ("city", "town", "village", "municipality", "hamlet", "suburb", "county")
_REGION_KEYS = ("state", "region", "province", "state_district")


class OnlineGeocoder:
    def __init__(self, geocoder: Any, fallback: Gazetteer | None = None) -> None:
        self._geocoder = geocoder
        self._fallback = fallback
        accepted = inspect.signature(geocoder.geocode).parameters
        # geopy geocoders share `exactly_one`; Nominatim also takes these, others may not.
        wanted: dict[str, object] = {"limit": None, "addressdetails": True, "language": "en"}
        self._options = {name: value for name, value in wanted.items() if name in accepted}

    def attribution(self) -> str:
        name = type(self._geocoder).__name__
        online = _ATTRIBUTIONS.get(name, f"Online search: {name} (through geopy).")
        return f"{online} {self._fallback.attribution()}" if self._fallback else online

    def country_near(self, latitude: float, longitude: float, *, within_km: float = 100.0) -> str | None:
        # Offline only: a patient's own position is never sent to the online service.
        return self._fallback.country_near(latitude, longitude, within_km=within_km) if self._fallback else None

    def geocode(self, query: str, *, limit: int = 8) -> GeocodeResult:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        # A label typed back carries notes in parentheses that would only confuse the service.
        text, _ = split_notes(clean_query(query))
        options = dict(self._options)
        if "limit" in options:
            options["limit"] = limit
        try:
            answer = self._geocoder.geocode(text, exactly_one=False, **options)
        except Exception:
            # A timeout, a refusal, a quota, a malformed reply: all mean "ask the offline index".
            log.warning("online geocoder failed for a query; using the offline gazetteer", exc_info=True)
            if self._fallback is not None:
                return self._fallback.geocode(query, limit=limit)
            raise GeocodeError("The place search is not available right now. Try again in a moment.") from None
        places = _dedupe([_place(location) for location in _as_list(answer)])
        if not places:
            if self._fallback is not None:
                return self._fallback.geocode(query, limit=limit)
            raise GeocodeError(f"We couldn't find {quoted(text)}. Check the spelling, or type a postcode.")
        return GeocodeResult(query=query.strip(), candidates=tuple(places[:limit]))


def _as_list(answer: Any) -> list[Any]:
    if answer is None:
        return []
    if isinstance(answer, list | tuple):
        return list(answer)
    return [answer]


def _place(location: Any) -> Place:
    raw = getattr(location, "raw", None)
    details: Mapping[str, Any] = raw.get("address", {}) if isinstance(raw, Mapping) else {}
    parts = [part.strip() for part in str(getattr(location, "address", "") or "").split(",") if part.strip()]
    name = next((str(details[k]) for k in _TOWN_KEYS if details.get(k)), parts[0] if parts else "")
    region = next((str(details[k]) for k in _REGION_KEYS if details.get(k)), None)
    country_name = str(details.get("country") or (parts[-1] if len(parts) > 1 else ""))
    return Place(
        name=name or country_name,
        region=region,
        country=str(details.get("country_code", "")).upper(),
        country_name=country_name,
        latitude=float(location.latitude),
        longitude=float(location.longitude),
        kind="online",
    )


def _dedupe(places: list[Place]) -> list[Place]:
    kept: list[Place] = []
    for place in places:
        same = (fold(place.name), place.country, fold(place.region or ""))
        if not any(
            (fold(o.name), o.country, fold(o.region or "")) == same
            and great_circle_km(o.latitude, o.longitude, place.latitude, place.longitude) < DEDUPE_KM
            for o in kept
        ):
            kept.append(place)
    return kept
