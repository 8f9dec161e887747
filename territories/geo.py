"""Distances on the Earth's surface, without PostGIS.

Distance queries first narrow the candidates with a bounding box that an ordinary
(latitude, longitude) index can serve, then compute the exact great-circle distance in
Python on the few rows left.
"""

import math

EARTH_RADIUS_KM = 6371.0088
# Length of one degree of latitude (and of longitude at the equator).
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lng, max_lng) enclosing the circle of radius_km.

    The box is a superset of the circle: filter on it in SQL, then on haversine_km.
    """
    if radius_km < 0:
        raise ValueError("radius_km must be positive")
    d_lat = radius_km / KM_PER_DEGREE
    min_lat, max_lat = lat - d_lat, lat + d_lat
    if max_lat >= 90 or min_lat <= -90:
        # The circle contains a pole: every longitude is within reach.
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    # Use the widest parallel inside the box, so the box never cuts the circle.
    widest = max(abs(min_lat), abs(max_lat))
    d_lng = radius_km / (KM_PER_DEGREE * math.cos(math.radians(widest)))
    if d_lng >= 180:
        return min_lat, max_lat, -180.0, 180.0
    # France (overseas included) never straddles the antimeridian; clamping keeps the
    # box a simple BETWEEN filter at the cost of a looser box there.
    return min_lat, max_lat, max(lng - d_lng, -180.0), min(lng + d_lng, 180.0)
