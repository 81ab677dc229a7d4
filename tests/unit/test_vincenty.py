"""The vectorised Vincenty distance that settles the radius edge must be the geodesic, to a millimetre."""

from __future__ import annotations

import random

import numpy as np
import pytest

from clinicfinder.core.geo.distance import geodesic_km, vincenty_km
from clinicfinder.core.matching.index import VINCENTY_MARGIN_KM

ORIGINS = [(40.7128, -74.0060), (0.0, 0.0), (-33.87, 151.21), (64.15, -21.94), (51.5, 179.9)]


@pytest.mark.parametrize(("lat", "lon"), ORIGINS)
def test_vincenty_agrees_with_the_geodesic_wherever_it_converges(lat: float, lon: float) -> None:
    rng = random.Random(11)  # noqa: S311 - reproducible test points, not secrets
    near = [(lat + rng.gauss(0, 1), lon + rng.gauss(0, 1)) for _ in range(300)]
    far = [(rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)) for _ in range(300)]
    same_place_and_antipode = [(lat, lon), (-lat, lon + 180 if lon <= 0 else lon - 180)]
    points = near + far + same_place_and_antipode
    lats, lons = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    distances, converged = vincenty_km(lat, lon, lats, lons)
    reference = np.array([geodesic_km(lat, lon, a, b) for a, b in points])
    assert converged[: len(near)].all()
    assert np.max(np.abs(distances[converged] - reference[converged])) < VINCENTY_MARGIN_KM / 10
    assert distances[len(near) + len(far)] == 0.0
