"""The query parameters of `/api/v1`, declared once as pydantic models.

Pydantic because the models are plain classes that need no Flask extension (they could move to a core
package unchanged), and because it parses, checks and writes JSON Schema from the same declaration, so
`openapi.py` generates the document instead of restating defaults, patterns and choices.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self, cast, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from clinicfinder.core.domain import CURRENCIES, Treatment
from clinicfinder.core.geo.model import MAX_QUERY_CHARS
from clinicfinder.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from clinicfinder.core.matching.ordering import DEFAULT_ORDER, ORDERS
from clinicfinder.core.vocabulary import AGE_BANDS
from clinicfinder.web.api.errors import ApiError

Currency = Literal["USD", "EUR", "GBP"]
Language = Literal["en", "es"]
AgeBand = Literal["under_35", "35_37", "38_40", "41_42", "over_42"]
Order = Literal["nearest", "success", "experience", "price"]
# Literal needs the values spelled out; these say the API offers exactly what the rest of the app does.
assert get_args(Currency) == CURRENCIES, "the API's currencies differ from clinicfinder.core.domain.CURRENCIES"
assert set(get_args(Language)) == set(LANGUAGES), "the API's languages differ from clinicfinder.core.i18n.LANGUAGES"
assert DEFAULT_LANGUAGE in get_args(Language)
assert get_args(AgeBand) == AGE_BANDS, "the API's age bands differ from clinicfinder.core.vocabulary.AGE_BANDS"
assert get_args(Order) == tuple(ORDERS), "the API's orders differ from clinicfinder.core.matching.ordering.ORDERS"

ANYWHERE = "anywhere"
MAX_RADIUS_KM = 20_000.0
MIN_RADIUS_KM = 0.1
MAX_BUDGET = Decimal(10_000_000)
# A plain number with "." for decimals: "12,500" and "12.500" mean different things in different countries.
BUDGET_PATTERN = re.compile(r"^\d{1,8}(?:\.\d{1,2})?$")
NEGATIVE_AMOUNT = re.compile(r"^-\d+(?:\.\d+)?$")
MAX_LIMIT = 100
MAX_TEXT = MAX_QUERY_CHARS  # what the geocoder reads; a longer place is refused with the parameter's name
# At least one visible character: values are stripped, so "  " is as empty as "".
VISIBLE_TEXT: JsonDict = {"minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S"}


def _folded(choices: tuple[str, ...]) -> BeforeValidator:
    """Case does not matter ("TESE", "eur"): map the input onto the choice it spells."""
    by_fold = {choice.casefold(): choice for choice in choices}

    def fold(value: object) -> object:
        return by_fold.get(value.casefold(), value) if isinstance(value, str) else value

    return BeforeValidator(fold)


def _anywhere(value: object) -> object:
    return None if isinstance(value, str) and value.casefold() == ANYWHERE else value


def _at_least_minimum_radius(radius: float | None) -> float | None:
    if radius is not None and radius < MIN_RADIUS_KM:
        raise PydanticCustomError("radius_too_small", f"radius_km must be at least {MIN_RADIUS_KM} (or 'anywhere').")
    return radius


def _plain_amount(value: object) -> object:
    if not isinstance(value, str):
        return value
    if NEGATIVE_AMOUNT.match(value):
        raise PydanticCustomError("budget_format", f"budget must be a positive amount, got {_shown(value)!r}.")
    if not BUDGET_PATTERN.match(value):
        raise PydanticCustomError(
            "budget_format", f"budget must be an amount such as 15000 or 15000.50, got {_shown(value)!r}."
        )
    return Decimal(value).quantize(Decimal("0.01"))


_TREATMENTS = tuple(t.value for t in Treatment)

RadiusKm = Annotated[
    float | None,
    BeforeValidator(_anywhere),
    AfterValidator(_at_least_minimum_radius),
    # Between 0 and 0.1 the after-validator answers, with a hint; the document states the real range.
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": MIN_RADIUS_KM, "maximum": MAX_RADIUS_KM}, {"const": ANYWHERE}]}
    ),
]
Budget = Annotated[
    Decimal | None,
    BeforeValidator(_plain_amount),
    WithJsonSchema({"type": "string", "pattern": BUDGET_PATTERN.pattern}),
]


class QueryModel(BaseModel):
    """A query string: every parameter once, none unknown, none blank.

    A blank value (`treatment=`) is refused, naming the parameter, rather than read as absent: the
    document can then say exactly what is accepted (an enum, a pattern, a minimum length), and a
    client that meant to send something hears that it did not.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_strip_whitespace=True)

    ALLOWED: ClassVar[tuple[str, ...]] = ()  # the parameter names, as the query string spells them

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.ALLOWED = tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Self:
        getlist: Callable[[str], list[str]] | None = getattr(args, "getlist", None)
        for name in args:
            if getlist is not None and len(getlist(name)) > 1:
                raise ApiError(name, f"{name} is given more than once; give it once.")
        values = {name: args[name] for name in args}  # dict(MultiDict) would keep every value's list
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise _api_error(cls, error) from None


