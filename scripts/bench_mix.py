"""The searches `make bench` times: a realistic mix of places and filters (issue 18).

Most patients search from large metro areas, where a circle holds many more
providers than around a ZIP code drawn uniformly from the 42,000: so 75% of the
searches start within METRO_RADIUS_MILES of one of the 50 largest metros'
principal cities, the metro drawn in proportion to its population, and the rest
from any ZIP code (small towns). Most are a ZIP code and a condition; the others
add every filter, sort and page of the search form (directory/filters.py) in
the shares below, and a tenth of the HTML searches are on the Spanish pages.
The HTML page and the API get the same searches (the API's own `page_size`
aside). Needs Django set up against the benchmark's database.
"""

import math
import random
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any, NamedTuple

# The 50 largest U.S. metropolitan statistical areas by the 2020 Census (U.S.
# Census Bureau, 2020 Census redistricting data, on the OMB 2020 delineations),
# rounded to thousands: the principal city as the gazetteer names it, its state,
# and the whole metro area's population.
METROS: list[tuple[str, str, int]] = [
    ("New York", "NY", 20_140_000),
    ("Los Angeles", "CA", 13_201_000),
    ("Chicago", "IL", 9_619_000),
    ("Dallas", "TX", 7_637_000),
    ("Houston", "TX", 7_122_000),
    ("Washington", "DC", 6_385_000),
    ("Philadelphia", "PA", 6_245_000),
    ("Miami", "FL", 6_138_000),
    ("Atlanta", "GA", 6_090_000),
    ("Boston", "MA", 4_942_000),
    ("Phoenix", "AZ", 4_846_000),
    ("San Francisco", "CA", 4_749_000),
    ("Riverside", "CA", 4_600_000),
    ("Detroit", "MI", 4_392_000),
    ("Seattle", "WA", 4_019_000),
    ("Minneapolis", "MN", 3_690_000),
    ("San Diego", "CA", 3_299_000),
    ("Tampa", "FL", 3_175_000),
    ("Denver", "CO", 2_964_000),
    ("Baltimore", "MD", 2_845_000),
    ("Saint Louis", "MO", 2_820_000),
    ("Orlando", "FL", 2_673_000),
    ("Charlotte", "NC", 2_660_000),
    ("San Antonio", "TX", 2_558_000),
    ("Portland", "OR", 2_513_000),
    ("Sacramento", "CA", 2_397_000),
    ("Pittsburgh", "PA", 2_371_000),
    ("Austin", "TX", 2_283_000),
    ("Las Vegas", "NV", 2_265_000),
    ("Cincinnati", "OH", 2_257_000),
    ("Kansas City", "MO", 2_192_000),
    ("Columbus", "OH", 2_139_000),
    ("Indianapolis", "IN", 2_111_000),
    ("Cleveland", "OH", 2_088_000),
    ("San Jose", "CA", 2_000_000),
    ("Nashville", "TN", 1_990_000),
    ("Virginia Beach", "VA", 1_800_000),
    ("Providence", "RI", 1_677_000),
    ("Jacksonville", "FL", 1_606_000),
    ("Milwaukee", "WI", 1_575_000),
    ("Oklahoma City", "OK", 1_426_000),
    ("Raleigh", "NC", 1_414_000),
    ("Memphis", "TN", 1_338_000),
    ("Richmond", "VA", 1_314_000),
    ("Louisville", "KY", 1_285_000),
    ("New Orleans", "LA", 1_272_000),
    ("Salt Lake City", "UT", 1_258_000),
    ("Hartford", "CT", 1_214_000),
    ("Buffalo", "NY", 1_167_000),
    ("Birmingham", "AL", 1_115_000),
]
METRO_SHARE = 0.75
METRO_RADIUS_MILES = 30

