"""The outlines and their projection: d3.geoAlbersUsa point by point, TopoJSON decoded right."""

import itertools
import math
import random
import re

import pytest
from geopy.distance import great_circle

from directory import atlas
from directory.atlas import Box, Frame, path_data, project
from directory.geo import circle

# What d3-geo 3's geoAlbersUsa().scale(1300).translate([487.5, 305]) gives (us-atlas's
# projection), computed with node once; (longitude, latitude) → [x, y] or null.
D3 = {
    "Austin": ((30.2672, -97.7431), (463.92105944880836, 497.4478883753818)),
    "New York": ((40.7128, -74.006), (869.7187650199265, 215.74052187301095)),
    "Seattle": ((47.6062, -122.3321), (97.6249669465995, 46.31865922997736)),
    "Miami": ((25.7617, -80.1918), (822.7383158297632, 572.5407791128295)),
    "Key West": ((24.5551, -81.78), (794.4058866029709, 604.4524932255463)),
    "Anchorage": ((61.2181, -149.9003), (112.277427569713, 544.2779162203778)),
    "Juneau": ((58.3019, -134.4197), (176.93702274402565, 556.0837861629693)),
    "Nome": ((64.5011, -165.4064), (57.89928322035419, 515.2825453264345)),
    "Honolulu": ((21.3069, -157.8583), (266.95994676863154, 549.1903729395863)),
    "Hilo": ((19.7297, -155.09), (326.1522737544992, 584.6749541795259)),
    "San Juan": ((18.4655, -66.1057), None),
    "London": ((51.5072, -0.1276), None),
}


@pytest.mark.parametrize("name", D3)
def test_projection_matches_d3_geo_albers_usa(name):
    point, expected = D3[name]
    if expected is None:
        assert project(*point) is None
    else:
        assert project(*point) == pytest.approx(expected, abs=1e-9)


def test_the_file_has_the_50_states_and_dc_but_no_territory():
    states = atlas.atlas().states
    assert len(states) == 51
    assert {"DC", "AK", "HI", "TX"} <= states.keys()
    assert not {"PR", "GU", "VI", "AS", "MP"} & states.keys()
    assert states["TX"].name == "Texas"
    assert len(atlas.atlas().counties) == 3142


@pytest.mark.parametrize(
    ("state", "place"),
    [("TX", "Austin"), ("NY", "New York"), ("WA", "Seattle"), ("FL", "Miami"),
     ("AK", "Anchorage"), ("AK", "Juneau"), ("HI", "Honolulu"), ("HI", "Hilo")],
)  # fmt: skip
def test_cities_land_inside_their_state(state, place):
    shape = atlas.atlas().states[state]
    point = project(*D3[place][0])
    assert shape.box.contains(point)
    assert any(inside(point, ring) for ring in shape.rings)


def inside(point, ring):
    """Even-odd point in polygon."""
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def test_the_insets_are_where_d3_draws_them():
    states = atlas.atlas().states
    hawaii, alaska = states["HI"].box, states["AK"].box
    lower48 = Box.around(
        point for code, shape in states.items() if code not in {"AK", "HI"}
        for ring in shape.rings for point in ring
    )  # fmt: skip
    assert atlas.INSETS[atlas.HAWAII].extent.contains((hawaii.x0 + 1, hawaii.y0 + 1))
    assert atlas.INSETS[atlas.ALASKA].extent.contains((alaska.x1 - 1, alaska.y1 - 1))
    assert lower48.x0 > 0
    assert lower48.x1 < atlas.WIDTH
    assert lower48.y1 < atlas.HEIGHT
    assert atlas.inset_index(21.3069, -157.8583) == atlas.HAWAII
    assert atlas.inset_index(61.2181, -149.9003) == atlas.ALASKA
    assert atlas.inset_index(30.2672, -97.7431) == atlas.LOWER_48


