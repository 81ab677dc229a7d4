"""Query-string schemas: each parameter parsed, checked, and named in any error."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clinicfinder.core.domain import CURRENCIES, Treatment

LANGUAGES = ("en", "es")
MAX_RADIUS_KM = 20_000.0
MIN_RADIUS_KM = 0.1
MAX_BUDGET = Decimal(10_000_000)
BUDGET_PATTERN = re.compile(r"^\d{1,8}(?:\.\d{1,2})?$")
MAX_LIMIT = 100
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ApiError(Exception):
    """A 4xx answer whose JSON names the parameter at fault."""

    def __init__(self, parameter: str | None, message: str, *, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        return {"error": {"parameter": self.parameter, "message": self.message, **self.extra}}


class _Params:
    def __init__(self, args: Mapping[str, str], allowed: tuple[str, ...]) -> None:
        getlist = getattr(args, "getlist", None)
        for name in args:
            if getlist is not None and len(getlist(name)) > 1:
                raise ApiError(name, f"{name} is given more than once; give it once.")
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"; did you mean {close[0]}?" if close else f"; known parameters: {', '.join(allowed)}"
                raise ApiError(name, f"Unknown parameter {name!r}{hint}")
        self._args = args

    def text(self, name: str, *, max_length: int = 200) -> str | None:
        value = self._args.get(name)
        if value is None or not value.strip():
            return None
        if len(value) > max_length:
            raise ApiError(name, f"{name} must be at most {max_length} characters.")
        return value.strip()

    def number(self, name: str, low: float, high: float) -> float | None:
        value = self.text(name, max_length=40)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise ApiError(name, f"{name} must be a number, got {value!r}.") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise ApiError(name, f"{name} must be between {low:g} and {high:g}, got {value}.")
        return number

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(name, max_length=40)
        if value is None:
            return default
        if value.lower() not in allowed:
            raise ApiError(name, f"{name} must be one of {', '.join(allowed)}, got {value!r}.")
        return value.lower()

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, max_length=10)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ApiError(name, f"{name} must be true or false, got {value!r}.")


@dataclass(frozen=True)
class GeocodeParams:
    q: str

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> GeocodeParams:
        params = _Params(args, ("q",))
        q = params.text("q")
        if q is None:
            raise ApiError("q", "q is required: a city, or a postcode such as 60611 or SW1A.")
        return cls(q)


@dataclass(frozen=True)
class ClinicParams:
    treatment: Treatment | None  # None: only the treatment-independent criteria (the gates)

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ClinicParams:
        treatment = _Params(args, ("treatment",)).choice("treatment", tuple(t.value for t in Treatment))
        return cls(None if treatment is None else Treatment(treatment))


@dataclass(frozen=True)
class SearchParams:
    location: str | None
    latitude: float | None
    longitude: float | None
    radius_km: float | None  # None: anywhere
    treatment: Treatment
    budget: Decimal | None
    currency: str
    include_unpriced: bool
    include_unconfirmed: bool
    language: str
    limit: int

    ALLOWED = (
        "location",
        "lat",
        "lon",
        "radius_km",
        "treatment",
        "budget",
        "currency",
        "include_unpriced",
        "include_unconfirmed",
        "language",
        "limit",
    )

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> SearchParams:
        params = _Params(args, cls.ALLOWED)
        location = params.text("location")
        latitude = params.number("lat", -90, 90)
        longitude = params.number("lon", -180, 180)
        if location is not None and (latitude is not None or longitude is not None):
            raise ApiError("location", "Give either location or lat and lon, not both.")
        if location is None and latitude is None and longitude is None:
            raise ApiError("location", "location is required (or lat and lon).")
        if location is None and (latitude is None or longitude is None):
            raise ApiError("lon" if longitude is None else "lat", "lat and lon must be given together.")
        treatment = params.choice("treatment", tuple(t.value for t in Treatment))
        if treatment is None:
            raise ApiError("treatment", f"treatment is required: one of {', '.join(t.value for t in Treatment)}.")
        limit = params.number("limit", 1, MAX_LIMIT)
        if limit is not None and limit != int(limit):
            raise ApiError("limit", "limit must be a whole number.")
        return cls(
            location=location,
            latitude=latitude,
            longitude=longitude,
            radius_km=_radius(params),
            treatment=Treatment(treatment),
            budget=_budget(params),
            currency=(params.choice("currency", tuple(c.lower() for c in CURRENCIES)) or "usd").upper(),
            include_unpriced=params.flag("include_unpriced", True),
            include_unconfirmed=params.flag("include_unconfirmed", True),
            language=params.choice("language", LANGUAGES, "en") or "en",
            limit=int(limit or 20),
        )


def _radius(params: _Params) -> float | None:
    value = params.text("radius_km", max_length=40)
    if value is not None and value.lower() == "anywhere":
        return None
    radius = params.number("radius_km", 0, MAX_RADIUS_KM)
    if radius is not None and radius < MIN_RADIUS_KM:
        raise ApiError("radius_km", f"radius_km must be at least {MIN_RADIUS_KM} (or 'anywhere').")
    return 100.0 if radius is None else radius


def _budget(params: _Params) -> Decimal | None:
    value = params.text("budget", max_length=40)
    if value is None:
        return None
    # A plain number with "." for decimals: "12,500" and "12.500" mean different things in different countries.
    if not BUDGET_PATTERN.match(value):
        raise ApiError("budget", f"budget must be an amount such as 15000 or 15000.50, got {value!r}.")
    amount = Decimal(value).quantize(Decimal("0.01"))
    if amount <= 0 or amount > MAX_BUDGET:
        raise ApiError("budget", f"budget must be more than 0 and at most {MAX_BUDGET:,}, got {value}.")
    return amount
