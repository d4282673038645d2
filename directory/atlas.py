"""U.S. state and county outlines, and the projection they are drawn in: no Django.

The outlines are the U.S. Census Bureau's cartographic boundaries (2017) as
the us-atlas package (ISC licence) ships them in static/vendor/us-atlas/:
TopoJSON already projected with d3.geoAlbersUsa().scale(1300).translate([487.5, 305])
into a 975 by 610 plane, Alaska and Hawaii as insets. project() is that same
projection, so a clinic's latitude and longitude land on the outlines. The
file is read and decoded once per process (about a fifth of a second); a map
then only picks the arcs and shapes inside its box.
"""

import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, reduce
from itertools import product
from pathlib import Path
from typing import NamedTuple

ATLAS_FILE = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "vendor"
    / "us-atlas"
    / "counties-albers-10m.json"
)
# The plane us-atlas projects into.
WIDTH, HEIGHT = 975, 610
SCALE, TRANSLATE = 1300.0, (487.5, 305.0)

# Two-digit state FIPS codes → USPS codes. us-atlas draws the 50 states and DC;
# Puerto Rico and the other territories are outside Albers USA and have no shape.
STATE_FIPS = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY", "60": "AS", "66": "GU", "69": "MP", "72": "PR", "78": "VI",
}  # fmt: skip

XY = tuple[float, float]
Line = tuple[XY, ...]


# --- The projection: d3-geo's geoAlbersUsa, point by point -------------------


class ConicEqualArea:
    """d3.geoConicEqualArea() with parallels, rotation, centre, scale and translation."""

    def __init__(
        self,
        parallels: tuple[float, float],
        rotate: float,
        center: tuple[float, float],
        scale: float,
        translate: XY,
    ):
        y0, y1 = map(math.radians, parallels)
        sy0 = math.sin(y0)
        self.n = (sy0 + math.sin(y1)) / 2
        self.c = 1 + sy0 * (2 * self.n - sy0)
        self.r0 = math.sqrt(self.c) / self.n
        self.rotate = math.radians(rotate)
        self.k = scale
        # d3 moves the projected centre (given in rotated coordinates) to `translate`.
        cx, cy = self.raw(math.radians(center[0]), math.radians(center[1]))
        self.dx = translate[0] - scale * cx
        self.dy = translate[1] + scale * cy

    def raw(self, x: float, y: float) -> XY:
        r = math.sqrt(max(0.0, self.c - 2 * self.n * math.sin(y))) / self.n
        x *= self.n
        return r * math.sin(x), self.r0 - r * math.cos(x)

    def __call__(self, lng: float, lat: float) -> XY:
        lam = math.radians(lng) + self.rotate
        if lam > math.pi:
            lam -= 2 * math.pi
        elif lam < -math.pi:
            lam += 2 * math.pi
        x, y = self.raw(lam, math.radians(lat))
        return self.dx + self.k * x, self.dy - self.k * y


class Box(NamedTuple):
    """A rectangle of the plane: x0 ≤ x ≤ x1, y0 ≤ y ≤ y1 (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, points: Iterable[XY]) -> "Box":
        xs, ys = zip(*points, strict=True)
        return cls(min(xs), min(ys), max(xs), max(ys))

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def contains(self, point: XY) -> bool:
        return self.x0 <= point[0] <= self.x1 and self.y0 <= point[1] <= self.y1

    def intersects(self, other: "Box") -> bool:
        return (
            self.x0 <= other.x1
            and other.x0 <= self.x1
            and self.y0 <= other.y1
            and other.y0 <= self.y1
        )

    def union(self, other: "Box") -> "Box":
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def grown(self, margin: float) -> "Box":
        return Box(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    def with_aspect(self, aspect: float, min_width: float = 0.0) -> "Box":
        """The box around this one's centre, at least min_width wide, `aspect` wide per high."""
        width = max(self.width, self.height * aspect, min_width)
        height = width / aspect
        cx, cy = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        return Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


