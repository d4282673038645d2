"""The maps: the state map tag, the results map on /clinics/ and the locations map on profiles."""

import random
import re
from html import unescape

import pytest
from django.template import Context, Template

from directory.atlas import Box, Frame, atlas, path_data
from directory.maps import (
    ASPECT,
    COUNTY_DETAIL_MAX_WIDTH,
    FRAME_STEP,
    GRID,
    MAP_WIDTH,
    county_lines,
    frame_place,
    framed_box,
    outline_step,
    outlines,
)
from directory.models import Location, State
from tests import cast

pytestmark = pytest.mark.django_db

CREDIT = "Outlines: U.S. Census Bureau, via"
LICENCE = "/static/vendor/us-atlas/LICENSE.txt"


def svg_of(html, kind):
    [svg] = re.findall(rf'<svg class="{kind}__svg".*?</svg>', html, re.S)
    return svg


def markers(svg):
    """(number, href, accessible title) of each marker, in the order drawn."""
    return [
        (int(number), href, unescape(title))
        for href, number, title in re.findall(
            r'<a class="clinic-map__marker" href="([^"]+)" tabindex="-1" data-number="(\d+)">'
            r"<title>([^<]*)</title>",
            svg,
        )
    ]


def cards(html):
    """(number, href, name) of each numbered result card, in list order."""
    return [
        (int(number), href, unescape(name))
        for number, href, name in re.findall(
            r'<span class="result__number">(\d+)\.</span> <a href="([^"]+)">([^<]*)</a>', html
        )
    ]


# --- The state map tag -----------------------------------------------------------


def render_state_map(rf):
    request = rf.get("/")
    states = list(State.objects.with_provider_counts())
    context = Context({"request": request, "states": states})
    return Template("{% load maps %}{% state_map states %}").render(context)


def test_state_map_links_only_states_with_providers_and_lists_them(rf):
    cast.austin_clinic()
    cast.round_rock_clinic()
    cast.at_home_service()  # treats patients at home in Texas and Ohio
    cast.make_provider(name="Draft In Wyoming", status="draft", locations=[
        {"address1": "1 A St", "city": "Cheyenne", "state_id": "WY", "zip": "82001"}])  # fmt: skip
    cast.make_provider(name="San Juan Ketamine", serves_states=["PR"])

    html = render_state_map(rf)
    svg = svg_of(html, "state-map")

    linked = dict(re.findall(r'<a href="/clinics/(\w\w)/" tabindex="-1" data-state="(\w\w)"', svg))
    assert linked == {"tx": "TX", "oh": "OH"}
    # Texas counts its two clinics and the at-home service; Ohio the service.
    assert "<title>Texas: 3 providers</title>" in svg
    assert "<title>Ohio: 1 provider</title>" in svg
    assert re.search(r'data-state="TX"><title>[^<]*</title><path class="state-map__state '
                     r'state-map__state--2"', svg)  # fmt: skip
    assert re.search(r'data-state="OH"><title>[^<]*</title><path class="state-map__state '
                     r'state-map__state--1"', svg)  # fmt: skip
    # A state with only a draft, and one with nothing, are shapes and not links.
    assert re.search(r'<path class="state-map__state state-map__state--0" d="[^"]+" '
                     r'data-state="WY"/>', svg)  # fmt: skip
    assert 'data-state="CA"/>' in svg
    assert len(re.findall(r"<path ", svg)) == 51  # the 50 states and DC
    assert 'aria-hidden="true"' in svg.split(">")[0]

    # Puerto Rico has providers but no shape on the map: the home page's list has it.
    assert "/clinics/pr/" not in svg
    assert "1 or more" not in html
    assert "25 or more" in html
    assert CREDIT in html
    assert LICENCE in html


def test_state_map_links_lead_to_state_pages(client, rf):
    cast.austin_clinic()
    cast.at_home_service()
    for href in set(re.findall(r'href="(/clinics/\w\w/)"', render_state_map(rf))):
        assert client.get(href).status_code == 200, href


def test_state_map_takes_no_query_of_its_own(rf, django_assert_num_queries):
    cast.austin_clinic()
    states = list(State.objects.with_provider_counts())
    template = Template("{% load maps %}{% state_map states %}")
    with django_assert_num_queries(0):
        template.render(Context({"request": rf.get("/"), "states": states}))


