"""Shared by the index tests: comparing two indexes, and searching through the API while a rebuild runs."""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import Any

import numpy as np
from flask import Flask

from clinicfinder.core.matching.index import DirectoryIndex

SEARCH = "/api/v1/clinics/search?lat=41.88&lon=-87.63&radius_km=25&treatment=ivf"
# Far enough for the patient to notice a slow rebuild, not so far that the test is slow when it fails.
PATIENCE = 30


def search_ids(app: Flask) -> list[str]:
    response = app.test_client().get(SEARCH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [result["clinic"]["id"] for result in response.get_json()["results"]]


def search_in_background(app: Flask) -> dict[str, Any]:
    """Run one search in another thread, so that a search that blocked fails the test instead of hanging it."""
    answer: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answer.update(ids=search_ids(app)), daemon=True)
    thread.start()
    thread.join(PATIENCE)
    assert not thread.is_alive(), "the search waited for the index rebuild"
    return answer


def assert_same_index(built: DirectoryIndex, reference: DirectoryIndex) -> None:
    assert len(built) == len(reference) > 0
    for name in ("ids", "names", "sort_names", "is_open", "outcomes_year", "lab_verified", "accepted_lab_body"):
        assert np.array_equal(getattr(built, name), getattr(reference, name)), name
    for name in ("latitude", "longitude", "yearly_cycles"):
        assert np.array_equal(getattr(built, name), getattr(reference, name), equal_nan=True), name
    for treatment, offered in reference.availability.items():
        assert np.array_equal(built.availability[treatment], offered), treatment
    for currency, columns in reference.price.items():
        for treatment, prices in columns.items():
            assert np.array_equal(built.price[currency][treatment], prices, equal_nan=True), (currency, treatment)
    for age, lower in reference.success_lower.items():
        assert np.array_equal(built.success_lower[age], lower, equal_nan=True), age


def by_id(index: DirectoryIndex) -> DirectoryIndex:
    """The same index with its clinics in id order: positions aside, two indexes compare column by column."""
    order = np.argsort(index.ids, kind="stable")

    def reorder(value: Any) -> Any:
        return {key: reorder(item) for key, item in value.items()} if isinstance(value, dict) else value[order]

    return DirectoryIndex(**{f.name: reorder(getattr(index, f.name)) for f in fields(index)})