# How the place is given: a ZIP code typed; "City, ST" typed; the browser's position
# ("use my location": lat/lng); a whole state; no place, only a provider's name.
PLACE_FORMS = {"zip": 79, "city": 12, "position": 5, "state": 2, "name only": 2}
# Most searches are a place and a condition; some only a place; the rest refine
# with one to three other inputs (drawn by these weights, none twice).
SHAPES = {"place and condition": 55, "place only": 10, "refined": 35}
REFINED_CONDITION_SHARE = 0.8  # of the refined searches, those with a condition
REFINEMENTS = {
    "payment": 20, "sort": 16, "radius": 14, "accepting": 12, "page": 12, "max_price": 10,
    "treatment": 10, "language": 8, "q": 8, "kap": 6,
}  # fmt: skip
SPANISH_SHARE = 0.10  # HTML searches on /es/clinics/
AT_HOME_ALL_SHARE = 0.02  # HTML: "show every at-home option" (?at_home=all)
PAGE_SIZE_SHARE = 0.04  # API: a page_size of 50 or 100

# What patients pick, most common first (judgement, not measured); a choice the
# site has and these lists do not name gets the smallest weight.
CONDITION_WEIGHTS = {
    "depression": 40, "anxiety": 14, "ptsd": 12, "chronic-pain": 12, "addiction": 8,
    "bipolar-depression": 7, "ocd": 6,
}  # fmt: skip
PAYMENT_WEIGHTS = {
    "self-pay": 30, "commercial-insurance": 25, "hsa-fsa": 15, "medicare": 10, "medicaid": 5,
    "superbill": 4, "tricare": 3, "va-community-care": 3, "financing": 3, "spravato-savings": 2,
}  # fmt: skip
LANGUAGE_WEIGHTS = {
    "es": 55, "zh": 10, "vi": 8, "tl": 6, "ko": 5, "ru": 4, "ar": 4, "fr": 3, "ht": 3, "pt": 2,
}  # fmt: skip
SORT_WEIGHTS = {"price": 40, "distance": 25, "verified": 20, "name": 15}
RADIUS_WEIGHTS = {25: 35, 10: 30, 100: 30, 250: 5}  # 50 miles is the default


class Search(NamedTuple):
    path: str  # /clinics/, /es/clinics/ or /api/providers/
    params: dict[str, str | list[str]]
    metro: bool  # drawn around a large metro (else: any ZIP code)


def weighted(rng: random.Random, weights: dict, available: Iterable) -> Any:
    """One of `available`, by `weights` (1 for what they do not name)."""
    options = list(available)
    return rng.choices(options, weights=[weights.get(option, 1) for option in options])[0]


class Places:
    """The gazetteer's ZIP codes, and those within METRO_RADIUS_MILES of each metro."""

    def __init__(self) -> None:
        from directory.geo import bounding_box, distance_miles
        from directory.models import Place

        # (zip, city, state, latitude, longitude)
        self.zips = list(
            Place.objects.filter(kind="zip")
            .order_by("zip")
            .values_list("zip", "name", "state_id", "latitude", "longitude")
        )
        self.metros: list[tuple[str, str, list[tuple]]] = []
        self.weights: list[int] = []
        for name, state, population in METROS:
            city = Place.objects.filter(kind="city", name=name, state_id=state).first()
            if city is None:
                print(f"bench: {name}, {state} is not in the gazetteer; left out", file=sys.stderr)
                continue
            center = (city.latitude, city.longitude)
            box = bounding_box(center, METRO_RADIUS_MILES)
            near = [
                row
                for row in Place.objects.filter(
                    kind="zip",
                    latitude__range=(box.min_latitude, box.max_latitude),
                    longitude__range=(box.min_longitude, box.max_longitude),
                )
                .order_by("zip")
                .values_list("zip", "name", "state_id", "latitude", "longitude")
                if distance_miles(center, (row[3], row[4])) <= METRO_RADIUS_MILES
            ]
            if near:
                self.metros.append((name, state, near))
                self.weights.append(population)

    def draw(self, rng: random.Random) -> tuple[tuple, str | None, bool]:
        """A ZIP code's row, the metro's "City, ST" (or None) and whether it is a metro's."""
        if self.metros and rng.random() < METRO_SHARE:
            name, state, near = rng.choices(self.metros, weights=self.weights)[0]
            return rng.choice(near), f"{name}, {state}", True
        return rng.choice(self.zips), None, False


