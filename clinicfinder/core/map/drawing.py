"""A results map: the framing's base layer (cached) plus this search's pins and labels.

The core returns plain numbers and path strings; `templates/macros/map.html` writes the SVG, so
the same drawing serves the results page and the PDF.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from clinicfinder.core.map import atlas
from clinicfinder.core.map.labels import place_labels
from clinicfinder.core.map.projection import ALBERS_USA_SIZE, albers_usa, azimuthal_equidistant

WIDTH = 400.0  # view units; the page scales the picture to its column (≈ 343 px on a 375 px phone)
RADIUS_HEIGHT = 300.0
MARGIN = 14.0
LABEL_RADIUS = 11.0
DOT_RADIUS = 3.0
KM_PER_DEGREE = 111.2


@dataclass(frozen=True, slots=True)
class Pin:
    rank: int
    name: str
    key: str  # the caller's id for the clinic (the page links the pin to its card by it)
    x: float
    y: float
    label_x: float
    label_y: float

    @property
    def moved(self) -> bool:
        """The label sits away from its pin, so a leader line joins them."""
        return (self.x, self.y) != (self.label_x, self.label_y)


@dataclass(frozen=True, slots=True)
class MapDrawing:
    width: float
    height: float
    land: str  # SVG path data of the states in view
    home: tuple[float, float] | None  # the patient's place, when it is on the map
    circle: tuple[float, float, float] | None  # (cx, cy, r) of the search radius
    pins: tuple[Pin, ...]
    unmapped: int  # clinics outside the map (a Pacific territory on the national map)
    # Every pin's dot, and the leader lines of moved labels, as one SVG path each: the page writes
    # two attributes instead of two elements a pin (the per-pin markup was most of the map's cost).
    dots: str = ""
    leaders: str = ""
    label_radius: float = LABEL_RADIUS


@dataclass(frozen=True, slots=True)
class Place:
    """A clinic to pin: its rank in the patient's order, name and position."""

    rank: int
    name: str
    latitude: float
    longitude: float
    key: str = ""


def draw_map(
    home_latitude: float, home_longitude: float, radius_km: float | None, places: Sequence[Place]
) -> MapDrawing:
    """The map for a search: framed on the radius around home, or on the whole country ("anywhere")."""
    if radius_km:
        # Keyed on the place itself: a typed place always comes back with the same coordinates and
        # a browser position is already rounded to about a kilometre, so framings repeat.
        key = (home_latitude, home_longitude, radius_km)
        scale, land = _radius_base(*key)
        centre = (WIDTH / 2, RADIUS_HEIGHT / 2)

        def project(lat: float, lon: float) -> tuple[float, float] | None:
            east, north = azimuthal_equidistant(key[0], key[1], lat, lon)
            return round(centre[0] + east * scale, 1), round(centre[1] - north * scale, 1)

        height = RADIUS_HEIGHT
        circle: tuple[float, float, float] | None = (centre[0], centre[1], round(radius_km * scale, 1))
    else:
        land = _national_base()
        factor = WIDTH / ALBERS_USA_SIZE[0]
        height = round(ALBERS_USA_SIZE[1] * factor, 1)

        def project(lat: float, lon: float) -> tuple[float, float] | None:
            point = albers_usa(lat, lon)
            return None if point is None else (round(point[0] * factor, 1), round(point[1] * factor, 1))

        circle = None
    located = [(place, project(place.latitude, place.longitude)) for place in places]
    on_map = [(place, point) for place, point in located if point is not None]
    home = project(home_latitude, home_longitude)
    labels = place_labels(
        [point for _, point in on_map], LABEL_RADIUS, WIDTH, height, keep_clear=[home] if home else []
    )
    pins = tuple(
        Pin(place.rank, place.name, place.key, point[0], point[1], round(label[0], 1), round(label[1], 1))
        for (place, point), label in zip(on_map, labels, strict=True)
    )
    return MapDrawing(
        width=WIDTH,
        height=height,
        land=land,
        home=home,
        circle=circle,
        pins=pins,
        unmapped=len(located) - len(on_map),
        dots="".join(f"M{_n(p.x - DOT_RADIUS)} {_n(p.y)}{_DOT}" for p in pins),
        leaders="".join(f"M{_n(p.x)} {_n(p.y)}L{_n(p.label_x)} {_n(p.label_y)}" for p in pins if p.moved),
    )


# A dot as two half-circle arcs from its left edge (SVG path data has no circle command).
_ARC = f"a{DOT_RADIUS:g} {DOT_RADIUS:g} 0 1 0"
_DOT = f"{_ARC} {2 * DOT_RADIUS:g} 0{_ARC} {-2 * DOT_RADIUS:g} 0"


def _n(value: float) -> str:
    """A coordinate to a tenth, without a trailing ".0"."""
    return f"{value:.1f}".removesuffix(".0")


@functools.lru_cache(maxsize=256)
def _radius_base(latitude: float, longitude: float, radius_km: float) -> tuple[float, str]:
    """Units per km, and the states around home clipped to the view; one per framing."""
    scale = (min(WIDTH, RADIUS_HEIGHT) / 2 - MARGIN) / radius_km
    half_width_km = (WIDTH / 2) / scale * 1.5  # a margin: the view's corners reach beyond its half-width
    lat_span = half_width_km / KM_PER_DEGREE
    lon_span = half_width_km / (KM_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.05))
    west, east = longitude - lon_span, longitude + lon_span
    south, north = latitude - lat_span, latitude + lat_span
    near = [
        state
        for state in atlas.states()
        if state.bounds[0] <= east and state.bounds[2] >= west and state.bounds[1] <= north and state.bounds[3] >= south
    ]
    centre = (WIDTH / 2, RADIUS_HEIGHT / 2)

    def project(state: atlas.State, lon: float, lat: float) -> tuple[float, float] | None:
        # Every point, even far outside the view: dropping some would join its neighbours by a
        # chord that may cross the view. Clipping then keeps only what is in sight.
        dx, dy = azimuthal_equidistant(latitude, longitude, lat, lon)
        return centre[0] + dx * scale, centre[1] - dy * scale

    rings = []
    for _, ring in atlas.projected_rings(near, project):
        clipped = atlas.clip_ring(ring, -2.0, -2.0, WIDTH + 2.0, RADIUS_HEIGHT + 2.0)
        rings.append(atlas.simplify(clipped, 0.4))
    return scale, atlas.path_data(rings)


@functools.cache
def _national_base() -> str:
    factor = WIDTH / ALBERS_USA_SIZE[0]

    def project(state: atlas.State, lon: float, lat: float) -> tuple[float, float]:
        x, y = atlas.national_projection(state, lon, lat)
        return x * factor, y * factor

    rings = [atlas.simplify(ring, 0.6) for _, ring in atlas.projected_rings(atlas.national_states(), project)]
    return atlas.path_data(ring for ring in rings if len(ring) >= 4)
