"""Distances on the Earth and the latitude/longitude box around a search circle.

`great_circle_km` (haversine on a sphere) is what ranking and radius filters use: fast, and
within about 0.5 % of the true distance. `geodesic_km` is exact on the WGS-84 ellipsoid
(through geopy, i.e. Karney's algorithm) for when a distance is shown as a precise fact.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

# IUGG mean Earth radius: the sphere that best fits the ellipsoid for distances.
EARTH_RADIUS_KM = 6371.0088
# WGS-84, the ellipsoid geopy's geodesic uses by default.
_A_KM = 6378.137
_F = 1 / 298.257223563
_B_KM = _A_KM * (1 - _F)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    # min() guards against h creeping over 1 by rounding for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from geopy.distance import geodesic

    return float(geodesic((lat1, lon1), (lat2, lon2)).km)


def vincenty_km(
    lat: float, lon: float, lats: npt.NDArray[np.float64], lons: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Vincenty's inverse formula on WGS-84 from one point to many, and where it converged.

    It agrees with Karney's algorithm (`geodesic_km`) to well under a millimetre wherever it
    converges, at about a microsecond a point instead of eighty; it fails to converge only for
    nearly antipodal points, which the caller measures with `geodesic_km` instead.
    """
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat)))
    u2 = np.arctan((1 - _F) * np.tan(np.radians(lats)))
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), np.sin(u2), np.cos(u2)
    big_l = np.radians(lons - lon)
    lam = big_l.copy()
    converged = np.zeros(len(lats), dtype=np.bool_)
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = np.zeros(len(lats))
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(100):
            sin_lam, cos_lam = np.sin(lam), np.cos(lam)
            sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
            cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
            sigma = np.arctan2(sin_sigma, cos_sigma)
            sin_alpha = np.where(sin_sigma == 0, 0.0, cos_u1 * cos_u2 * sin_lam / sin_sigma)
            cos2_alpha = 1 - sin_alpha**2
            # On the equator cos²α is 0 and the term drops out.
            cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha)
            c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
            previous = lam
            lam = big_l + (1 - c) * _F * sin_alpha * (
                sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
            )
            converged = np.abs(lam - previous) < 1e-12
            if converged.all():
                break
        u_sq = cos2_alpha * (_A_KM**2 - _B_KM**2) / _B_KM**2
        big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
        big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
        delta_sigma = (
            big_b
            * sin_sigma
            * (
                cos_2sm
                + big_b
                / 4
                * (
                    cos_sigma * (-1 + 2 * cos_2sm**2)
                    - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
                )
            )
        )
        distances: npt.NDArray[np.float64] = _B_KM * big_a * (sigma - delta_sigma)
    converged &= np.isfinite(distances)
    return distances, converged


class BoundingBox(NamedTuple):
    """Unpacks as `(min_lat, max_lat, min_lon, max_lon)`.

    When the box crosses the antimeridian, `min_lon > max_lon` (the GeoJSON convention) and
    `lon_ranges` holds two ranges; a SQL filter should OR one `BETWEEN` per range.
    """

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.min_lon > self.max_lon

    @property
    def lon_ranges(self) -> list[tuple[float, float]]:
        if self.crosses_antimeridian:
            return [(self.min_lon, 180.0), (-180.0, self.max_lon)]
        return [(self.min_lon, self.max_lon)]

    def contains(self, latitude: float, longitude: float) -> bool:
        longitude = _wrap(longitude)
        in_lon = any(low <= longitude <= high for low, high in self.lon_ranges)
        return self.min_lat <= latitude <= self.max_lat and in_lon


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """The smallest latitude/longitude box holding every point within `radius_km` (great circle).

    Near a pole the circle can hold the pole itself; the box then spans every longitude.
    """
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude must be within -90..90, not {lat}")
    if radius_km < 0 or math.isnan(radius_km):
        raise ValueError(f"radius must be zero or more kilometres, not {radius_km}")
    lon = _wrap(lon)
    angular = radius_km / EARTH_RADIUS_KM
    min_lat = lat - math.degrees(angular)
    max_lat = lat + math.degrees(angular)
    if max_lat >= 90.0 or min_lat <= -90.0 or angular >= math.pi / 2:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude is reached where the circle's meridians are tangent to it, not at `lat`.
    half_width = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    min_lon, max_lon = lon - half_width, lon + half_width
    if max_lon - min_lon >= 360.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, _wrap(min_lon), _wrap(max_lon))


def _wrap(lon: float) -> float:
    if -180.0 <= lon <= 180.0:
        return lon
    return (lon + 180.0) % 360.0 - 180.0
