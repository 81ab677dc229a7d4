"""The states' outlines (data/us_states.json, built by tools/build_us_map.py) drawn as SVG paths.

A base layer depends only on the framing, so it is built once per framing and cached; what a
request adds (pins, labels) is drawn on top of it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from clinicfinder.core.map.projection import INSET_BY_STATE, LOWER_48, OFF_MAP_STATES
from clinicfinder.core.paths import DATA_DIR

STATES_FILE = DATA_DIR / "us_states.json"
Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True, slots=True)
class State:
    fips: str
    name: str
    rings: tuple[tuple[float, ...], ...]  # flat [lon, lat, …] per ring (outer rings and holes alike)
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@functools.cache
def states() -> tuple[State, ...]:
    data = json.loads(STATES_FILE.read_text(encoding="utf-8"))
    loaded = []
    for state in data["states"]:
        rings = tuple(tuple(ring) for polygon in state["polygons"] for ring in polygon)
        lons = [value for ring in rings for value in ring[0::2]]
        lats = [value for ring in rings for value in ring[1::2]]
        loaded.append(State(state["id"], state["name"], rings, (min(lons), min(lats), max(lons), max(lats))))
    return tuple(loaded)


def clip_ring(ring: Ring, left: float, top: float, right: float, bottom: float) -> Ring:
    """Sutherland–Hodgman against a rectangle: the part of a polygon ring inside it (still a ring)."""
    edges: list[tuple[Callable[[Point], bool], Callable[[Point, Point], Point]]] = [
        (lambda p: p[0] >= left, lambda a, b: _at_x(a, b, left)),
        (lambda p: p[0] <= right, lambda a, b: _at_x(a, b, right)),
        (lambda p: p[1] >= top, lambda a, b: _at_y(a, b, top)),
        (lambda p: p[1] <= bottom, lambda a, b: _at_y(a, b, bottom)),
    ]
    points = ring
    for inside, cross in edges:
        if not points:
            break
        kept: Ring = []
        previous = points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    kept.append(cross(previous, point))
                kept.append(point)
            elif inside(previous):
                kept.append(cross(previous, point))
            previous = point
        points = kept
    return points


def _at_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return x, a[1] + t * (b[1] - a[1])


def _at_y(a: Point, b: Point, y: float) -> Point:
    t = (y - a[1]) / (b[1] - a[1])
    return a[0] + t * (b[0] - a[0]), y


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas–Peucker: drop the points closer than `tolerance` (in output units) to the line kept."""
    if len(ring) < 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = ring[first], ring[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = ring[i]
            # distance to the line through the ends; to the first end when both ends coincide
            distance = abs(dy * px - dx * py + bx * ay - by * ax) / length if length else math.hypot(px - ax, py - ay)
            if distance > farthest:
                farthest, index = distance, i
        if farthest > tolerance and index > 0:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(ring, keep, strict=True) if kept]


def path_data(rings: Iterable[Ring]) -> str:
    """SVG path data, one closed sub-path per ring, to a tenth of a unit.

    Relative moves ("l" and small deltas) keep the national map's path about a third shorter;
    the deltas are taken between positions already rounded, so no error builds up along a ring.
    """
    parts = []
    for ring in rings:
        tenths = [(round(x * 10), round(y * 10)) for x, y in ring]
        tenths = [point for i, point in enumerate(tenths) if i == 0 or point != tenths[i - 1]]
        if len(tenths) < 3:
            continue
        (x0, y0), *rest = tenths
        moves = [f"M{_tenths(x0)} {_tenths(y0)}l"]
        previous = (x0, y0)
        for x, y in rest:
            dx, dy = _tenths(x - previous[0]), _tenths(y - previous[1])
            moves.append(f"{dx}{'' if dy.startswith('-') else ' '}{dy} ")
            previous = (x, y)
        parts.append("".join(moves).rstrip() + "Z")
    return "".join(parts)


def _tenths(value: int) -> str:
    """An integer number of tenths as the shortest decimal: 12 → "1.2", -3 → "-.3", 40 → "4"."""
    sign, value = ("-", -value) if value < 0 else ("", value)
    whole, tenth = divmod(value, 10)
    text = (str(whole) if whole else "") + (f".{tenth}" if tenth else "")
    return sign + (text or "0")


def projected_rings(
    chosen: Sequence[State], project: Callable[[State, float, float], Point | None]
) -> Iterable[tuple[State, Ring]]:
    for state in chosen:
        for ring in state.rings:
            points = [project(state, ring[i], ring[i + 1]) for i in range(0, len(ring), 2)]
            yield state, [point for point in points if point is not None]


def national_projection(state: State, lon: float, lat: float) -> Point:
    return INSET_BY_STATE.get(state.fips, LOWER_48)(lon, lat)


def national_states() -> tuple[State, ...]:
    return tuple(state for state in states() if state.fips not in OFF_MAP_STATES)
