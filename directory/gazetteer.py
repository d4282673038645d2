"""Offline U.S. gazetteer: text a patient typed → a ZIP, a city or a state.

ZIP centroids come from the `zipcodes` package (coordinates from GeoNames,
CC BY 4.0), shipped inside its wheel; city centroids are the mean of their
ZIPs. Nothing here calls any outside service.
"""

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from statistics import fmean
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext

from directory.geo import Point
from directory.models import GreatCircleMiles, Place, bounding_box_q
from directory.states import STATES

ZIP_RE = re.compile(r"^([0-9]{5})(?:[- ]?[0-9]{4})?\Z")
MAX_QUERY_LENGTH = 100

# Words people abbreviate in place names ("St. Louis", "Ft Worth", "Mt Vernon").
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def fold(text: str) -> list[str]:
    """The words of `text`, without accents, punctuation or case."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def normalize_name(text: str) -> str:
    """Fold a place name for lookups: "St. Louis" and "saint louis" are alike."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in fold(text))


# State names and codes are matched folded but not expanded: "MT" is Montana,
# not "mount".
STATE_KEYS = {" ".join(fold(name)): code for code, name in STATES.items()}
STATE_KEYS.update({code.lower(): code for code in STATES})


@dataclass(frozen=True)
class SearchedPlace:
    """The place a patient searched around: a ZIP, a city, their position, or a whole state.

    (Not a clinic's site: that is a Location.)
    """

    kind: Literal["zip", "city", "point", "state"]
    query: str
    label: str
    state: str
    latitude: float | None = None
    longitude: float | None = None

    @classmethod
    def whole_state(cls, code: str) -> "SearchedPlace":
        return cls("state", code, STATES[code], code)

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @property
    def point(self) -> Point | None:
        if self.latitude is None or self.longitude is None:
            return None
        return Point(self.latitude, self.longitude)


def _from_place(place: Place, query: str) -> SearchedPlace:
    label = f"{place.name}, {place.state_id}"
    if place.zip:
        return SearchedPlace(
            "zip", query, f"{label} {place.zip}", place.state_id, place.latitude, place.longitude
        )
    return SearchedPlace("city", query, label, place.state_id, place.latitude, place.longitude)


def state_code(text: str) -> str | None:
    """Return the two-letter code for a state name or code, or None."""
    return STATE_KEYS.get(" ".join(fold(text)))


def find_place(text: str) -> SearchedPlace | None:
    """Return where `text` (ZIP, ZIP+4, "City, ST", "City State", a state) is, or None."""
    # NFKC: the full-width digits of some phone keyboards are plain digits (a ZIP).
    query = " ".join(unicodedata.normalize("NFKC", str(text)).split())
    if not query or len(query) > MAX_QUERY_LENGTH:
        return None
    return _find_place(query)


# The gazetteer changes only through load_gazetteer (which clears this), so a
# place once found need not be looked up again by this process.
@lru_cache(maxsize=20_000)
def _find_place(query: str) -> SearchedPlace | None:
    if match := ZIP_RE.match(query):
        place = Place.objects.filter(kind=Place.Kind.ZIP, zip=match.group(1)).first()
        return _from_place(place, query) if place else None

    if code := state_code(query):
        return SearchedPlace("state", query, STATES[code], code)

    candidates = _city_candidates(query)
    if not candidates:
        return None
    places = Place.objects.filter(kind=Place.Kind.CITY, name_key__in={key for key, _ in candidates})
    by_key = {(place.name_key, place.state_id): place for place in places}
    for key, code in candidates:
        if code is None:
            # No state given: only a city name that exists in one state is clear.
            matches = [place for (name, _), place in by_key.items() if name == key]
            if len(matches) == 1:
                return _from_place(matches[0], query)
        elif (key, code) in by_key:
            return _from_place(by_key[(key, code)], query)
    return None


def place_at(latitude: float, longitude: float) -> SearchedPlace | None:
    """Return a patient's position as a searched place named after the nearest ZIP's town."""
    place = nearest_place(latitude, longitude)
    if place is None:
        return None
    return SearchedPlace(
        "point",
        f"{latitude},{longitude}",
        gettext("%(city)s, %(state)s (your location)")
        % {"city": place.name, "state": place.state_id},
        place.state_id,
        latitude,
        longitude,
    )


def _city_candidates(query: str) -> list[tuple[str, str | None]]:
    """Return (name_key, state code or None) readings of a "City, ST"-like query."""
    if "," in query:
        city, _, state = query.rpartition(",")
        code = state_code(state)
        return [(normalize_name(city), code)] if code and normalize_name(city) else []
    words = fold(query)
    candidates: list[tuple[str, str | None]] = []
    # "austin tx", "new york new york", "saint louis missouri": try the longest
    # state name at the end first.
    for size in (3, 2, 1):
        if len(words) > size:
            code = STATE_KEYS.get(" ".join(words[-size:]))
            if code:
                candidates.append((normalize_name(" ".join(words[:-size])), code))
    candidates.append((normalize_name(query), None))
    return candidates


