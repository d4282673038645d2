"""Great-circle distances and bounding boxes agree with geopy."""

import math
import random

import pytest
from geopy.distance import great_circle

from directory.geo import bounding_box, distance_miles, plane_reach

POINTS = [
    (30.2672, -97.7431),  # Austin
    (40.7128, -74.0060),  # New York
    (21.3069, -157.8583),  # Honolulu
    (61.2181, -149.9003),  # Anchorage
    (51.8549, -177.0888),  # Adak, Aleutians
    (52.8, 173.2),  # Attu, west of the 180th meridian
    (18.4655, -66.1057),  # San Juan
    (13.4443, 144.7937),  # Hagåtña, Guam
    (-14.2756, -170.7020),  # Pago Pago
]


@pytest.mark.parametrize("a", POINTS)
@pytest.mark.parametrize("b", POINTS)
def test_distance_matches_geopy_great_circle(a, b):
    assert distance_miles(a, b) == pytest.approx(great_circle(a, b).miles, abs=0.01)


def test_distance_to_itself_is_zero():
    assert distance_miles(POINTS[0], POINTS[0]) == 0


def in_box(box, point):
    lat, lng = point
    if not box.min_latitude <= lat <= box.max_latitude:
        return False
    if box.crosses_antimeridian:
        return lng >= box.min_longitude or lng <= box.max_longitude
    return box.min_longitude <= lng <= box.max_longitude


@pytest.mark.parametrize("center", POINTS)
@pytest.mark.parametrize("radius", [10, 25, 50, 100, 250])
def test_every_point_within_the_radius_is_inside_the_bounding_box(center, radius):
    rng = random.Random(f"{center}{radius}")
    for _ in range(300):
        # Points spread around the circle, many of them right at its edge.
        bearing = rng.uniform(0, 360)
        miles = radius * rng.choice([rng.random(), 1.0])
        point = great_circle(miles=miles).destination(center, bearing)
        assert in_box(bounding_box(center, radius), (point.latitude, point.longitude))


def test_box_across_the_180th_meridian_wraps():
    box = bounding_box((51.8, 179.9), 50)
    assert box.crosses_antimeridian
    assert in_box(box, (51.8, -179.6))
    assert in_box(box, (51.8, 179.5))
    assert not in_box(box, (51.8, 0))


def test_box_near_a_pole_spans_every_longitude():
    box = bounding_box((89.9, 10), 25)
    assert (box.min_longitude, box.max_longitude) == (-180, 180)


@pytest.mark.parametrize("center", POINTS)
@pytest.mark.parametrize("radius", [1, 25, 250])
def test_every_point_within_the_radius_is_within_its_reach_in_the_plane(center, radius):
    # The reach a survey's page is checked against (LocationQuerySet.survey): no point
    # within the radius is farther in degrees, as PostgreSQL's point <-> point measures.
    reach = plane_reach(center, radius)
    if bounding_box(center, radius).crosses_antimeridian:
        assert reach is None  # the plane's distances wrap there; see below
        return
    rng = random.Random(f"{center}{radius}")
    for _ in range(300):
        miles = radius * rng.choice([rng.random(), 1.0])
        point = great_circle(miles=miles).destination(center, rng.uniform(0, 360))
        assert math.hypot(point.latitude - center[0], point.longitude - center[1]) <= reach


def test_a_circle_across_the_180th_meridian_has_no_reach_in_the_plane():
    assert plane_reach((51.8, 179.9), 50) is None
    assert plane_reach((51.8, 178.0), 50) is not None
