"""The site's own maps, drawn on the server as SVG from directory.atlas: no tiles, no script.

Three maps: the states on the home page, shaded by how many providers each
has; the clinics of a page of search results around the searched point; and
a provider's locations on its profile. Each is built from data the page has
already loaded, so a map adds no query, and numbered like the list it
accompanies (the list stays the way to use the page; the map is a picture of it).
"""

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from directory import geo
from directory.atlas import (
    CLAMP_MARGIN,
    INSETS,
    XY,
    Box,
    Chunk,
    Frame,
    LineSteps,
    atlas,
    chunked,
    inset_index,
    line_steps,
    near_band,
    path_data,
    placed_steps,
)
from directory.models import Location
from directory.search import SearchResults

# The viewBox width of a cropped map; its height follows ASPECT (wide per high).
MAP_WIDTH = 400
ASPECT = 4 / 3
MARKER_RADIUS = 15  # viewBox units: 27 px wide on a 390 px phone, past the 24 px of WCAG 2.5.8
# The narrowest box a map shows, in atlas units (about 3 miles each): a single
# clinic is seen among its neighbouring counties.
MIN_CROP_WIDTH = 40.0
# Wider than this (about 450 miles: a search within 100 miles fits) county
# lines would crowd the map and swell the page: only state lines are drawn.
COUNTY_DETAIL_MAX_WIDTH = 150.0
# The shortest step drawn, in atlas units (about 5 miles), once a map is zoomed out.
ZOOMED_OUT_STEP = 1.5
# At most this many passes of pushing overlapping markers apart.
LAYOUT_PASSES = 60
# A state's shading class by its number of providers: the first bound it is
# under, counted from 1 (the legend shows the same ranges).
SHADE_BOUNDS = (2, 5, 10, 25)


@dataclass(frozen=True)
class Marker:
    """A numbered clinic marker; drawn at (x, y), pointing at the site's true spot."""

    number: int
    name: str
    url: str
    x: float
    y: float
    spot_x: float
    spot_y: float

    @property
    def moved(self) -> bool:
        """Moved aside so as not to cover a marker at the same spot."""
        return (self.x, self.y) != (self.spot_x, self.spot_y)

    @property
    def label(self) -> str:
        return f"{self.number}. {self.name}"


@dataclass(frozen=True)
class ClinicMap:
    """A cropped map: outlines, perhaps a searched point and radius, numbered markers."""

    width: int
    height: int
    land: str  # path data: the states in view, filled and then outlined
    counties: str  # path data: county lines, not along a state line; "" zoomed out
    markers: list[Marker]
    radius: str = ""  # path data: the searched radius
    here: XY | None = None  # the searched point

    @property
    def marker_radius(self) -> int:
        return MARKER_RADIUS


@dataclass(frozen=True)
class StateArea:
    code: str
    name: str
    path: str
    providers: int  # 0: none yet, and no link
    shade: int  # 0 for none, 1 to len(SHADE_BOUNDS) + 1 by how many


@dataclass(frozen=True)
class Place:
    """Something to mark on a map: its number in the list, what it is, where it is."""

    number: int
    name: str
    url: str
    latitude: float
    longitude: float


def shade(providers: int) -> int:
    if providers <= 0:
        return 0
    return 1 + sum(providers >= bound for bound in SHADE_BOUNDS)


def shade_ranges() -> list[tuple[int, str]]:
    """The legend: (shade, "2 to 4" in figures) for each class."""
    lows = (1, *SHADE_BOUNDS)
    ranges = []
    for index, low in enumerate(lows):
        high = lows[index + 1] - 1 if index + 1 < len(lows) else None
        if high is None:
            text = gettext("%(number)s or more") % {"number": low}
        elif high == low:
            text = str(low)
        else:
            text = f"{low}–{high}"
        ranges.append((index + 1, text))
    return ranges


def state_areas(counts: Mapping[str, int]) -> list[StateArea]:
    """Every state with a shape, shaded by its number of providers (by USPS code)."""
    shapes = atlas().states
    return [
        StateArea(
            code,
            shape.name,
            state_path(code),
            counts.get(code, 0),
            shade(counts.get(code, 0)),
        )
        for code, shape in sorted(shapes.items(), key=lambda item: item[1].name)
    ]