# --- The results map -------------------------------------------------------------


@pytest.fixture
def austin_area():
    return [cast.austin_clinic(), cast.round_rock_clinic(), cast.at_home_service()]


def test_results_map_numbers_markers_like_the_cards_and_links_the_profiles(client, austin_area):
    html = client.get("/clinics/", {"near": "78701", "radius": "50"}).content.decode()
    svg = svg_of(html, "clinic-map")

    listed = cards(html)
    assert [name for _, _, name in listed] == [
        "Austin Ketamine Clinic", "Round Rock Infusion Center"]  # fmt: skip
    assert markers(svg) == [(n, href, f"{n}. {name}") for n, href, name in listed]
    assert [href for _, href, _ in listed] == [p.get_absolute_url() for p in austin_area[:2]]
    # A picture of the list: hidden from assistive technology, out of the tab order.
    assert 'aria-hidden="true" focusable="false"' in svg.split(">")[0]
    assert svg.count('tabindex="-1"') == svg.count("<a ") == 2
    assert 'class="clinic-map__radius"' in svg
    assert 'class="clinic-map__here"' in svg
    assert "clinic-map__counties" in svg  # zoomed in enough for county lines
    [caption] = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert caption.startswith(
        "Map of the 2 clinics on this page within 50 miles of Austin, TX 78701 (the orange dot;"
    )
    assert CREDIT in caption
    assert LICENCE in caption
    # The map comes before the list it pictures; the at-home service is not on it.
    assert html.index("clinic-map__svg") < html.index('<ol class="results"')
    assert "Lone Star" not in svg


def test_results_map_on_a_later_page_numbers_from_the_first_card_there(client):
    for n in range(22):
        cast.make_provider(name=f"Clinic {n:02}", locations=[{
            "address1": f"{n} Congress Ave", "city": "Austin", "state_id": "TX", "zip": "78701",
            "latitude": 30.27 + n / 1000, "longitude": -97.74}])  # fmt: skip
    html = client.get("/clinics/", {"near": "78701", "page": "2"}).content.decode()
    listed = cards(html)
    assert [n for n, _, _ in listed] == [21, 22]
    assert markers(svg_of(html, "clinic-map")) == [
        (n, href, f"{n}. {name}") for n, href, name in listed
    ]
    assert '<ol class="results" start="21">' in html
    assert "Map of clinics 21 to 22 within 50 miles" in html


def test_markers_at_the_same_spot_are_moved_apart(client):
    spot = {"address1": "1 Same St", "city": "Austin", "state_id": "TX", "zip": "78701",
            "latitude": 30.2672, "longitude": -97.7431}  # fmt: skip
    for name in ("First Clinic", "Second Clinic", "Third Clinic"):
        cast.make_provider(name=name, locations=[spot])
    svg = svg_of(client.get("/clinics/", {"near": "78701"}).content.decode(), "clinic-map")
    centres = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" '
                                                          r'r="15"/>', svg)]  # fmt: skip
    assert len(centres) == 3
    for i, (x1, y1) in enumerate(centres):
        for x2, y2 in centres[i + 1 :]:
            assert (x1 - x2) ** 2 + (y1 - y2) ** 2 >= 30**2  # no marker covers another
    assert svg.count('class="clinic-map__leader"') >= 2  # each moved one points to the spot


@pytest.mark.parametrize(
    "params",
    [{}, {"condition": "depression"}, {"near": "TX"}, {"near": "78701", "condition": "ocd"}],
)
def test_no_results_map_without_a_point_or_without_clinics(client, austin_area, params):
    response = client.get("/clinics/", params)
    html = response.content.decode()
    assert "clinic-map" not in html
    assert CREDIT not in html
    if "Austin Ketamine Clinic" in html:
        assert cards(html) == []  # no numbers on the cards either


def test_state_and_city_pages_have_no_map(client, austin_area):
    for path in ("/clinics/tx/", "/clinics/tx/austin/"):
        html = client.get(path).content.decode()
        assert "Austin Ketamine Clinic" in html
        assert "<svg" not in html


