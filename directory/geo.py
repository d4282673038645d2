"""Great-circle maths on a spherical Earth: no Django, easy to check against geopy."""

import math
from typing import NamedTuple

from geopy import distance, units

# The mean Earth radius geopy.distance.great_circle uses (6371.009 km, 3958.76 mi),
# so our distances and geopy's agree to the float.
EARTH_RADIUS_MILES: float = units.miles(kilometers=distance.EARTH_RADIUS)


class Point(NamedTuple):
    """A point on the Earth, in degrees."""

    latitude: float
    longitude: float


class BoundingBox(NamedTuple):
    """Latitude and longitude ranges that contain every point within a radius.

    When the circle crosses the 180th meridian, min_longitude > max_longitude:
    the box is the two ranges [min_longitude, 180] and [-180, max_longitude].
    """

    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.min_longitude > self.max_longitude


def distance_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance between two points, in miles (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(center: tuple[float, float], radius_miles: float) -> BoundingBox:
    """Return the smallest latitude/longitude box holding the circle around `center`."""
    lat, lng = center
    angular = radius_miles / EARTH_RADIUS_MILES
    min_lat = lat - math.degrees(angular)
    max_lat = lat + math.degrees(angular)
    if min_lat <= -90 or max_lat >= 90:
        # The circle holds a pole: every longitude is in range.
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span of the circle (not at its centre's latitude).
    delta = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    min_lng, max_lng = lng - delta, lng + delta
    if min_lng < -180:
        min_lng += 360
    if max_lng > 180:
        max_lng -= 360
    return BoundingBox(min_lat, max_lat, min_lng, max_lng)


def plane_reach(center: tuple[float, float], radius_miles: float) -> float | None:
    """How far from `center` a point within `radius_miles` of it can be in the plane of
    its latitude and longitude (degrees, as PostgreSQL's point <-> point measures): the
    half-diagonal of the circle's bounding box. None when the box crosses the 180th
    meridian, where that plane's distances do not follow the Earth's."""
    box = bounding_box(center, radius_miles)
    if box.crosses_antimeridian:
        return None
    lat, lng = center
    return math.hypot(
        max(box.max_latitude - lat, lat - box.min_latitude),
        max(box.max_longitude - lng, lng - box.min_longitude),
    )


def circle(center: tuple[float, float], radius_miles: float, steps: int = 72) -> list[Point]:
    """Return `steps` points `radius_miles` from `center`, clockwise from north.

    Each is the destination along a great circle from `center` at an evenly
    spaced bearing, so the ring is the set of points a radius search reaches.
    """
    lat, lng = map(math.radians, center)
    angular = radius_miles / EARTH_RADIUS_MILES
    points = []
    for step in range(steps):
        bearing = 2 * math.pi * step / steps
        lat2 = math.asin(
            math.sin(lat) * math.cos(angular)
            + math.cos(lat) * math.sin(angular) * math.cos(bearing)
        )
        lng2 = lng + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(lat),
            math.cos(angular) - math.sin(lat) * math.sin(lat2),
        )
        points.append(Point(math.degrees(lat2), (math.degrees(lng2) + 540) % 360 - 180))
    return points
