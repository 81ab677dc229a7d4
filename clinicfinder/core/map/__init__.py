"""The results map, drawn by us from the US Census Bureau's state outlines: no tiles, nothing fetched.

`draw_map` frames a search (its radius around home, or the whole country) and returns plain
numbers and SVG path data; `templates/macros/map.html` writes the picture.
"""

from clinicfinder.core.map.drawing import MapDrawing, Pin, Place, draw_map

__all__ = ["MapDrawing", "Pin", "Place", "draw_map"]