def name_words(rng: random.Random, names: list[str]) -> str:
    """Words of a real provider's name as a patient types them: one or two, maybe cut short."""
    # Words with a letter or digit: "&" alone is no name (the form says so).
    words = [
        word
        for word in names[rng.randrange(len(names))].split()
        if word != "(demo)" and any(ch.isalnum() for ch in word)
    ]
    start = rng.randrange(len(words))
    typed = words[start : start + rng.choice([1, 1, 2])]
    if rng.random() < 0.2 and len(typed[-1]) > 4:
        typed[-1] = typed[-1][: rng.randint(3, len(typed[-1]) - 1)]  # "or their start"
    return " ".join(typed).lower()


class Choices(NamedTuple):
    """What the database and the form offer to choose from."""

    conditions: list[str]
    treatments: list[str]
    names: list[str]  # published providers' names (the first 5,000)
    languages: list[str]
    radii: list[int]
    sorts: list[str]
    payments: list[str]


def place_params(rng: random.Random, places: Places) -> tuple[dict[str, Any], str, bool]:
    """Where a search is: its parameters, how the place was given, whether it is a metro's."""
    from directory.gazetteer import find_place

    (zip_code, city, state, latitude, longitude), metro_city, metro = places.draw(rng)
    form = weighted(rng, PLACE_FORMS, PLACE_FORMS)
    if form == "city":
        text = metro_city if metro_city and rng.random() < 0.5 else f"{city}, {state}"
        if find_place(text):
            return {"near": text}, form, metro
        form = "zip"  # a postal town the gazetteer does not know as a city
    if form == "zip":
        return {"near": zip_code}, form, metro
    if form == "position":
        # A phone's position: somewhere in the ZIP code's area, not its centroid.
        latitude += rng.uniform(-0.02, 0.02)
        longitude += rng.uniform(-0.02, 0.02)
        return {"lat": f"{latitude:.5f}", "lng": f"{longitude:.5f}"}, form, metro
    if form == "state":
        return {"near": state}, form, metro
    return {}, form, metro  # a provider's name only


def filter_params(
    rng: random.Random, choices: Choices, has_point: bool, name_only: bool
) -> tuple[dict[str, Any], int]:
    """What a search asks for besides the place, and the page it asks for."""
    shape = weighted(rng, SHAPES, SHAPES)
    inputs: set[str] = set()
    if shape == "refined":
        wanted = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
        while len(inputs) < wanted:
            inputs.add(weighted(rng, REFINEMENTS, REFINEMENTS))
    params: dict[str, Any] = {}
    if shape == "place and condition" or (
        shape == "refined" and rng.random() < REFINED_CONDITION_SHARE
    ):
        params["condition"] = weighted(rng, CONDITION_WEIGHTS, choices.conditions)
    if "radius" in inputs and has_point:
        params["radius"] = str(weighted(rng, RADIUS_WEIGHTS, choices.radii))
    if "payment" in inputs:
        options = [weighted(rng, PAYMENT_WEIGHTS, choices.payments)]
        if rng.random() < 0.25:
            options.append(weighted(rng, PAYMENT_WEIGHTS, choices.payments))
        params["payment"] = sorted(set(options))
    if "sort" in inputs:
        # Sorting by distance needs a point (the form says so otherwise).
        sorts = [key for key in choices.sorts if has_point or key != "distance"]
        params["sort"] = weighted(rng, SORT_WEIGHTS, sorts)
    if "accepting" in inputs:
        params["accepting"] = "1"
    if "max_price" in inputs:
        params["max_price"] = str(rng.randrange(400, 1001, 100))
    if "treatment" in inputs:
        params["treatment"] = sorted(set(rng.sample(choices.treatments, rng.choice([1, 1, 1, 2]))))
    page = rng.choice([2, 2, 3]) if "page" in inputs else 1
    if "language" in inputs:
        params["language"] = weighted(rng, LANGUAGE_WEIGHTS, choices.languages)
    if ("q" in inputs or name_only) and choices.names:
        params["q"] = name_words(rng, choices.names)
    if "kap" in inputs:
        params["kap"] = "1"
    return params, page