class GeocodeParams(QueryModel):
    q: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        json_schema_extra=VISIBLE_TEXT,
        description="A city, or a postcode such as 60611 or SW1A.",
        examples=["60611"],
    )


class ClinicParams(QueryModel):
    # None: only the treatment-independent criteria (the gates)
    treatment: Annotated[Treatment | None, _folded(_TREATMENTS)] = Field(
        default=None, description="Also evaluate the treatment-specific criteria.", examples=["tese"]
    )


class SearchParams(QueryModel):
    # The document states the either-or of _one_origin as a oneOf over the parameters (see openapi.py).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["location"], "properties": {"lat": False, "lon": False}},
                {"required": ["lat", "lon"], "properties": {"location": False}},
            ]
        }
    )

    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT,
        json_schema_extra=VISIBLE_TEXT,
        description="A city or postcode; not with lat and lon.",
        examples=["60611"],
    )
    latitude: float | None = Field(default=None, alias="lat", ge=-90, le=90, description="Latitude.", examples=[41.88])
    longitude: float | None = Field(
        default=None, alias="lon", ge=-180, le=180, description="Longitude.", examples=[-87.63]
    )
    radius_km: RadiusKm = Field(
        default=100.0, ge=0, le=MAX_RADIUS_KM, description="Search radius in km, or `anywhere`.", examples=[50]
    )
    treatment: Annotated[Treatment, _folded(_TREATMENTS)] = Field(description="Treatment code.", examples=["ivf"])
    budget: Budget = Field(
        default=None,
        gt=0,
        le=MAX_BUDGET,
        description="Maximum the patient can pay, e.g. 15000 or 15000.50 (no thousands separators).",
        examples=["15000"],
    )
    currency: Annotated[Currency, _folded(CURRENCIES)] = Field(
        default="USD", description="Currency of the budget and of the prices shown.", examples=["EUR"]
    )
    include_unpriced: bool = Field(default=True, description="Include clinics that publish no price.")
    include_unconfirmed: bool = Field(
        default=True, description="Include clinics that have not confirmed the treatment."
    )
    language: Annotated[Language, _folded(tuple(LANGUAGES))] = Field(
        default=cast(Language, DEFAULT_LANGUAGE), description="Language of the explanations.", examples=["es"]
    )
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, description="How many ranked clinics to return.")
    age_band: Annotated[AgeBand | None, _folded(AGE_BANDS)] = Field(
        default=None,
        description="CDC age band of the person whose eggs will be used (the donor's, with donor eggs).",
        examples=["35_37"],
    )
    order: Annotated[Order, _folded(tuple(ORDERS))] = Field(
        default=cast(Order, DEFAULT_ORDER),
        description="nearest; success (lower end of the 95 % interval for age_band); experience (cycles a year); "
        "price (published price). A clinic without the fact comes after those with it; ties by distance.",
        examples=["success"],
    )
    offset: int = Field(default=0, ge=0, le=100_000, description="Skip this many clinics (for paging).")

    @model_validator(mode="after")
    def _one_origin(self) -> Self:
        place, lat, lon = self.location is not None, self.latitude is not None, self.longitude is not None
        if place and (lat or lon):
            raise _combination("location", "Give either location or lat and lon, not both.")
        if not (place or lat or lon):
            raise _combination("location", "location is required (or lat and lon).")
        if not place and lat != lon:
            raise _combination("lon" if lat else "lat", "lat and lon must be given together.")
        return self