def test_a_point_search_takes_as_many_queries_as_before_the_map(
    client, austin_area, django_assert_num_queries
):
    # The same 3 queries as without the map (the circle's survey, the page's sites and
    # the content version, under which the search before kept the at-home options and
    # the cards' terms): the map only reads the cards.
    client.get("/clinics/", {"near": "78701"})  # the gazetteer's ZIP cache warmed too
    with django_assert_num_queries(3):
        response = client.get("/clinics/", {"near": "78701", "radius": "50"})
    assert "clinic-map__svg" in response.content.decode()


def test_results_map_shows_names_as_text(client):
    cast.make_provider(name='<b>Bold</b> & "Quoted" Clinic', slug="bold", locations=[{
        "address1": "1 A St", "city": "Austin", "state_id": "TX", "zip": "78701",
        "latitude": 30.2672, "longitude": -97.7431}])  # fmt: skip
    svg = svg_of(client.get("/clinics/", {"near": "78701"}).content.decode(), "clinic-map")
    assert "<title>1. &lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Quoted&quot; Clinic</title>" in svg


# --- The profile's map -----------------------------------------------------------


def test_profile_map_numbers_the_locations_like_the_list(client):
    provider = cast.make_provider(name="Two Site Clinic", locations=[
        {"address1": "100 Congress Ave", "city": "Austin", "state_id": "TX", "zip": "78701",
         "latitude": 30.2672, "longitude": -97.7431},
        {"address1": "9 Oak St", "city": "Waco", "state_id": "TX", "zip": "76701"},  # not placed
        {"address1": "1 Main St", "city": "Round Rock", "state_id": "TX", "zip": "78664",
         "latitude": 30.5083, "longitude": -97.6789},
    ])  # fmt: skip
    sites = list(Location.objects.filter(provider=provider).order_by("pk"))
    html = client.get(provider.get_absolute_url()).content.decode()
    svg = svg_of(html, "clinic-map")

    numbered = re.findall(r'<p class="location__number" id="(location-\d+)">(\d+)\.</p>', html)
    assert numbered == [(f"location-{site.pk}", str(n)) for n, site in enumerate(sites, 1)]
    assert markers(svg) == [
        (1, f"#location-{sites[0].pk}", "1. 100 Congress Ave, Austin"),
        (3, f"#location-{sites[2].pk}", "3. 1 Main St, Round Rock"),
    ]
    assert "clinic-map__radius" not in svg
    assert "clinic-map__here" not in svg
    assert "Map of Two Site Clinic’s 2 locations, numbered as in the list of locations" in html
    assert html.index("clinic-map__svg") < html.index('<ol class="locations">')


def test_profile_without_placed_locations_has_no_map(client):
    at_home = cast.at_home_service()
    unplaced = cast.make_provider(name="Unplaced", locations=[
        {"address1": "9 Oak St", "city": "Waco", "state_id": "TX", "zip": "76701"}])  # fmt: skip
    for provider in (at_home, unplaced):
        html = client.get(provider.get_absolute_url()).content.decode()
        assert "<svg" not in html
        assert CREDIT not in html


def test_profile_map_of_sites_far_apart_draws_state_lines_only(client):
    provider = cast.make_provider(name="Coast To Coast", locations=[
        {"address1": "1 A St", "city": "Austin", "state_id": "TX", "zip": "78701",
         "latitude": 30.2672, "longitude": -97.7431},
        {"address1": "2 B St", "city": "New York", "state_id": "NY", "zip": "10001",
         "latitude": 40.7506, "longitude": -73.9972},
    ])  # fmt: skip
    svg = svg_of(client.get(provider.get_absolute_url()).content.decode(), "clinic-map")
    assert [number for number, _, _ in markers(svg)] == [1, 2]
    assert "clinic-map__counties" not in svg
    assert len(svg) < 40_000


def test_a_frame_holds_its_box_and_is_at_most_a_step_and_a_ninth_wider():
    rng = random.Random(18)
    for _ in range(5000):
        x, y, width = rng.uniform(-50, 1000), rng.uniform(-50, 650), rng.uniform(1, 900)
        box = Box(x, y, x + width, y + width / ASPECT)
        frame = framed_box(frame_place(box))
        assert frame.union(box) == frame  # holds it
        assert frame.width <= max(box.width * GRID / (GRID - 1), 40) * FRAME_STEP * (1 + 1e-9)
        assert frame.width / frame.height == pytest.approx(ASPECT)


