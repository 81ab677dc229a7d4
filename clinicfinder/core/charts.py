"""Geometry for the small SVG charts of the results page (drawn by templates/macros/charts.html)."""

from __future__ import annotations

# Rank labels of the distance view sit on up to three rows above the line.
LABEL_ROWS = (30.0, 19.0, 8.0)
LABEL_GAP = 16.0


def chart_x(value: object, top: float, width: float) -> float:
    """Where an amount falls on a chart `width` wide whose scale ends at `top` (8 px margins)."""
    return round(8 + float(str(value)) / top * (width - 16), 1)


def distance_marks(distances: list[float], far: float, width: float) -> list[tuple[int, float, float | None]]:
    """(rank, x, label y) for each clinic on the distance view; a label that would overlap is left out."""
    last_in_row: dict[float, float] = {}
    marks = []
    for rank, distance in enumerate(distances, start=1):
        x = round(20 + min(distance / far, 1.0) * (width - 40), 1)
        row = next((y for y in LABEL_ROWS if x - last_in_row.get(y, -100.0) >= LABEL_GAP), None)
        if row is not None:
            last_in_row[row] = x
        marks.append((rank, x, row))
    return marks
