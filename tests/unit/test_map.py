"""The results map: projections, framing, the base layer and labels that never overlap."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicfinder.core.geo.distance import geodesic_km
from clinicfinder.core.map import atlas
from clinicfinder.core.map.drawing import LABEL_RADIUS, Place, draw_map
from clinicfinder.core.map.labels import place_labels
from clinicfinder.core.map.projection import ALASKA, LOWER_48, albers_usa, azimuthal_equidistant

HOUSTON = (29.7604, -95.3698)
KM_PER_MILE = 1.609344


def state(fips: str) -> atlas.State:
    return next(s for s in atlas.states() if s.fips == fips)


@pytest.mark.parametrize(
    ("fips", "projection", "expected"),
    [
        # (min x, max x, min y, max y) of the state in us-atlas's own states-albers-10m.json, which
        # d3.geoAlbersUsa projected: ours must draw the state in the same place.
        ("08", LOWER_48, (264.6, 395.3, 237.2, 340.7)),  # Colorado
        ("48", LOWER_48, (294.3, 546.1, 350.7, 597.6)),  # Texas
        ("23", LOWER_48, (890.9, 957.1, 45.8, 150.1)),  # Maine
        ("02", ALASKA, (-57.6, 202.9, 465.0, 604.1)),  # Alaska's inset
    ],
)
def test_albers_usa_puts_each_state_where_d3_does(fips: str, projection: object, expected: tuple[float, ...]) -> None:
    points = [
        atlas.national_projection(state(fips), ring[i], ring[i + 1])
        for ring in state(fips).rings
        for i in range(0, len(ring), 2)
    ]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx(expected, abs=0.6)


@pytest.mark.parametrize(
    ("place", "inside"),
    [
        ((61.2181, -149.9003), True),  # Anchorage: Alaska's inset
        ((21.3069, -157.8583), True),  # Honolulu: Hawaii's inset
        ((18.4655, -66.1057), True),  # San Juan: Puerto Rico's inset
        ((13.4443, 144.7937), False),  # Guam: off this map
    ],
)
def test_the_national_map_places_alaska_hawaii_and_puerto_rico_in_insets(
    place: tuple[float, float], inside: bool
) -> None:
    point = albers_usa(*place)
    assert (point is not None and 0 <= point[0] <= 975 and 0 <= point[1] <= 610) is inside


@given(st.floats(-60, 60), st.floats(0, 360), st.floats(1, 400))
@settings(max_examples=200, deadline=None)
def test_the_radius_projection_keeps_distances_from_home_true(lat0: float, bearing: float, km: float) -> None:
    # A point `km` away along a bearing, then projected: its distance from the centre is `km`.
    phi0, theta, d = math.radians(lat0), math.radians(bearing), km / 6371.0088
    phi = math.asin(math.sin(phi0) * math.cos(d) + math.cos(phi0) * math.sin(d) * math.cos(theta))
    lam = math.atan2(math.sin(theta) * math.sin(d) * math.cos(phi0), math.cos(d) - math.sin(phi0) * math.sin(phi))
    east, north = azimuthal_equidistant(lat0, -90.0, math.degrees(phi), -90.0 + math.degrees(lam))
    assert math.hypot(east, north) == pytest.approx(km, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("radius_km", [25 * KM_PER_MILE, 50.0, 100 * KM_PER_MILE])
def test_the_radius_circle_holds_every_clinic_within_it_in_km_and_miles(radius_km: float) -> None:
    around = [(29.9, -95.5), (29.55, -95.1), (29.76, -95.0), (30.1, -95.45)]
    places = [
        Place(rank, f"Clinic {rank}", lat, lon)
        for rank, (lat, lon) in enumerate(around, start=1)
        if geodesic_km(*HOUSTON, lat, lon) <= radius_km
    ]
    assert places
    drawing = draw_map(*HOUSTON, radius_km, places)
    assert drawing.circle is not None
    cx, cy, r = drawing.circle
    assert drawing.home == (cx, cy)
    for pin, place in zip(drawing.pins, places, strict=True):
        assert math.dist((pin.x, pin.y), (cx, cy)) <= r + 0.5
        # the pin's distance from home is the clinic's, at the map's scale
        expected = geodesic_km(*HOUSTON, place.latitude, place.longitude) / radius_km * r
        assert math.dist((pin.x, pin.y), (cx, cy)) == pytest.approx(expected, rel=0.01, abs=0.3)


def subpaths(path: str) -> int:
    return path.count("M")


def absolute_points(path: str) -> list[tuple[float, float]]:
    """Every vertex of a path written as "M x y l dx dy … Z" sub-paths."""
    points = []
    for sub in re.findall(r"M([^l]+)l([^Z]*)Z", path):
        numbers = [float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", sub[0] + " " + sub[1])]
        x, y = numbers[0], numbers[1]
        points.append((x, y))
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
    return points


def test_path_data_is_relative_and_exact_to_a_tenth() -> None:
    ring = [(1.0, 2.0), (1.31, 2.0), (1.26, 1.5), (0.5, 0.04), (0.5, 0.04)]  # the repeated point is dropped
    path = atlas.path_data([ring])
    assert path == "M1 2l.3 0 0-.5 -.8-1.5Z"
    flat = [value for point in absolute_points(path) for value in point]
    assert flat == pytest.approx([1.0, 2.0, 1.3, 2.0, 1.3, 1.5, 0.5, 0.0])


def test_a_place_near_a_state_border_shows_both_states() -> None:
    el_paso = draw_map(31.7619, -106.4850, 50.0, [])  # Texas, a few miles from New Mexico
    assert subpaths(el_paso.land) >= 2
    assert len(el_paso.land) < 20_000
    points = absolute_points(el_paso.land)
    assert len(points) > 10
    assert all(-2.1 <= x <= 402.1 and -2.1 <= y <= 302.1 for x, y in points)  # clipped to the view


@pytest.mark.parametrize(
    "home", [(61.2181, -149.9003), (21.3069, -157.8583), (18.4655, -66.1057)], ids=["AK", "HI", "PR"]
)
def test_alaska_hawaii_and_puerto_rico_searches_are_framed_on_home(home: tuple[float, float]) -> None:
    drawing = draw_map(*home, 40.0, [Place(1, "Clinic", home[0] + 0.05, home[1] + 0.05)])
    assert drawing.land, "the land around home is drawn"
    assert drawing.home == (200.0, 150.0)
    assert drawing.unmapped == 0 and len(drawing.pins) == 1


def test_the_whole_country_for_anywhere_and_a_pacific_clinic_counted_off_the_map() -> None:
    drawing = draw_map(*HOUSTON, None, [Place(1, "Houston", *HOUSTON), Place(2, "Guam", 13.44, 144.79)])
    assert drawing.circle is None
    assert drawing.width == 400 and drawing.height == pytest.approx(250.3, abs=0.1)
    assert [pin.name for pin in drawing.pins] == ["Houston"] and drawing.unmapped == 1
    assert subpaths(drawing.land) > 50  # every state, islands and all
    assert len(drawing.land) < 20_000  # simplified for a 400-unit picture


points = st.tuples(st.floats(0, 400), st.floats(0, 300))


@given(st.lists(points, min_size=1, max_size=20))
@settings(max_examples=150, deadline=None)
def test_labels_never_overlap_and_stay_in_view(pins: list[tuple[float, float]]) -> None:
    labels = place_labels(pins, LABEL_RADIUS, 400, 300)
    assert len(labels) == len(pins)
    for i, a in enumerate(labels):
        assert LABEL_RADIUS <= a[0] <= 400 - LABEL_RADIUS and LABEL_RADIUS <= a[1] <= 300 - LABEL_RADIUS
        for b in labels[i + 1 :]:
            assert math.dist(a, b) >= 2 * LABEL_RADIUS + 2


# Cities away from the view's edges (a crowd in a corner has only a quarter of each ring to use).
inland = st.tuples(st.floats(100, 300), st.floats(75, 225))
clustered = st.tuples(inland, st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=10))


@given(st.lists(clustered, min_size=1, max_size=2))
@settings(max_examples=150, deadline=None)
def test_clustered_pins_get_labels_clear_of_each_other_and_of_other_pins_and_close_by(
    clusters: list[tuple[tuple[float, float], list[tuple[float, float]]]],
) -> None:
    # A city's clinics on the national map fall within a few units of each other: the case where
    # the label search resumes where the previous pin's ended instead of starting again.
    pins = [(min(max(x + dx, 0), 400), min(max(y + dy, 0), 300)) for (x, y), spread in clusters for dx, dy in spread]
    home = pins[0]
    labels = place_labels(pins, LABEL_RADIUS, 400, 300, keep_clear=[home])
    for i, label in enumerate(labels):
        assert all(math.dist(label, other) >= 2 * LABEL_RADIUS + 2 for other in labels[i + 1 :])
        if label != pins[i]:  # a moved label covers no other pin (one on its own pin may sit over a neighbour)
            assert all(math.dist(label, pin) >= LABEL_RADIUS + 4 for j, pin in enumerate(pins) if j != i)
        assert math.dist(label, home) >= LABEL_RADIUS + 8
        assert math.dist(label, pins[i]) <= 12 * LABEL_RADIUS  # out of the crowd, not across the map


def test_a_drawing_writes_one_dot_a_pin_and_one_leader_a_moved_label() -> None:
    places = [Place(i + 1, f"Clinic {i + 1}", HOUSTON[0] + i * 0.01, HOUSTON[1]) for i in range(6)]
    drawing = draw_map(*HOUSTON, None, places)
    assert drawing.dots.count("M") == len(drawing.pins) == 6
    # home sits on clinic 1, so its label moves too: six leaders
    assert drawing.leaders.count("M") == sum(pin.moved for pin in drawing.pins) == 6


def test_twenty_clinics_on_one_street_still_get_twenty_readable_labels() -> None:
    same_spot = [(200.0 + i * 0.2, 150.0) for i in range(20)]
    labels = place_labels(same_spot, LABEL_RADIUS, 400, 300)
    assert len(set(labels)) == 20
    assert labels[0] == same_spot[0]  # the first keeps its place; the others move out with a leader line


def test_no_label_hides_the_patients_place() -> None:
    home = (200.0, 150.0)
    labels = place_labels([(200.5, 150.0), (201.0, 149.0)], LABEL_RADIUS, 400, 300, keep_clear=[home])
    assert all(math.dist(label, home) >= LABEL_RADIUS + 8 for label in labels)