def test_arcs_decode_from_deltas_and_rings_join_reversed_arcs():
    topology = {
        "transform": {"scale": [0.5, 2], "translate": [10, 20]},
        "arcs": [[[0, 0], [2, 0], [0, 1]], [[2, 1], [-2, -1]]],
    }
    arcs = atlas.decode_arcs(topology)
    assert arcs == [((10, 20), (11, 20), (11, 22)), ((11, 22), (10, 20))]
    # Consecutive arcs share an end point, given once; ~i is arc i backwards.
    assert atlas.ring_points(arcs, [0, 1]) == ((10, 20), (11, 20), (11, 22), (10, 20))
    assert atlas.ring_points(arcs, [~1, ~0]) == ((10, 20), (11, 22), (11, 20), (10, 20))


def test_county_and_state_arcs_are_told_apart():
    arcs = atlas.atlas().arcs
    borders = [arc for arc in arcs if arc.state_border]
    assert 0 < len(borders) < len(arcs)
    # Every county of Hawaii is drawn in Hawaii's inset, and its arcs too.
    hawaii = [c for c in atlas.atlas().counties if c.code.startswith("15")]
    assert hawaii
    assert {c.inset for c in hawaii} == {atlas.HAWAII}


def test_a_box_finds_only_the_shapes_it_touches():
    austin = project(*D3["Austin"][0])
    box = Box(*austin, *austin).grown(5)
    counties = atlas.atlas().counties_in(box)
    assert "48453" in {county.code for county in counties}  # Travis County, Texas
    assert all(county.code.startswith("48") for county in counties)
    assert [state.code for state in atlas.atlas().states_in(box)] == ["TX"]
    # The Hawaii inset lies in the same plane as California's coast: asking
    # for the lower 48 only leaves Hawaii out.
    honolulu = project(*D3["Honolulu"][0])
    near = Box(*honolulu, *honolulu).grown(150)
    assert "HI" in {s.code for s in atlas.atlas().states_in(near)}
    assert "HI" not in {s.code for s in atlas.atlas().states_in(near, {atlas.LOWER_48})}


def test_the_arc_grid_finds_the_same_arcs_as_testing_every_arc():
    shapes = atlas.atlas()
    rng = random.Random(18)
    boxes = [
        Box(-50, -50, 1100, 700),  # more than the whole plane
        Box(2000, 2000, 2100, 2100),  # off the plane
        Box(*project(*D3["Austin"][0]), *project(*D3["Austin"][0])),  # a point
    ]
    for _ in range(300):
        x, y = rng.uniform(-20, 990), rng.uniform(-20, 625)
        boxes.append(Box(x, y, x + rng.uniform(0, 160), y + rng.uniform(0, 120)))
    for box in boxes:
        for insets in (range(3), {atlas.LOWER_48}, {atlas.HAWAII}):
            every = [a for a in shapes.arcs if a.inset in insets and a.box.intersects(box)]
            assert shapes.arcs_in(box, insets) == every


def test_tenths_rounds_as_round_does_halfway_cases_included():
    rng = random.Random(18)
    values = [0.05, 0.15, 0.25, 0.35, -0.05, -0.25, 2.675, 10.45, -0.04, 0.0, -0.0, 7, -3]
    values += [n / 20 for n in range(-4000, 4000)]  # every halfway tenth and its neighbours
    values += [rng.uniform(-1000, 1000) for _ in range(20_000)]
    values += [round(rng.uniform(-500, 500), 2) for _ in range(20_000)]
    for value in values:
        assert atlas.tenths(value) == round(value, 1), value


def test_path_data_writes_numbers_without_zero_decimals_or_minus_zero():
    assert path_data([((0, 0), (-0.04, 5))]) == "M0 0 l0 5"  # -0.0 across
    assert path_data([((0, 0), (-10, 0.05), (-110, 0.1), (-110.04, 100))]) == (
        "M0 0 l-10 0.1 -100 0 0 99.9"
    )
    # Rounded as round() rounds: 0.35 is a little under halfway, 0.25 exactly halfway.
    assert path_data([((0.25, 0.35), (0.15, 10.45))], closed=True) == "M0.2 0.3 l-0.1 10.1z"