def nearest_place(latitude: float, longitude: float) -> Place | None:
    """Return the ZIP place nearest to a point, or None when none is within 400 miles.

    Widens in steps so the bounding box (and the index) does the work; the box
    wraps across the 180th meridian, where the Aleutians are.
    """
    point = Point(latitude, longitude)
    for radius in (25, 100, 400):
        place = (
            Place.objects.filter(bounding_box_q(point, radius), kind=Place.Kind.ZIP)
            .annotate(distance=GreatCircleMiles(point))
            .filter(distance__lte=radius)
            .order_by("distance", "zip")
            .first()
        )
        if place:
            return place
    return None


# --- Loading ------------------------------------------------------------------


def gazetteer_places() -> list[Place]:
    """Build unsaved ZIP and city Places from the `zipcodes` package's data."""
    import zipcodes

    # ZIPs of military mail (AA, AE, AP) and of the freely associated states
    # (FM, MH, PW) are not places a U.S. provider can be.
    rows = [row for row in zipcodes.list_all() if row["state"] in STATES]
    # Some PO-box and single-building ZIPs have no coordinates ("0"): they get
    # their city's centre below, when the city has other ZIPs.
    located = [row for row in rows if float(row["lat"] or 0) and float(row["long"] or 0)]
    located_zips = {row["zip_code"] for row in located}
    ZipPoint = tuple[dict[str, Any], float, float]  # (row, latitude, longitude)
    cities: defaultdict[tuple[str, str], list[ZipPoint]] = defaultdict(list)  # by (state, name_key)
    aliases: defaultdict[tuple[str, str], list[ZipPoint]] = defaultdict(list)
    for row in located:
        point = (row, float(row["lat"]), float(row["long"]))
        cities[(row["state"], normalize_name(row["city"]))].append(point)
        for alias in row["acceptable_cities"]:
            aliases[(row["state"], normalize_name(alias))].append(point)

    # Other names the postal service accepts ("Hollywood" for Los Angeles ZIPs)
    # count only where no city of that name exists in the state.
    for alias_key, points in aliases.items():
        if alias_key not in cities and alias_key[1]:
            cities[alias_key] = [
                ({**row, "city": _alias_name(row, alias_key[1])}, lat, lng)
                for row, lat, lng in points
            ]

    city_places: dict[tuple[str, str], Place] = {}
    for (state, name_key), points in cities.items():
        # Delivery ZIPs describe a city better than its PO boxes and single buildings.
        standard = [p for p in points if p[0]["zip_code_type"] == "STANDARD"] or points
        city_places[(state, name_key)] = Place(
            kind=Place.Kind.CITY,
            zip=None,
            name=Counter(row["city"] for row, _, _ in points).most_common(1)[0][0],
            name_key=name_key,
            state_id=state,
            latitude=round(fmean(lat for _, lat, _ in standard), 6),
            longitude=round(fmean(lng for _, _, lng in standard), 6),
        )

    zip_places = []
    for row in rows:
        key = normalize_name(row["city"])
        if row["zip_code"] in located_zips:
            latitude, longitude = float(row["lat"]), float(row["long"])
        elif (city := city_places.get((row["state"], key))) is not None:
            latitude, longitude = city.latitude, city.longitude
        else:
            continue
        zip_places.append(
            Place(
                kind=Place.Kind.ZIP,
                zip=row["zip_code"],
                name=row["city"],
                name_key=key,
                state_id=row["state"],
                latitude=latitude,
                longitude=longitude,
            )
        )
    return zip_places + list(city_places.values())


def _alias_name(row: dict[str, Any], key: str) -> str:
    return next(alias for alias in row["acceptable_cities"] if normalize_name(alias) == key)


def load_gazetteer(*, force: bool = False) -> tuple[int, int, bool]:
    """Fill the Place table; return (zip count, city count, whether anything was written).

    Idempotent: when the table already holds this data set it is left alone.
    """
    places = gazetteer_places()
    zip_count = sum(1 for place in places if place.kind == Place.Kind.ZIP)
    city_count = len(places) - zip_count
    loaded = dict(Place.objects.values_list("kind").annotate(Count("id")).order_by())
    if not force and loaded == {"zip": zip_count, "city": city_count}:
        return zip_count, city_count, False
    with transaction.atomic():
        Place.objects.all().delete()
        Place.objects.bulk_create(places, batch_size=5000)
    _find_place.cache_clear()
    # Imported here: the type-ahead index is built from this module's data.
    from directory.typeahead import forget_place_index

    forget_place_index()
    return zip_count, city_count, True