EPSILON = 1e-6


@dataclass(frozen=True)
class Inset:
    projection: ConicEqualArea
    extent: Box


def albers_usa_insets(scale: float = SCALE, translate: XY = TRANSLATE) -> tuple[Inset, ...]:
    """The three projections of d3.geoAlbersUsa and the extents they clip to, in its order."""
    x, y, k = translate[0], translate[1], scale
    lower48 = ConicEqualArea((29.5, 45.5), 96, (-0.6, 38.7), k, translate)
    alaska = ConicEqualArea((55, 65), 154, (-2, 58.5), k * 0.35, (x - 0.307 * k, y + 0.201 * k))
    hawaii = ConicEqualArea((8, 18), 157, (-3, 19.9), k, (x - 0.205 * k, y + 0.212 * k))
    e = EPSILON
    return (
        Inset(lower48, Box(x - 0.455 * k, y - 0.238 * k, x + 0.455 * k, y + 0.238 * k)),
        Inset(
            alaska,
            Box(x - 0.425 * k + e, y + 0.120 * k + e, x - 0.214 * k - e, y + 0.234 * k - e),
        ),
        Inset(
            hawaii,
            Box(x - 0.214 * k + e, y + 0.166 * k + e, x - 0.115 * k - e, y + 0.234 * k - e),
        ),
    )


INSETS = albers_usa_insets()
LOWER_48, ALASKA, HAWAII = range(3)  # indexes into INSETS


def inset_of_state(code: str) -> int:
    return {"AK": ALASKA, "HI": HAWAII}.get(code, LOWER_48)


def inset_index(latitude: float, longitude: float) -> int | None:
    """Which of INSETS draws a point, as d3.geoAlbersUsa decides; None for none of them.

    The lower 48's projection if the point falls inside its extent, else
    Alaska's inset, else Hawaii's.
    """
    for index, inset in enumerate(INSETS):
        if inset.extent.contains(inset.projection(longitude, latitude)):
            return index
    return None


def project(latitude: float, longitude: float) -> XY | None:
    """Where a point lands in us-atlas's plane, or None outside the 50 states' insets."""
    index = inset_index(latitude, longitude)
    return None if index is None else INSETS[index].projection(longitude, latitude)


# --- The outlines --------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A state or county: its rings (closed lines) and the box around them."""

    code: str  # a state's USPS code, a county's five-digit FIPS code
    name: str
    rings: tuple[Line, ...]
    box: Box
    inset: int  # which of INSETS it is drawn in


@dataclass(frozen=True)
class Arc:
    """A line shared by neighbouring shapes, drawn once."""

    points: Line
    box: Box
    state_border: bool  # part of a state's outline (or the coast), not only a county's
    inset: int  # which of INSETS it is drawn in


# The side of BoxGrid's cells for the arcs, in atlas units: a map's box covers
# a few dozen cells, an arc's box one to a few.
ARC_GRID_CELL = 20.0


class BoxGrid:
    """Boxes filed under the cells of a square grid that they touch, to find the few near a box.

    Boxes that meet share a point, and that point's cell is among the cells of
    both: the boxes filed under a box's cells include every box it meets.
    """

    def __init__(self, boxes: Sequence[Box], cell: float):
        self.cell = cell
        self.extent = reduce(Box.union, boxes)
        self.cells: dict[tuple[int, int], list[int]] = {}
        for index, box in enumerate(boxes):
            for key in product(self.span(box.x0, box.x1), self.span(box.y0, box.y1)):
                self.cells.setdefault(key, []).append(index)

    def span(self, low: float, high: float) -> range:
        return range(math.floor(low / self.cell), math.floor(high / self.cell) + 1)

    def near(self, box: Box) -> list[int]:
        """The indexes, ascending, of the boxes filed under the cells `box` touches.

        Every box that meets `box` is among them, and a few that only come near.
        """
        if not box.intersects(self.extent):
            return []
        # No box lies outside the extent: a huge box looks only at the cells inside it.
        x0, y0 = max(box.x0, self.extent.x0), max(box.y0, self.extent.y0)
        x1, y1 = min(box.x1, self.extent.x1), min(box.y1, self.extent.y1)
        found: set[int] = set()
        for key in product(self.span(x0, x1), self.span(y0, y1)):
            found.update(self.cells.get(key, ()))
        return sorted(found)