def test_boxes_a_little_apart_share_a_frame():
    # Two searches from neighbouring ZIP codes: the same frame, so the same outlines.
    first = Box(500.0, 300.0, 560.0, 345.0)
    second = Box(500.4, 300.3, 560.4, 345.3)
    assert frame_place(first) == frame_place(second)


def lines_of(data):
    """Path data's lines as absolute points, one list per move."""
    lines = []
    for part in re.findall(r"M[^M]*", data):
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", part)]
        x, y = numbers[0], numbers[1]
        points = [(x, y)]
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        lines.append(points)
    return lines


def test_a_frames_corner_lies_on_whole_tenths_at_its_rungs_scale():
    rng = random.Random(18)
    for _ in range(2000):
        x, y, width = rng.uniform(0, 975), rng.uniform(0, 610), rng.uniform(1, 900)
        box = framed_box(frame_place(Box(x, y, x + width, y + width / ASPECT)))
        scale = MAP_WIDTH / box.width
        for corner in (box.x0 * scale, box.y0 * scale):
            assert corner == pytest.approx(round(corner), abs=1e-6)


def test_county_lines_drawn_once_a_rung_are_the_frames_own_county_lines():
    # Each county line is drawn once for its rung and placed in every frame by its first
    # point: it is where drawing it in the frame puts it, to the tenth, and a frame
    # draws the same lines, whole where the frame's own drawing pulls far points in.
    rng = random.Random(18)
    shapes = atlas()
    frames = checked = 0
    while frames < 40:
        x, y, width = rng.uniform(100, 900), rng.uniform(50, 500), rng.uniform(10, 120)
        place = frame_place(Box(x, y, x + width, y + width / ASPECT))
        box = framed_box(place)
        if box.width > COUNTY_DETAIL_MAX_WIDTH:
            continue
        frames += 1
        frame = Frame(box, MAP_WIDTH)
        arcs = [arc for arc in shapes.arcs_in(box, {0}) if not arc.state_border]
        step = outline_step(frame.scale)
        drawn = county_lines(place, frozenset({0}))
        assert drawn == county_lines(place, frozenset({0}))
        placed = lines_of(drawn)
        assert len(placed) == len(lines_of(path_data([a.points for a in arcs], frame, step=step)))
        # The lines the frame's drawing leaves whole, point for point.
        whole = [
            lines_of(data)[0]
            for arc in arcs
            if all(box.contains(point) for point in arc.points)
            and (data := path_data([arc.points], frame, step=step))
        ]
        checked += len(whole)
        for line in whole:
            assert any(
                len(other) == len(line)
                and all(
                    abs(a - b) < 0.11
                    for point, near in zip(line, other, strict=True)
                    for a, b in zip(point, near, strict=True)
                )
                for other in placed
            ), line
    assert checked > 1000


def winding(rings, x, y):
    """The winding number of closed rings around (x, y)."""
    number = 0
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if y0 <= y < y1 and (x1 - x0) * (y - y0) - (x - x0) * (y1 - y0) > 0:
                number += 1
            elif y1 <= y < y0 and (x1 - x0) * (y - y0) - (x - x0) * (y1 - y0) < 0:
                number -= 1
    return number


def test_a_frames_land_covers_what_it_covered_with_every_far_point_pulled_in():
    rng = random.Random(18)
    shapes = atlas()
    for _ in range(12):
        x, y, width = rng.uniform(150, 850), rng.uniform(100, 450), rng.uniform(10, 300)
        place = frame_place(Box(x, y, x + width, y + width / ASPECT))
        box = framed_box(place)
        frame = Frame(box, MAP_WIDTH)
        states = shapes.states_in(box, {0})
        rings = [ring for state in states for ring in state.rings]
        every = lines_of(path_data(rings, frame, closed=True, step=outline_step(frame.scale)))
        land, _ = outlines(place, frozenset({0}))
        drawn = lines_of(land)  # without the islands far outside, which draw nothing
        assert len(land) < len(path_data(rings, frame, closed=True, step=outline_step(frame.scale)))
        for _ in range(300):
            x, y = rng.uniform(0, MAP_WIDTH), rng.uniform(0, frame.height)
            assert winding(drawn, x, y) == winding(every, x, y), (place, x, y)