_STATE_PATHS: dict[str, str] = {}


def state_path(code: str) -> str:
    """A state's outline in the full 975 by 610 plane, drawn once per process."""
    if code not in _STATE_PATHS:
        _STATE_PATHS[code] = path_data(atlas().states[code].rings, closed=True, step=1.0)
    return _STATE_PATHS[code]


def results_map(results: SearchResults) -> ClinicMap | None:
    """The page's clinics around the searched point, numbered like the list; None without one.

    Everything is projected with the searched point's inset (the lower 48,
    Alaska or Hawaii) so the radius stays a closed ring near an inset's edge.
    A search outside the insets (Puerto Rico, Guam) gets no map.
    """
    place = results.place
    if place is None or place.point is None or not results.clinics:
        return None
    index = inset_index(*place.point)
    if index is None:
        return None
    inset = INSETS[index]
    start = results.page.start_index()
    places = [
        Place(
            start + index,
            card.provider.name,
            card.provider.get_absolute_url(),
            card.site.latitude,
            card.site.longitude,
        )
        for index, card in enumerate(results.clinics)
        if card.site is not None
        and card.site.latitude is not None
        and card.site.longitude is not None
    ]
    center = inset.projection(place.point[1], place.point[0])
    ring = [
        inset.projection(point.longitude, point.latitude)
        for point in geo.circle(place.point, results.radius)
    ]
    spots = [(spot, inset.projection(spot.longitude, spot.latitude)) for spot in places]
    return clinic_map(spots, {index}, extra=[*ring, center], ring=ring, here=center)


def locations_map(locations: Sequence[Location]) -> ClinicMap | None:
    """A provider's sites, numbered as the profile lists them; None if none can be drawn.

    Each marker links to its site in the list (#location-<id>).
    """
    spots = []
    insets = set()
    for number, location in enumerate(locations, start=1):
        latitude, longitude = location.latitude, location.longitude
        if latitude is None or longitude is None:
            continue
        index = inset_index(latitude, longitude)
        if index is None:
            continue
        where = f"{location.address1}, {location.city}"
        spot = Place(number, where, f"#location-{location.pk}", latitude, longitude)
        spots.append((spot, INSETS[index].projection(longitude, latitude)))
        insets.add(index)
    if not spots:
        return None
    return clinic_map(spots, insets)


def clinic_map(
    spots: Sequence[tuple[Place, XY]],
    insets: Collection[int],
    extra: Iterable[XY] = (),
    ring: Sequence[XY] = (),
    here: XY | None = None,
) -> ClinicMap:
    """Crop the atlas around the spots (and `extra` points) and draw them as markers.

    Only the outlines of `insets` (of atlas.INSETS) are drawn: a map of Hawaii
    shows no piece of California's coast, though the plane has it close by.
    """
    points = [point for _, point in spots] + list(extra)
    around = Box.around(points)
    margin = max(around.width, around.height) * 0.06 + 4
    box = around.grown(margin).with_aspect(ASPECT, min_width=MIN_CROP_WIDTH)
    # Markers are MARKER_RADIUS viewBox units wide whatever the zoom: keep them inside.
    pad = (MARKER_RADIUS * 2.2) / Frame(box, MAP_WIDTH).scale
    place = frame_place(box.grown(pad).with_aspect(ASPECT))
    frame = Frame(framed_box(place), MAP_WIDTH)
    land, counties = outlines(place, frozenset(insets))
    return ClinicMap(
        width=MAP_WIDTH,
        height=round(frame.height),
        land=land,
        counties=counties,
        markers=place_markers(
            [(spot, frame.point(point)) for spot, point in spots], frame.width, frame.height
        ),
        radius=path_data([(*ring, ring[0])], frame, closed=True, step=0.3) if ring else "",
        here=tuple(round(value, 1) for value in frame.point(here)) if here else None,  # type: ignore[arg-type]
    )