def search_mix(count: int, *, seed: int, api: bool = False) -> list[Search]:
    """`count` searches of the mix for the HTML page (or with `api`, /api/providers/).

    The same seed gives the same searches to both; a page past a search's last
    is brought back to the last (asked with the API, as a patient follows "next").
    """
    from django.test import Client

    from directory.facts import LANGUAGES, PAYMENT_OPTIONS
    from directory.models import Condition, Provider, Treatment
    from directory.search import PAGE_SIZE, RADIUS_CHOICES, SORTS

    published = Provider.objects.published().order_by("pk")
    choices = Choices(
        conditions=list(Condition.objects.order_by("slug").values_list("slug", flat=True)),
        treatments=list(Treatment.objects.order_by("slug").values_list("slug", flat=True)),
        names=list(published.values_list("name", flat=True)[:5000]),
        languages=[code for code in LANGUAGE_WEIGHTS if code in LANGUAGES],
        radii=[miles for miles in RADIUS_WEIGHTS if miles in RADIUS_CHOICES],
        sorts=list(SORTS),
        payments=list(PAYMENT_OPTIONS),
    )
    places = Places()
    client = Client()
    rng = random.Random(seed)
    searches = []
    for _ in range(count):
        params, form, metro = place_params(rng, places)
        has_point = form in ("zip", "city", "position")
        asked, page = filter_params(rng, choices, has_point, name_only=form == "name only")
        params.update(asked)
        spanish = rng.random() < SPANISH_SHARE
        at_home_all = rng.random() < AT_HOME_ALL_SHARE
        page_size = rng.choice([50, 100]) if rng.random() < PAGE_SIZE_SHARE else None
        if page > 1:
            found = client.get("/api/providers/", params).json()["count"]
            page = min(page, math.ceil(found / PAGE_SIZE))
            if page > 1:
                params["page"] = str(page)
        if api:
            if page_size and page == 1:
                params["page_size"] = str(page_size)
            searches.append(Search("/api/providers/", params, metro))
        else:
            if at_home_all:
                params["at_home"] = "all"
            searches.append(Search("/es/clinics/" if spanish else "/clinics/", params, metro))
    return searches


def describe(searches: list[Search]) -> list[tuple[str, float]]:
    """What share of the HTML searches has each kind of place and each input, in a fixed
    order (the API's searches are the same, without at_home and /es/, with page_size)."""
    counts: Counter[str] = Counter()
    for search in searches:
        params = search.params
        counts["around one of the 50 largest metros (the rest: any ZIP code)"] += search.metro
        near = str(params.get("near", ""))
        if near.isdigit():
            counts["place: a ZIP code"] += 1
        elif "," in near:
            counts['place: "City, ST"'] += 1
        elif near:
            counts["place: a state"] += 1
        elif "lat" in params:
            counts["place: the browser's position (lat, lng)"] += 1
        else:
            counts["place: none (a provider's name only)"] += 1
        inputs = set(params) - {"near", "lat", "lng"}
        if inputs == {"condition"}:
            counts["a place and a condition, nothing else"] += 1
        elif not inputs:
            counts["a place, nothing else"] += 1
        counts.update(inputs)
        if "sort" in params:
            counts[f"sort={params['sort']}"] += 1
        counts["on the Spanish pages (/es/)"] += search.path.startswith("/es/")
    order = [
        "around one of the 50 largest metros (the rest: any ZIP code)",
        "place: a ZIP code",
        'place: "City, ST"',
        "place: the browser's position (lat, lng)",
        "place: a state",
        "place: none (a provider's name only)",
        "a place and a condition, nothing else",
        "a place, nothing else",
        "condition",
        *REFINEMENTS,
        *(f"sort={key}" for key in SORT_WEIGHTS),
        "at_home",
        "on the Spanish pages (/es/)",
    ]
    # Every row, 0% too: a short run may miss a rare filter, and the table should say so.
    return [(label, counts[label] / len(searches)) for label in order]