def test_path_data_is_relative_rounded_and_drops_points_too_close_to_see():
    line = ((0.0, 0.0), (10.04, 0.0), (10.1, 0.1), (20.0, 5.56), (20.01, 5.57))
    # (10.1, 0.1) is too close to draw; an open line still ends at its last point.
    assert path_data([line]) == "M0 0 l10 0 10 5.6"
    assert path_data([(*line[:-1], (19.7, 5.3))]) == "M0 0 l10 0 10 5.6 -0.3 -0.3"
    assert path_data([line], closed=True) == "M0 0 l10 0 10 5.6z"
    assert path_data([((1, 1),)]) == ""  # a single point draws nothing


def test_path_data_in_a_frame_scales_and_pulls_far_points_in_without_bending_what_shows():
    frame = Frame(Box(100, 100, 110, 107.5), 400)  # 40 viewBox units per unit
    assert frame.height == 300
    # A line that runs far off to the right and back: the far points fall
    # together on the band's edge, the ones near the frame stay.
    line = ((105, 105), (111, 105), (500, 105), (900, 106), (111, 106))
    d = path_data([line], frame)
    numbers = [float(n) for n in re.findall(r"-?[\d.]+", d)]
    xs = [sum(numbers[0::2][: i + 1]) for i in range(len(numbers) // 2)]
    # (111, 105) is beyond the band but its segment crosses the frame: it stays.
    band = 400 + 400 * atlas.CLAMP_MARGIN
    assert xs == [200, 440, band, band]


def test_a_line_in_pieces_has_every_point_once_and_each_piece_its_box():
    line = tuple((float(n), float(n % 7)) for n in range(100))
    pieces = atlas.chunked(line, 32)
    assert [len(piece.points) for piece in pieces] == [33, 33, 33, 4]
    assert [point for piece in pieces for point in piece.points[1:]] == list(line[1:])
    assert all(piece.box == Box.around(piece.points) for piece in pieces)
    assert atlas.chunked(((1.0, 2.0),)) == (atlas.Chunk(Box(1, 2, 1, 2), ((1.0, 2.0),)),)


def test_near_a_band_a_ring_keeps_every_point_inside_and_leaves_out_pieces_far_outside():
    # Texas, whole, and framed as maps of a few counties frame it.
    [ring] = [max(atlas.atlas().states["TX"].rings, key=len)]
    pieces = atlas.chunked(ring)
    rng = random.Random(18)
    box = Box.around(ring)
    left_out = 0
    for _ in range(200):
        x, y, width = rng.uniform(box.x0, box.x1), rng.uniform(box.y0, box.y1), rng.uniform(5, 150)
        band = Box(x, y, x + width, y + width / 2)
        kept = atlas.near_band(pieces, band)
        assert kept[0] == ring[0]
        assert kept[-1] == ring[-1]
        assert [p for p in kept if band.contains(p)] == [p for p in ring if band.contains(p)]
        # What is left out lies between two kept points, beyond one edge of the band
        # with both of them.
        position = 0
        for point in kept:
            skipped = ring.index(point, position) - position
            if skipped:
                run = Box.around(ring[position - 1 : position + skipped + 1])
                assert run.x1 < band.x0 or run.x0 > band.x1 or run.y1 < band.y0 or run.y0 > band.y1
            left_out += skipped
            position += skipped + 1
    assert left_out > 100 * len(ring)  # most of the ring, for most frames
    # A band far from the ring keeps only the pieces' ends.
    far = atlas.near_band(pieces, Box(2000, 2000, 2100, 2100))
    assert len(far) == len(pieces) + 1


def test_a_radius_ring_is_the_radius_from_its_centre():
    ring = circle((30.2672, -97.7431), 50, steps=36)
    assert len(ring) == 36
    for point in ring:
        assert great_circle((30.2672, -97.7431), point).miles == pytest.approx(50, abs=0.01)
    assert ring[0].latitude > 30.2672
    assert ring[0].longitude == pytest.approx(-97.7431)
    # Projected, it is a closed loop about 50 miles (16 units) across the centre.
    xs = [project(*point)[0] for point in ring]
    assert (max(xs) - min(xs)) == pytest.approx(2 * 50 / 3959 * 1300 * 0.99, rel=0.1)


def test_the_atlas_is_decoded_once_per_process():
    assert atlas.atlas() is atlas.atlas()
    assert math.isclose(atlas.SCALE, 1300)