# Maps are framed on a ladder of widths, each FRAME_STEP times the last, with
# their centres on a grid of a tenth of the frame: searches from nearby places
# share a frame, and its outlines are drawn once per process (outlines()), where
# drawing them took about 3 ms a map. A frame shows up to a third more around
# its points than the tightest box would.
FRAME_STEP = 2 ** (1 / 4)
GRID = 10  # grid cells across a frame, and down it
FramePlace = tuple[int, int, int]  # (rung of the ladder, column, row of the grid)


def frame_place(box: Box) -> FramePlace:
    """The smallest frame on the ladder and grid that holds `box` (ASPECT wide per high)."""
    # Snapping the centre moves it by up to half a cell: a frame 10/9 the width of
    # the box holds it wherever the centre lands.
    needed = box.width * GRID / (GRID - 1)
    rung = max(0, math.ceil(math.log(needed / MIN_CROP_WIDTH, FRAME_STEP) - 1e-9))
    width = frame_width(rung)
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return rung, round(cx / (width / GRID)), round(cy / (width / ASPECT / GRID))


def frame_width(rung: int) -> float:
    return MIN_CROP_WIDTH * FRAME_STEP**rung


def framed_box(place: FramePlace) -> Box:
    rung, column, row = place
    width = frame_width(rung)
    height = width / ASPECT
    cx, cy = column * width / GRID, row * height / GRID
    return Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


@lru_cache(maxsize=256)
def outlines(place: FramePlace, insets: frozenset[int]) -> tuple[str, str]:
    """The path data of a frame's land (the states in view) and county lines, of the
    outlines of `insets` only; kept per process (a few tens of KB each)."""
    box = framed_box(place)
    frame = Frame(box, MAP_WIDTH)
    shapes = atlas()
    step = outline_step(frame.scale)
    counties = ""
    if box.width <= COUNTY_DETAIL_MAX_WIDTH:
        counties = county_lines(place, insets)
    # The states in view, once: filled as the land, and stroked again (a <use>
    # of the same path) as the state lines and coasts above the county lines. The
    # pieces of their rings far outside the frame are left out (near_band()): a
    # frame new to the process draws its land in about half the time it took to
    # pull every far point in, and in 3.6 KB rather than 5.4 (over the frames of
    # 1,000 searches of the mix).
    band = box.grown(box.width * CLAMP_MARGIN)
    states = shapes.states_in(box, insets)
    rings = (near_band(pieces, band) for state in states for pieces in rings_of(state.code))
    land = path_data(rings, frame, closed=True, step=step)
    # Only numbers and path commands: safe, so that a page need not escape tens of KB.
    return mark_safe(land), mark_safe(counties)  # noqa: S308


@cache
def rings_of(state: str) -> tuple[tuple[Chunk, ...], ...]:
    """A state's rings in pieces (atlas.chunked()), once per process."""
    return tuple(chunked(ring) for ring in atlas().states[state].rings)


def outline_step(scale: float) -> float:
    """The shortest step path_data() draws of the outlines in a frame of this scale.

    Zoomed out, the outlines' detail is finer than the map shows: leave out more of
    it (a map of several states shrinks by a third).
    """
    return max(0.5, ZOOMED_OUT_STEP / scale)


def county_lines(place: FramePlace, insets: frozenset[int]) -> str:
    """The path data of a frame's county lines (not along a state line), of `insets`.

    Each line is drawn once per process and rung (county_line()) and placed in the
    frame by its first point: a frame's corner lies on whole tenths at its rung's
    scale (its grid's cells are MAP_WIDTH / GRID and MAP_WIDTH / ASPECT / GRID
    across). A frame new to the process took about 2.5 ms to draw its county lines,
    and now about 1 ms, less as the process draws more of them. Unlike the land's
    outlines, the lines are not cut at the frame's edge: each is a short piece of a
    county's outline, and drawn whole it costs about as many bytes (6.8 KB a frame
    against 7.0 KB, over the frames of 1,000 searches of the mix).
    """
    rung = place[0]
    box = framed_box(place)
    scale = MAP_WIDTH / frame_width(rung)
    left, top = round(box.x0 * scale), round(box.y0 * scale)
    drawn = (county_line(rung, index) for index in atlas().arc_indexes_in(box, insets))
    return "".join(placed_steps(line, left, top) for line in drawn if line)


