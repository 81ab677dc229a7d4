"""The where step understands what patients type for big US cities."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.journey import post


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    return seeded_app.test_client()


def test_nyc_goes_on_to_the_treatment_step_from_new_york_city(patient: FlaskClient) -> None:
    response = post(patient, "/find/where", {"location": "NYC", "radius": "25", "unit": "auto"})
    assert response.headers["Location"].endswith("/find/treatment")
    post(patient, "/find/treatment", {"treatment": "ivf"})
    post(patient, "/find/budget", {"budget": "", "currency": "USD", "include_unpriced": "y"})
    html = patient.get("/find/results").get_data(as_text=True)
    assert "New York City, New York, United States" in html
    assert "clinics fit your answers" in html


def test_la_asks_which_place_with_los_angeles_among_the_choices(patient: FlaskClient) -> None:
    response = post(patient, "/find/where", {"location": "LA", "radius": "25", "unit": "auto"})
    assert response.headers["Location"].endswith("/find/where/choose")
    html = patient.get("/find/where/choose").get_data(as_text=True)
    assert "Los Angeles, California, United States" in html
    assert "New Orleans, Louisiana, United States" in html
