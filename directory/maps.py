"""The site's own maps, drawn on the server as SVG from directory.atlas: no tiles, no script.

Three maps: the states on the home page, shaded by how many providers each
has; the clinics of a page of search results around the searched point; and
a provider's locations on its profile. Each is built from data the page has
already loaded, so a map adds no query, and numbered like the list it
accompanies (the list stays the way to use the page; the map is a picture of it).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from directory import geo
from directory.atlas import INSETS as ATLAS_INSETS
from directory.atlas import XY, Box, Frame, Inset, atlas, path_data, project
from directory.models import Location
from directory.search import SearchResults

# The viewBox width of a cropped map; its height follows ASPECT (wide per high).
MAP_WIDTH = 480
ASPECT = 4 / 3
MARKER_RADIUS = 12  # in viewBox units: about 10 px on a phone, 15 px on a desktop
# The narrowest box a map shows, in atlas units (about 3 miles each): a single
# clinic is seen among its neighbouring counties.
MIN_CROP_WIDTH = 40.0
# Wider than this (about 750 miles) county lines would crowd the map and
# swell the page: only state lines are drawn.
COUNTY_DETAIL_MAX_WIDTH = 250.0
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

    width: float
    height: float
    land: str  # path data: the counties (or states) in view, filled
    counties: str  # path data: county lines, not along a state line
    states: str  # path data: state lines and coasts
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
            text = f"{low} or more"
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
    inset = inset_for(*place.point)
    if inset is None:
        return None
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
    return clinic_map(spots, extra=[*ring, center], ring=ring, here=center)


def locations_map(locations: Sequence[Location]) -> ClinicMap | None:
    """A provider's sites, numbered as the profile lists them; None if none can be drawn.

    Each marker links to its site in the list (#location-<id>).
    """
    spots = []
    for number, location in enumerate(locations, start=1):
        latitude, longitude = location.latitude, location.longitude
        if latitude is None or longitude is None:
            continue
        point = project(latitude, longitude)
        if point is None:
            continue
        where = f"{location.address1}, {location.city}"
        spot = Place(number, where, f"#location-{location.pk}", latitude, longitude)
        spots.append((spot, point))
    if not spots:
        return None
    return clinic_map(spots)


def inset_for(latitude: float, longitude: float) -> Inset | None:
    """The inset of d3's Albers USA a point falls in, as atlas.project() decides."""
    for inset in ATLAS_INSETS:
        if inset.extent.contains(inset.projection(longitude, latitude)):
            return inset
    return None


def clinic_map(
    spots: Sequence[tuple[Place, XY]],
    extra: Iterable[XY] = (),
    ring: Sequence[XY] = (),
    here: XY | None = None,
) -> ClinicMap:
    """Crop the atlas around the spots (and `extra` points) and draw them as markers."""
    points = [point for _, point in spots] + list(extra)
    around = Box.around(points)
    margin = max(around.width, around.height) * 0.06 + 4
    box = around.grown(margin).with_aspect(ASPECT, min_width=MIN_CROP_WIDTH)
    # Markers are MARKER_RADIUS viewBox units wide whatever the zoom: keep them inside.
    frame = Frame(box, MAP_WIDTH)
    pad = (MARKER_RADIUS * 2.2) / frame.scale
    box = box.grown(pad).with_aspect(ASPECT)
    frame = Frame(box, MAP_WIDTH)
    shapes = atlas()
    if box.width <= COUNTY_DETAIL_MAX_WIDTH:
        land = path_data((r for c in shapes.counties_in(box) for r in c.rings), frame, True)
        arcs = shapes.arcs_in(box)
        counties = path_data((arc.points for arc in arcs if not arc.state_border), frame)
    else:
        states_in = [state for state in shapes.states.values() if state.box.intersects(box)]
        land = path_data((ring for state in states_in for ring in state.rings), frame, True)
        arcs = shapes.arcs_in(box)
        counties = ""
    borders = path_data((arc.points for arc in arcs if arc.state_border), frame)
    return ClinicMap(
        width=MAP_WIDTH,
        height=round(frame.height, 1),
        land=land,
        counties=counties,
        states=borders,
        markers=place_markers([(spot, frame.point(point)) for spot, point in spots]),
        radius=path_data([(*ring, ring[0])], frame, closed=True, step=0.3) if ring else "",
        here=tuple(round(value, 1) for value in frame.point(here)) if here else None,  # type: ignore[arg-type]
    )


def place_markers(spots: Sequence[tuple[Place, XY]]) -> list[Marker]:
    """Markers at their spots; those that would cover one another fan out around it.

    A spot within a marker's width of an earlier group's first spot joins that
    group; a group of several is laid out on a ring around that first spot, in
    list order clockwise from the top, each marker with a line to its true spot.
    """
    groups: list[list[tuple[Place, XY]]] = []
    for spot, point in spots:
        for group in groups:
            anchor = group[0][1]
            if math.dist(anchor, point) < MARKER_RADIUS * 2:
                group.append((spot, point))
                break
        else:
            groups.append([(spot, point)])
    markers = []
    for group in groups:
        anchor = group[0][1]
        count = len(group)
        # Far enough out that neighbours on the ring do not touch.
        ring = MARKER_RADIUS * 1.15 / math.sin(math.pi / count) if count > 1 else 0.0
        for index, (spot, point) in enumerate(group):
            if count > 1:
                angle = 2 * math.pi * index / count
                x, y = anchor[0] + ring * math.sin(angle), anchor[1] - ring * math.cos(angle)
            else:
                x, y = point
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
    return sorted(markers, key=lambda marker: marker.number)
