"""Where each pin's numbered label goes, so that no two labels overlap.

A label sits on its pin when there is room; otherwise it moves outward on a spiral of candidate
spots until it touches neither another label nor another pin, and a leader line joins it to its
pin. Pins are placed in the list's order (the patient's chosen order), so clinic 1 moves least.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence

Point = tuple[float, float]


def place_labels(
    pins: Sequence[Point],
    radius: float,
    width: float,
    height: float,
    *,
    pin_radius: float = 3.0,
    keep_clear: Sequence[Point] = (),
    keep_clear_radius: float = 8.0,
) -> list[Point]:
    """The centre of each pin's round label (of `radius`), inside the width × height view.

    Two labels are at least 2 × radius + 2 apart (their outlines never touch); a moved label keeps
    clear of every other pin too, and no label hides a `keep_clear` mark (the patient's own place).
    """
    placed: list[Point] = []
    # Squared distances (no square roots in the loop); 2 units more than touching covers the white outline.
    clearance = (2 * radius + 2.0) ** 2
    pin_clearance = (radius + pin_radius + 1.0) ** 2
    mark_clearance = (radius + keep_clear_radius) ** 2
    # A pin within a label's radius of earlier pins starts its spiral where theirs ended, not at the
    # centre again, where every spot is already taken: the national map puts a city's twenty
    # clinics on a few units, and scanning from the centre each time made placement quadratic. It
    # may land a ring further out than the very first free spot; every spot it takes is still
    # checked in full, so nothing overlaps.
    steps: list[int] = []  # where each pin's label was found on the spiral (-1: on the pin)
    near = radius**2
    for index, pin in enumerate(pins):
        others = [*pins[:index], *pins[index + 1 :]]
        pin_x, pin_y = pin
        after = max(
            (step for (x, y), step in zip(pins, steps, strict=False) if (pin_x - x) ** 2 + (pin_y - y) ** 2 <= near),
            default=0,
        )
        for step, spot in _candidates(pin, radius, width, height, after):
            x, y = spot
            if (
                all((x - lx) ** 2 + (y - ly) ** 2 >= clearance for lx, ly in reversed(placed))
                and all((x - mx) ** 2 + (y - my) ** 2 >= mark_clearance for mx, my in keep_clear)
                and (spot == pin or all((x - px) ** 2 + (y - py) ** 2 >= pin_clearance for px, py in others))
            ):
                placed.append(spot)
                steps.append(step)
                break
        else:  # the view is full: a spot clear of every label, ignoring pins, always exists first
            placed.append(_first_clear(pin, placed, math.sqrt(clearance), radius, width, height))
            steps.append(-1)
    return placed


def _inside(spot: Point, radius: float, width: float, height: float) -> bool:
    return radius <= spot[0] <= width - radius and radius <= spot[1] <= height - radius


def _clamped(pin: Point, radius: float, width: float, height: float) -> Point:
    return min(max(pin[0], radius), width - radius), min(max(pin[1], radius), height - radius)


def _candidates(pin: Point, radius: float, width: float, height: float, after: int) -> Iterator[tuple[int, Point]]:
    """The pin's own spot (kept inside the view; step -1), then rings of spots further and further
    out, from the spiral's step `after` on; each with its step.
    """
    start = _clamped(pin, radius, width, height)
    yield -1, start
    low_x, low_y, high_x, high_y = radius, radius, width - radius, height - radius
    sx, sy = start
    spiral = _spiral(radius, math.hypot(width, height))
    for step in range(after, len(spiral)):
        dx, dy = spiral[step]
        x, y = sx + dx, sy + dy  # unrounded here (this loop is the hot one); the drawing rounds what it keeps
        if low_x <= x <= high_x and low_y <= y <= high_y:
            yield step, (x, y)


@functools.lru_cache(maxsize=8)
def _spiral(radius: float, reach: float) -> tuple[Point, ...]:
    """Offsets in rings half a label apart, spots about one label apart round each ring, starting
    to the upper right: the same for every pin of every map of a size, so computed once.
    """
    step = 2 * radius + 2.0
    offsets = []
    distance = step
    while distance < reach:
        count = max(8, int(2 * math.pi * distance / step))
        for turn in range(count):
            angle = math.radians(45) + 2 * math.pi * turn / count
            offsets.append((math.cos(angle) * distance, -math.sin(angle) * distance))
        distance += step / 2
    return tuple(offsets)


def _first_clear(
    pin: Point, placed: Sequence[Point], clearance: float, radius: float, width: float, height: float
) -> Point:
    grid = clearance / 2
    columns, rows = int(width // grid), int(height // grid)
    spots = [(radius + c * grid, radius + r * grid) for r in range(rows) for c in range(columns)]
    spots = [spot for spot in spots if _inside(spot, radius, width, height)]
    spots.sort(key=lambda spot: math.dist(spot, pin))
    for spot in spots:
        if all(math.dist(spot, label) >= clearance for label in placed):
            return spot
    raise ValueError(f"no room for {len(placed) + 1} labels of radius {radius} in {width} × {height}")