# Bounded by the atlas: every county line on every rung that draws them, about 12 MB.
@cache
def county_line(rung: int, index: int) -> LineSteps | None:
    """The atlas's arc `index` drawn at the scale of the frames of `rung`; None along a
    state line (drawn with the land), or when it is too short to draw."""
    arc = atlas().arcs[index]
    if arc.state_border:
        return None
    scale = MAP_WIDTH / frame_width(rung)
    return line_steps([(x * scale, y * scale) for x, y in arc.points], outline_step(scale))


def spread_out(points: Sequence[XY], gap: float) -> list[list[float]]:
    """Where the layout starts: markers at the very same spot (a building's practices,
    a ZIP code's centre) laid out on a sunflower's spiral around it, about `gap` apart,
    rather than pushed apart from one point a pass at a time (twenty passes a map)."""
    shared = Counter(points)
    seen: Counter[XY] = Counter()
    at = []
    for x, y in points:
        if shared[(x, y)] > 1:
            # The n-th marker at this spot; none stays on it (a marker drawn on its spot
            # is drawn there exactly, which would cover the others).
            n = seen[(x, y)]
            seen[(x, y)] += 1
            r, angle = SPIRAL_STEP * gap * math.sqrt(n + 0.5), n * GOLDEN_ANGLE
            x, y = x + r * math.cos(angle), y + r * math.sin(angle)
        at.append([x, y])
    return at


# A sunflower's spiral: the n-th point at n golden angles round, SPIRAL_STEP * gap * √n
# out, lies about a gap from its nearest neighbours.
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
SPIRAL_STEP = 0.6


def place_markers(spots: Sequence[tuple[Place, XY]], width: float, height: float) -> list[Marker]:
    """Markers at their spots, nudged apart until none covers another, inside the frame.

    Overlapping pairs are pushed apart along the line between them (markers at
    the very same spot, along a fixed spread of directions), a few passes
    until nothing overlaps; a marker moved off its spot gets a line back to it.
    Deterministic: the same page always draws the same map.
    """
    gap = MARKER_RADIUS * 2 + 1
    settled = MARKER_RADIUS * 2 + 0.5  # a pair this far apart covers nothing, rounded too
    low, high_x, high_y = MARKER_RADIUS + 1, width - MARKER_RADIUS - 1, height - MARKER_RADIUS - 1
    at = spread_out([point for _, point in spots], gap)
    for index, xy in enumerate(at):
        xy.append(index)  # [x, y, its place in `spots`], moved in place
    for _ in range(LAYOUT_PASSES):
        moved = False
        # Left to right, so that the markers that may overlap one come right after it.
        order = sorted(at, key=itemgetter(0))
        for position, a in enumerate(order):
            for b in order[position + 1 :]:
                dx = b[0] - a[0]
                if dx >= gap:
                    break  # this one and every one after it are too far right to overlap
                dy = b[1] - a[1]
                if dy >= gap or dy <= -gap:
                    continue
                distance = math.hypot(dx, dy)
                if distance >= gap:
                    continue
                if distance < 0.01:  # the same spot: spread by the golden angle
                    dx, dy, distance = math.cos(b[2] * 2.4), math.sin(b[2] * 2.4), 1.0
                push = (gap - distance) / 2 + 0.01
                ux, uy = dx / distance * push, dy / distance * push
                a[0], a[1] = a[0] - ux, a[1] - uy
                b[0], b[1] = b[0] + ux, b[1] + uy
                # Pushed to a gap apart; another pass only if they still covered each other.
                moved = moved or distance < settled
        for xy in at:
            x, y = xy[0], xy[1]
            xy[0] = low if x < low else high_x if x > high_x else x
            xy[1] = low if y < low else high_y if y > high_y else y
        if not moved:
            break
    markers = []
    for (spot, point), pushed in zip(spots, at, strict=True):
        # Close enough to its spot: drawn on it, with no line.
        x, y = point if math.dist(point, pushed[:2]) < MARKER_RADIUS * 0.6 else pushed[:2]
        markers.append(
            Marker(
                spot.number,
                spot.name,
                spot.url,
                round(x, 1),
                round(y, 1),
                round(point[0], 1),
                round(point[1], 1),
            )
        )
    return markers
