"""Geocoding without a network: an offline gazetteer, postcode parsing and distances.

Pure Python (no Flask): `Gazetteer.load().geocode("Valencia, Spain")`.
"""

from clinicfinder.core.geo.distance import BoundingBox, bounding_box, geodesic_km, great_circle_km
from clinicfinder.core.geo.gazetteer import Gazetteer
from clinicfinder.core.geo.model import GeocodeError, GeocodeResult, Place
from clinicfinder.core.geo.online import OnlineGeocoder

__all__ = [
    "BoundingBox",
    "Gazetteer",
    "GeocodeError",
    "GeocodeResult",
    "OnlineGeocoder",
    "Place",
    "bounding_box",
    "geodesic_km",
    "great_circle_km",
]