@dataclass(frozen=True)
class Atlas:
    states: dict[str, Shape]  # by USPS code
    counties: tuple[Shape, ...]
    arcs: tuple[Arc, ...]
    arc_grid: BoxGrid  # the arcs' boxes, filed by where they lie

    # A box near an inset's edge also holds the edge of its neighbour (Hawaii
    # sits by California's coast): `insets` keeps only the insets wanted.
    def counties_in(self, box: Box, insets: Collection[int] = range(3)) -> list[Shape]:
        return [c for c in self.counties if c.inset in insets and c.box.intersects(box)]

    def states_in(self, box: Box, insets: Collection[int] = range(3)) -> list[Shape]:
        return [s for s in self.states.values() if s.inset in insets and s.box.intersects(box)]

    def arcs_in(self, box: Box, insets: Collection[int] = range(3)) -> list[Arc]:
        return [self.arcs[index] for index in self.arc_indexes_in(box, insets)]

    def arc_indexes_in(self, box: Box, insets: Collection[int] = range(3)) -> list[int]:
        """The indexes, ascending, of the arcs of `insets` whose box meets `box`."""
        # A map's box meets a few hundred of the 9,300 arcs: test only those filed near it
        # (as Box.intersects does, without a call for each).
        x0, y0, x1, y1 = box
        found = []
        for index in self.arc_grid.near(box):
            arc = self.arcs[index]
            ax0, ay0, ax1, ay1 = arc.box
            if ax0 <= x1 and x0 <= ax1 and ay0 <= y1 and y0 <= ay1 and arc.inset in insets:
                found.append(index)
        return found


