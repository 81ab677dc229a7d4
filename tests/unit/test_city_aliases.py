"""What patients type for big US cities: reviewed nicknames, offered as candidates and never chosen silently."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from clinicfinder.core.geo import Gazetteer
from clinicfinder.core.geo.gazetteer import DEFAULT_ALIASES, DEFAULT_INDEX


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def labels(gazetteer: Gazetteer, query: str) -> list[str]:
    return [place.label for place in gazetteer.geocode(query).candidates]


def test_every_alias_points_at_the_city_it_names_in_the_gazetteer() -> None:
    db = sqlite3.connect(f"{DEFAULT_INDEX.as_uri()}?mode=ro&immutable=1", uri=True)
    with DEFAULT_ALIASES.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) >= 10
    for row in rows:
        found = db.execute(
            "SELECT p.name, r.name, p.country FROM places p JOIN regions r ON r.id = p.region WHERE p.id = ?",
            (int(row["geonames_id"]),),
        ).fetchone()
        assert found == (row["city"], row["state"], "US"), row


@pytest.mark.parametrize("typed", ["NYC", "nyc", "N.Y.C.", "New York City"])
def test_nyc_finds_new_york_city(gazetteer: Gazetteer, typed: str) -> None:
    assert labels(gazetteer, typed) == ["New York City, New York, United States"]


@pytest.mark.parametrize("typed", ["LA", "L.A.", "la"])
def test_la_offers_los_angeles_beside_louisiana_never_silently(gazetteer: Gazetteer, typed: str) -> None:
    result = gazetteer.geocode(typed)
    assert result.ambiguous
    found = labels(gazetteer, typed)
    assert found[0] == "Los Angeles, California, United States"
    assert "New Orleans, Louisiana, United States" in found  # the state's reading is still offered


def test_la_with_a_state_is_only_los_angeles(gazetteer: Gazetteer) -> None:
    assert labels(gazetteer, "LA, California") == ["Los Angeles, California, United States"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SF", ["San Francisco, California, United States"]),
        ("San Fran", ["San Francisco, California, United States"]),
        ("DC", ["Washington, District of Columbia, United States"]),  # the District is the city
        ("SLC", ["Salt Lake City, Utah, United States"]),
        ("STL", ["St. Louis, Missouri, United States"]),
        ("ATL", ["Atlanta, Georgia, United States"]),
        ("Chi-Town", ["Chicago, Illinois, United States"]),
        ("KC", ["Kansas City, Missouri, United States", "Kansas City, Kansas, United States"]),
    ],
)
def test_common_nicknames_find_their_city(gazetteer: Gazetteer, typed: str, expected: list[str]) -> None:
    assert labels(gazetteer, typed) == expected


@pytest.mark.parametrize("typed", ["CA", "IL", "USA"])
def test_codes_without_an_alias_still_ask_for_a_city(gazetteer: Gazetteer, typed: str) -> None:
    from clinicfinder.core.geo import GeocodeError

    with pytest.raises(GeocodeError, match="type a city or a postcode in it"):
        gazetteer.geocode(typed)