def _combination(parameter: str, message: str) -> PydanticCustomError:
    # A model-level error has no location; the context carries the parameter to name.
    return PydanticCustomError("combination", message, {"parameter": parameter})


# --- a ValidationError as the API's error: the first failing parameter and a sentence about it ---------


def _api_error(model: type[QueryModel], error: ValidationError) -> ApiError:
    errors = error.errors(include_url=False)
    # An unknown name first: a misspelt parameter explains the errors about the one it was meant to be.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ctx = first.get("ctx") or {}
    name = str(ctx.get("parameter") or (first["loc"][0] if first["loc"] else ""))
    field = next((f for n, f in model.model_fields.items() if (f.alias or n) == name), None)
    return ApiError(name or None, _message(model, name, field, first))


def _message(model: type[QueryModel], name: str, field: FieldInfo | None, error: ErrorDetails) -> str:
    kind, shown = error["type"], _shown(error["input"])
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, model.ALLOWED, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known parameters: {', '.join(model.ALLOWED)}"
        return f"Unknown parameter {name!r}{hint}"
    if field is None or kind in {"combination", "radius_too_small", "budget_format"}:
        return error["msg"]
    choices = _choices(field.annotation)
    if kind == "missing":
        hint = f"one of {', '.join(choices)}." if choices else (field.description or "")
        return f"{name} is required: {hint[:1].lower()}{hint[1:]}"
    if kind == "string_too_short":
        return f"{name} must not be empty."
    if kind == "string_too_long":
        return f"{name} must be at most {error.get('ctx', {}).get('max_length')} characters."
    if kind in {"enum", "literal_error"} and choices:
        return f"{name} must be one of {', '.join(c.lower() for c in choices)}, got {shown!r}."
    if kind == "bool_parsing":
        return f"{name} must be true or false, got {shown!r}."
    if kind in {"int_parsing", "int_from_float", "int_parsing_size"}:
        return f"{name} must be a whole number, got {shown!r}."
    if kind == "float_parsing":
        return f"{name} must be a number, got {shown!r}."
    if kind in {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{name} must be {_bounds(field)}, got {shown}."
    return f"{name}: {error['msg']}."


def _shown(value: object, limit: int = 40) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _choices(annotation: Any) -> tuple[str, ...]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    return next((found for arg in get_args(annotation) if (found := _choices(arg))), ())


def _bounds(field: FieldInfo) -> str:
    low = high = ""
    for item in field.metadata:
        if isinstance(item, Ge):
            low = f"at least {_number(item.ge)}"
        elif isinstance(item, Gt):
            low = f"more than {_number(item.gt)}"
        elif isinstance(item, Le):
            high = f"at most {_number(item.le)}"
        elif isinstance(item, Lt):
            high = f"less than {_number(item.lt)}"
    if low.startswith("at least") and high.startswith("at most"):
        return f"between {low.removeprefix('at least ')} and {high.removeprefix('at most ')}"
    return " and ".join(part for part in (low, high) if part) or "a finite number"


def _number(bound: object) -> str:
    number = float(str(bound))
    return f"{number:g}" if abs(number) < 1e6 else str(int(number))  # 10000000, not 1e+07
