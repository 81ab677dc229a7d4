"""Map projections, in plain arithmetic: no GIS library.

Two framings need two projections:

- A search with a radius is drawn in an **azimuthal equidistant** projection centred on the
  patient's place: every distance from the centre is true, so the radius is a circle and a clinic
  within the radius is inside it, wherever in the US (Alaska, Hawaii, Puerto Rico included).
- A search "anywhere" is drawn on the whole country in **Albers USA**: the conic equal-area
  projection of the lower 48 states with Alaska, Hawaii and Puerto Rico moved into insets. The
  constants are d3-geo's `geoAlbersUsa` (the projection us-atlas's own projected files use), with
  Puerto Rico's inset as the composite projections commonly place it; 975 × 610 units in all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


def azimuthal_equidistant(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """(east, north) in km from (lat0, lon0), with the true great-circle distance from the centre."""
    phi0, phi = math.radians(lat0), math.radians(lat)
    dlon = math.radians(lon - lon0)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(dlon)
    c = math.acos(max(-1.0, min(1.0, cos_c)))
    k = 1.0 if c < 1e-12 else c / math.sin(c)
    east = k * math.cos(phi) * math.sin(dlon)
    north = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(dlon))
    return east * EARTH_RADIUS_KM, north * EARTH_RADIUS_KM


@dataclass(frozen=True, slots=True)
class ConicEqualArea:
    """One conic equal-area projection as d3 sets it up: rotation, centre, parallels, scale, translation."""

    rotate: float  # degrees added to the longitude
    center: tuple[float, float]  # (lon, lat) in the rotated frame that lands on `translate`
    parallels: tuple[float, float]
    scale: float
    translate: tuple[float, float]

    def _raw(self, lam: float, phi: float) -> tuple[float, float]:
        sy0 = math.sin(math.radians(self.parallels[0]))
        n = (sy0 + math.sin(math.radians(self.parallels[1]))) / 2
        c = 1 + sy0 * (2 * n - sy0)
        r0 = math.sqrt(c) / n
        r = math.sqrt(max(c - 2 * n * math.sin(phi), 0.0)) / n
        return r * math.sin(lam * n), r0 - r * math.cos(lam * n)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        lam = math.radians(((lon + self.rotate + 180.0) % 360.0) - 180.0)
        x, y = self._raw(lam, math.radians(lat))
        cx, cy = self._raw(math.radians(self.center[0]), math.radians(self.center[1]))
        return self.translate[0] + self.scale * (x - cx), self.translate[1] - self.scale * (y - cy)


_K, _X, _Y = 1300.0, 487.5, 305.0
ALBERS_USA_SIZE = (975.0, 610.0)
LOWER_48 = ConicEqualArea(96.0, (-0.6, 38.7), (29.5, 45.5), _K, (_X, _Y))
ALASKA = ConicEqualArea(154.0, (-2.0, 58.5), (55.0, 65.0), _K * 0.35, (_X - 0.307 * _K, _Y + 0.201 * _K))
HAWAII = ConicEqualArea(157.0, (-3.0, 19.9), (8.0, 18.0), _K, (_X - 0.205 * _K, _Y + 0.212 * _K))
PUERTO_RICO = ConicEqualArea(66.0, (0.0, 18.0), (8.0, 18.0), _K, (_X + 0.35 * _K, _Y + 0.224 * _K))

# Which inset draws a state (FIPS code); every other state or territory in the lower 48's frame
# or none (the Pacific territories are outside this map).
INSET_BY_STATE = {"02": ALASKA, "15": HAWAII, "72": PUERTO_RICO}
OFF_MAP_STATES = frozenset({"60", "66", "69", "78"})  # American Samoa, Guam, N. Mariana Is., US Virgin Is.


def albers_usa(lat: float, lon: float) -> tuple[float, float] | None:
    """A point on the national map, in its inset when it is in Alaska, Hawaii or Puerto Rico; None elsewhere."""
    if lat > 50.0 and lon < -129.0:
        return ALASKA(lon, lat)
    if 18.0 < lat < 23.0 and -161.0 < lon < -154.0:
        return HAWAII(lon, lat)
    if 17.5 < lat < 18.7 and -67.5 < lon < -65.0:
        return PUERTO_RICO(lon, lat)
    if 24.0 < lat < 50.0 and -125.0 < lon < -66.0:
        return LOWER_48(lon, lat)
    return None