def decode_arcs(topology: dict) -> list[Line]:
    """The topology's arcs as absolute coordinates (they are quantized and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    lines = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        lines.append(tuple(points))
    return lines


def ring_points(arcs: Sequence[Line], indexes: Sequence[int]) -> Line:
    """A ring from its arcs; ~i is arc i backwards; consecutive arcs share an end point."""
    points: list[XY] = []
    for index in indexes:
        line = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(line[1:] if points else line)
    return tuple(points)


def geometry_rings(geometry: dict) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return geometry["arcs"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["arcs"] for ring in polygon]
    return []


def shape(arcs: Sequence[Line], geometry: dict, code: str, state: str) -> Shape:
    rings = tuple(ring_points(arcs, ring) for ring in geometry_rings(geometry))
    box = Box.around(point for ring in rings for point in ring)
    name = geometry.get("properties", {}).get("name", "")
    return Shape(code, name, rings, box, inset_of_state(state))


@cache
def atlas() -> Atlas:
    """The decoded outlines, built once per process."""
    topology = json.loads(ATLAS_FILE.read_text())
    arcs = decode_arcs(topology)
    states = {}
    border_arcs: set[int] = set()
    for geometry in topology["objects"]["states"]["geometries"]:
        code = STATE_FIPS[geometry["id"]]
        states[code] = shape(arcs, geometry, code, code)
        for ring in geometry_rings(geometry):
            border_arcs.update(index if index >= 0 else ~index for index in ring)
    counties = []
    arc_insets: dict[int, int] = {}
    for geometry in topology["objects"]["counties"]["geometries"]:
        state = STATE_FIPS[geometry["id"][:2]]
        counties.append(shape(arcs, geometry, geometry["id"], state))
        for ring in geometry_rings(geometry):
            for index in ring:
                arc_insets[index if index >= 0 else ~index] = inset_of_state(state)
    drawn = tuple(
        Arc(line, Box.around(line), index in border_arcs, arc_insets.get(index, LOWER_48))
        for index, line in enumerate(arcs)
    )
    return Atlas(
        states=states,
        counties=tuple(counties),
        arcs=drawn,
        arc_grid=BoxGrid([arc.box for arc in drawn], ARC_GRID_CELL),
    )


# --- Drawing -------------------------------------------------------------------


# The band around a frame that path_data() pulls far-off points into, as a
# share of the frame's width.
CLAMP_MARGIN = 0.05


class Frame(NamedTuple):
    """Maps a box of the plane onto an SVG viewBox `0 0 width height`."""

    box: Box
    width: float

    @property
    def scale(self) -> float:
        return self.width / self.box.width

    @property
    def height(self) -> float:
        return self.box.height * self.scale

    def point(self, point: XY) -> XY:
        k = self.scale
        return (point[0] - self.box.x0) * k, (point[1] - self.box.y0) * k


def path_data(
    lines: Iterable[Sequence[XY]],
    frame: Frame | None = None,
    closed: bool = False,
    step: float = 0.5,
) -> str:
    """SVG path data for `lines`, in tenths of a unit, skipping points too close to draw.

    Each line starts with an absolute move and continues with relative steps
    between the rounded points (so no rounding error builds up); a point less
    than `step` units (across plus down) from the last one drawn is left out:
    at the size the map is shown, the screen could not show it.
    With a frame, a point well outside it whose segments on both sides stay
    outside it (beyond the same edge) is pulled in to a band around the frame,
    where such points fall together and are left out too: a county reaching
    far beyond the map costs only the part that shows, and what shows is
    unchanged (the moved segments run along the band, outside the frame).
    """
    points_of: Callable[[Sequence[XY]], Iterable[XY]] = (
        iter if frame is None else frame_points(frame)
    )
    end = "z" if closed else ""
    parts = []
    for line in lines:
        numbers = drawn_numbers(points_of(line), step, closed)
        if len(numbers) > 2:
            # All of a line's numbers formatted in one go: a map has thousands.
            parts.append(("M%.1f %.1f l%.1f" + " %.1f" * (len(numbers) - 3) + end) % tuple(numbers))
    return without_zero_decimals("".join(parts))


def drawn_numbers(points: Iterable[XY], step: float, closed: bool) -> list[float]:
    """A line's first point, then the steps between the points path_data() draws of
    it, all rounded to tenths: x, y, dx, dy, dx, dy…"""
    numbers: list[float] = []
    last_x = last_y = pending_x = pending_y = 0.0
    pending = False
    for px, py in points:
        x, y = tenths(px), tenths(py)
        if not numbers:
            numbers += (x, y)
        elif abs(x - last_x) + abs(y - last_y) < step:
            pending, pending_x, pending_y = True, x, y
            continue
        else:
            numbers += (x - last_x, y - last_y)
        last_x, last_y, pending = x, y, False
    if pending and not closed and (pending_x, pending_y) != (last_x, last_y):
        numbers += (pending_x - last_x, pending_y - last_y)
    return numbers


class LineSteps(NamedTuple):
    """An open line as path_data() draws it without a frame, apart from where it starts."""

    x: float  # its first point, rounded to tenths
    y: float
    steps: str  # "l" and the steps from there, as path data


def line_steps(line: Iterable[XY], step: float) -> LineSteps | None:
    """`line` drawn as path_data([line], step=step) draws it; None if that draws nothing.

    Moved by whole tenths, a line rounds to the same points moved by as much, and
    drops the same ones: its steps can be drawn once and placed anywhere so.
    """
    numbers = drawn_numbers(line, step, closed=False)
    if len(numbers) <= 2:
        return None
    steps = ("l%.1f" + " %.1f" * (len(numbers) - 3)) % tuple(numbers[2:])
    return LineSteps(numbers[0], numbers[1], without_zero_decimals(steps))


def placed_steps(line: LineSteps, left: float, top: float) -> str:
    """Path data of `line` with (left, top), whole tenths, as the origin."""
    return f"M{tenths_text(line.x - left)} {tenths_text(line.y - top)}{line.steps}"


def tenths_text(value: float) -> str:
    """A number of whole tenths as path_data() writes it: "12", "-0.5", "0"."""
    whole = round(value * 10)
    return str(whole // 10) if whole % 10 == 0 else "%.1f" % (whole / 10)


# The points of a piece of a ring (chunked()): the smaller, the more of a ring far
# outside a map is left out, and the more pieces to test.
CHUNK_POINTS = 32


class Chunk(NamedTuple):
    """A piece of a line: its points, and the box around them."""

    box: Box
    points: Line


def chunked(line: Line, size: int = CHUNK_POINTS) -> tuple[Chunk, ...]:
    """`line` as pieces of `size` steps, each piece starting where the last one ended."""
    pieces = (line[start : start + size + 1] for start in range(0, max(len(line) - 1, 1), size))
    return tuple(Chunk(Box.around(piece), piece) for piece in pieces)


def near_band(chunks: Sequence[Chunk], band: Box) -> list[XY]:
    """The points of a chunked line, those of a piece wholly beyond an edge of `band`
    left out but for the piece's ends.

    The piece and the step between its ends lie in the same half-plane beyond that
    edge: inside `band`, the line, and the area a ring encloses, are as they were.
    """
    points = [chunks[0].points[0]]
    for box, piece in chunks:
        if box.x1 < band.x0 or box.x0 > band.x1 or box.y1 < band.y0 or box.y0 > band.y1:
            points.append(piece[-1])
        else:
            points.extend(piece[1:])
    return points


def tenths(value: float) -> float:
    """round(value, 1) in about half the time: a map rounds a few thousand numbers.

    round() works out the exact decimal digits. value * 10 rounded to a whole
    number is the same count of tenths unless the product came out exactly
    halfway, where its own rounding may have landed it on the tie: only then
    is round() asked. For coordinates: finite, and far below 10**14.
    """
    scaled = value * 10
    whole = round(scaled)
    return whole / 10 if abs(scaled - whole) != 0.5 else round(value, 1)


NEGATIVE_ZERO = re.compile(r"-0(?![.\d])")


def without_zero_decimals(data: str) -> str:
    """Path data with "12" for "12.0" and "0" for "-0.0" (or for the "-0" left of it).

    Every number has one decimal ("%.1f"), so each ".0" in the text ends a number.
    """
    return NEGATIVE_ZERO.sub("0", data.replace(".0", ""))


def frame_points(frame: Frame) -> Callable[[Sequence[XY]], list[XY]]:
    """A function from a line to its points in the frame, those far outside pulled in."""
    x0, y0, k = frame.box.x0, frame.box.y0, frame.scale
    margin = frame.width * CLAMP_MARGIN
    low_x = low_y = -margin
    high_x, high_y = frame.width + margin, frame.height + margin

    def points(line: Sequence[XY]) -> list[XY]:
        moved = [((px - x0) * k, (py - y0) * k) for px, py in line]
        # Which edges of the band each point is beyond (Cohen-Sutherland's outcodes).
        codes = [
            (x < low_x) | (x > high_x) << 1 | (y < low_y) << 2 | (y > high_y) << 3 for x, y in moved
        ]
        if not any(codes):
            return moved
        last = len(moved) - 1
        for i, code in enumerate(codes):
            if not code:
                continue
            before = codes[i - 1] if i > 0 else code
            after = codes[i + 1] if i < last else code
            if before & code and code & after:
                # Onto the edges it is beyond (as min and max would, but cheaper).
                x, y = moved[i]
                moved[i] = (
                    low_x if code & 1 else high_x if code & 2 else x,
                    low_y if code & 4 else high_y if code & 8 else y,
                )
        return moved

    return points
