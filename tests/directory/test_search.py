"""Clinic search on /clinics/ and /api/providers/: distances, radius, at-home, filters, paging."""

import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from geopy.distance import great_circle

from directory.gazetteer import _find_place
from directory.models import Place, Provider, Treatment
from directory.reference import forget_reference
from tests.cast import at_home_service, austin_clinic, draft_provider, make_provider
from tests.plans import postgresql_plan

pytestmark = pytest.mark.django_db

API = "/api/providers/"


def zip_point(zip_code):
    place = Place.objects.get(zip=zip_code)
    return (place.latitude, place.longitude)


def away(point, miles, bearing):
    """The point `miles` great-circle miles from `point` on `bearing`, as geopy says."""
    destination = great_circle(miles=miles).destination(point, bearing)
    return (destination.latitude, destination.longitude)


def site(point, state="TX", city="Austin"):
    lat, lng = point
    address = {"address1": f"{city} site", "city": city, "state_id": state, "zip": "78701"}
    return {**address, "latitude": lat, "longitude": lng}


def clinic(name, *points, state="TX", **fields):
    """A published clinic with one location at each of `points`."""
    return make_provider(name=name, locations=[site(p, state) for p in points], **fields)


def api(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


def names(rows):
    return [row["name"] for row in rows]


def test_clinics_are_ordered_by_geopy_distance_then_name_with_geopy_distances(client):
    center = zip_point("78701")
    spots = {
        "Pecan Clinic": away(center, 3.1, 10),
        "Mesquite Clinic": away(center, 7.5, 100),
        "Bluebonnet Clinic": away(center, 12.25, 200),
        "Cedar Clinic": away(center, 20.0, 280),
        "Yucca Clinic": away(center, 33.3, 45),
        "Agave Clinic": away(center, 33.3, 45),  # same spot as Yucca: the name decides
        "Live Oak Clinic": away(center, 49.9, 315),
        "Far Clinic": away(center, 60.0, 135),
    }
    providers = {name: clinic(name, point) for name, point in spots.items()}
    miles = {name: great_circle(center, point).miles for name, point in spots.items()}
    # The order computed in Python: the same on SQLite and PostgreSQL when both pass.
    expected = sorted((m, name) for name, m in miles.items() if m <= 50)

    data = api(client, near="78701")

    assert names(data["results"]) == [name for _, name in expected]
    assert data["count"] == len(expected)
    for row in data["results"]:
        assert row["id"] == providers[row["name"]].pk
        assert row["distance_miles"] == pytest.approx(miles[row["name"]], abs=0.01)
        spot = spots[row["name"]]
        assert (row["nearest_location"]["latitude"], row["nearest_location"]["longitude"]) == spot


def test_response_has_the_documented_shape(client):
    austin_clinic()
    at_home_service()
    data = api(client, near="78701")
    assert data["location"] == {
        "query": "78701",
        "label": "Austin, TX 78701",
        "latitude": 30.2713,
        "longitude": -97.7426,
        "state": "TX",
    }
    assert (data["count"], data["next"], data["previous"]) == (1, None, None)
    [row] = data["results"]
    assert row == {
        "id": row["id"],
        "slug": "austin-ketamine-clinic",
        "name": "Austin Ketamine Clinic",
        "url": "http://testserver/providers/austin-ketamine-clinic/",
        "distance_miles": round(great_circle((30.2713, -97.7426), (30.2672, -97.7431)).miles, 3),
        "nearest_location": {
            "address1": "100 Congress Ave",
            "city": "Austin",
            "state": "TX",
            "zip": "78701",
            "latitude": 30.2672,
            "longitude": -97.7431,
        },
        "conditions": ["depression", "ptsd"],
        "treatments": ["iv-infusion"],
        "serves_states": [],
        "accepting_new_patients": True,
        "phone": "(512) 555-0100",
        "website": "https://austin-ketamine.example",
        # The facts nobody confirmed are null or empty, never false.
        "price_min": None,
        "price_max": None,
        "payment_options": [],
        "languages": [],
        "kap": None,
        "rems_certified": None,
        "last_verified": "2026-10-01",
    }
    [home] = data["at_home"]
    assert home["distance_miles"] is None
    assert home["nearest_location"] is None
    assert home["serves_states"] == ["OH", "TX"]
    assert set(home) == set(row)


@pytest.mark.parametrize("radius", [10, 25, 50, 100, 250])
@pytest.mark.parametrize("bearing", [0, 90, 217])
def test_location_exactly_at_the_radius_is_in_and_just_past_it_is_out(client, radius, bearing):
    center = (30.2713, -97.7426)
    clinic("Edge Clinic", away(center, radius, bearing))
    clinic("Beyond Clinic", away(center, radius + 0.01, bearing))
    data = api(client, lat=center[0], lng=center[1], radius=radius)
    assert names(data["results"]) == ["Edge Clinic"]
    assert data["results"][0]["distance_miles"] == pytest.approx(radius, abs=0.01)


@pytest.mark.parametrize(
    "point",
    [
        (30.0333, -97.7),  # the law of cosines gives 1.0000000000000002 here
        (30.2672, -97.7431),
        (61.2181, -149.9003),  # Anchorage
        (21.3069, -157.8583),  # Honolulu
    ],
)
def test_search_at_a_locations_exact_coordinates_finds_it_at_distance_zero(client, point):
    clinic("Right Here Clinic", point)
    data = api(client, lat=point[0], lng=point[1], radius=10)
    assert names(data["results"]) == ["Right Here Clinic"]
    assert data["results"][0]["distance_miles"] == 0


def test_search_at_a_zip_centre_finds_a_clinic_placed_there_at_distance_zero(client):
    clinic("Centroid Clinic", zip_point("78701"))
    data = api(client, near="78701", radius=10)
    assert [(r["name"], r["distance_miles"]) for r in data["results"]] == [("Centroid Clinic", 0)]


MERIDIAN_PAIRS = [((52.0, 179.9), (52.0, -179.8)), ((52.0, -179.8), (52.0, 179.9))]


@pytest.mark.parametrize(("search_at", "clinic_at"), MERIDIAN_PAIRS)
def test_radius_query_reaches_across_the_180th_meridian(search_at, clinic_at):
    clinic("Aleutian Clinic", clinic_at, state="AK")
    [found] = Provider.objects.published().near(search_at, 25)
    assert found.distance == pytest.approx(great_circle(search_at, clinic_at).miles, abs=0.01)


@pytest.mark.parametrize(("search_at", "clinic_at"), MERIDIAN_PAIRS)
def test_lat_lng_search_across_the_180th_meridian_finds_the_clinic(client, search_at, clinic_at):
    # The contract's own example: the nearest gazetteer ZIP (Adak, 99546) is ~130 miles east.
    clinic("Aleutian Clinic", clinic_at, state="AK")
    data = api(client, lat=search_at[0], lng=search_at[1], radius=25)
    assert names(data["results"]) == ["Aleutian Clinic"]
    expected = great_circle(search_at, clinic_at).miles
    assert data["results"][0]["distance_miles"] == pytest.approx(expected, abs=0.01)
    assert data["location"]["state"] == "AK"


def test_zip_search_east_of_the_meridian_finds_clinics_west_of_it(client):
    adak = zip_point("99546")
    clinic("Rat Islands Clinic", (51.6, 179.6), state="AK")  # ~143 miles, over the line
    clinic("Near Islands Clinic", (51.6, 175.0), state="AK")  # ~340 miles: too far
    data = api(client, near="99546", radius=250)
    assert names(data["results"]) == ["Rat Islands Clinic"]
    expected = great_circle(adak, (51.6, 179.6)).miles
    assert data["results"][0]["distance_miles"] == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("zip_code", "state"),
    [("99501", "AK"), ("96813", "HI"), ("00901", "PR"), ("96910", "GU"), ("96799", "AS")],
)
def test_alaska_hawaii_and_territories_search_like_anywhere_else(client, zip_code, state):
    center = zip_point(zip_code)
    clinic("Island Clinic", away(center, 5, 45), state=state)
    clinic("Outlying Clinic", away(center, 300, 45), state=state)
    make_provider(name="Home Visits", serves_states=[state])
    make_provider(name="Mainland Home Visits", serves_states=["TX"])
    data = api(client, near=zip_code, radius=250)
    assert data["location"]["state"] == state
    assert names(data["results"]) == ["Island Clinic"]
    assert data["results"][0]["distance_miles"] == pytest.approx(5, abs=0.01)
    assert names(data["at_home"]) == ["Home Visits"]


def test_multi_location_provider_appears_once_at_its_nearest_site(client):
    center = zip_point("78701")
    far, near, middle = away(center, 30, 0), away(center, 8, 90), away(center, 15, 180)
    multi = clinic("Hill Country Ketamine", far, near, middle, away(center, 70, 270))
    clinic("Single Site Clinic", away(center, 10, 270))
    data = api(client, near="78701")
    assert names(data["results"]) == ["Hill Country Ketamine", "Single Site Clinic"]
    assert data["count"] == 2
    first = data["results"][0]
    assert first["id"] == multi.pk
    assert first["distance_miles"] == pytest.approx(great_circle(center, near).miles, abs=0.01)
    assert (first["nearest_location"]["latitude"], first["nearest_location"]["longitude"]) == near


@pytest.mark.parametrize(
    "params", [{"near": "78701"}, {"near": "TX"}, {"lat": 30.2713, "lng": -97.7426}]
)
def test_drafts_and_closed_providers_never_appear(client, params):
    austin_clinic()
    at_home_service()
    draft_provider()  # in Austin, without coordinates: a state search would find it
    clinic("Draft Clinic", (30.27, -97.74), status=Provider.Status.DRAFT)
    clinic("Closed Clinic", (30.27, -97.74), status=Provider.Status.CLOSED)
    make_provider(name="Draft Home", serves_states=["TX"], status=Provider.Status.DRAFT)
    make_provider(name="Closed Home", serves_states=["TX"], status=Provider.Status.CLOSED)
    data = api(client, **params)
    assert names(data["results"]) == ["Austin Ketamine Clinic"]
    assert names(data["at_home"]) == ["Lone Star Ketamine at Home"]


TEXAS_SEARCHES = ["78701", "78701-1234", "Austin, TX", "Austin, Texas", "Texas", "TX"]


@pytest.mark.parametrize(
    "params", [{"near": near} for near in TEXAS_SEARCHES] + [{"lat": 30.2713, "lng": -97.7426}]
)
def test_at_home_options_are_those_serving_the_searched_state_by_name(client, params):
    at_home_service()  # TX and OH
    make_provider(name="Armadillo Telehealth", serves_states=["TX"])
    make_provider(name="Buckeye Home Care", serves_states=["OH"])
    data = api(client, **params)
    assert data["location"]["state"] == "TX"
    assert names(data["at_home"]) == ["Armadillo Telehealth", "Lone Star Ketamine at Home"]
    assert all(row["distance_miles"] is None for row in data["at_home"])
    assert all(row["nearest_location"] is None for row in data["at_home"])


# The two Texarkanas, 17 miles apart across the state line.
@pytest.mark.parametrize(
    ("zip_code", "state", "expected"),
    [("71854", "AR", "Razorback Home Care"), ("75501", "TX", "Longhorn Home Care")],
)
def test_lat_lng_at_home_options_follow_the_nearest_places_state(client, zip_code, state, expected):
    make_provider(name="Razorback Home Care", serves_states=["AR"])
    make_provider(name="Longhorn Home Care", serves_states=["TX"])
    point = zip_point(zip_code)
    data = api(client, lat=point[0], lng=point[1])
    assert data["location"]["state"] == state
    assert names(data["at_home"]) == [expected]


def test_state_search_lists_its_clinics_by_city_then_name_without_distances(client):
    oh = {"state": "OH"}
    make_provider(name="Zane Clinic", locations=[site((39.94, -82.01), **oh, city="Zanesville")])
    make_provider(name="Buckeye Ketamine", locations=[site((39.96, -83.0), **oh, city="Columbus")])
    make_provider(name="Alpha Clinic", locations=[site((39.97, -83.0), **oh, city="Columbus")])
    make_provider(name="Rubber City Clinic", locations=[site((41.08, -81.52), **oh, city="Akron")])
    # Its Kentucky site (Ashland) must not sort it or be shown in an Ohio search.
    make_provider(
        name="River Clinic",
        locations=[
            site((38.48, -82.64), state="KY", city="Ashland"),
            site((41.65, -83.54), **oh, city="Toledo"),
        ],
    )
    austin_clinic()
    at_home_service()
    data = api(client, near="OH")
    assert (data["location"]["label"], data["location"]["latitude"]) == ("Ohio", None)
    assert [(r["name"], r["nearest_location"]["city"]) for r in data["results"]] == [
        ("Rubber City Clinic", "Akron"),
        ("Alpha Clinic", "Columbus"),
        ("Buckeye Ketamine", "Columbus"),
        ("River Clinic", "Toledo"),
        ("Zane Clinic", "Zanesville"),
    ]
    assert all(row["distance_miles"] is None for row in data["results"])
    assert names(data["at_home"]) == ["Lone Star Ketamine at Home"]


# Each differs from "Match IV" in one filter; in name order.
FILTER_CAST = [
    ("Match IM", "depression", ["im-injection", "esketamine-nasal-spray"], True),
    ("Match IV", "depression", ["iv-infusion"], True),
    ("Not Accepting", "depression", ["iv-infusion"], False),
    ("Unknown Intake", "depression", ["iv-infusion"], None),
    ("Wrong Condition", "chronic-pain", ["iv-infusion"], True),
    ("Wrong Treatment", "depression", ["oral-sublingual"], True),
]
BOTH_TREATMENTS = ["iv-infusion", "im-injection"]


@pytest.mark.parametrize(
    ("params", "left_out"),
    [
        ({}, []),
        ({"condition": "depression"}, ["Wrong Condition"]),
        ({"treatment": BOTH_TREATMENTS}, ["Wrong Treatment"]),
        ({"treatment": "esketamine-nasal-spray"}, [c[0] for c in FILTER_CAST[1:]]),
        ({"accepting": "1"}, ["Not Accepting", "Unknown Intake"]),
        ({"accepting": "0"}, []),  # "no preference"
        (
            {"condition": "depression", "treatment": BOTH_TREATMENTS, "accepting": "1"},
            [c[0] for c in FILTER_CAST[2:]],
        ),
    ],
)
def test_filters_combine_any_within_one_and_all_together(client, params, left_out):
    for name, condition, treatments, accepting in FILTER_CAST:
        fields = {"conditions": [condition], "treatments": treatments}
        fields["accepting_new_patients"] = accepting
        clinic(f"{name} Clinic", (30.27, -97.74), **fields)
        make_provider(name=f"{name} Home", serves_states=["TX"], **fields)
    expected = [cast[0] for cast in FILTER_CAST if cast[0] not in left_out]
    data = api(client, near="78701", **params)
    # Every clinic is at one spot, so the name orders them.
    assert names(data["results"]) == [f"{name} Clinic" for name in expected]
    assert names(data["at_home"]) == [f"{name} Home" for name in expected]


def test_the_treatment_links_are_indexed_by_treatment_for_a_treatment_few_offer():
    # Migration 0021: without it, PostgreSQL found a rare treatment's providers by
    # walking every link in provider order.
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "directory_provider_treatments")
    index = indexes["directory_provider_treatments_by_treatment"]
    assert (index["index"], index["columns"]) == (True, ["treatment_id", "provider_id"])
    if connection.vendor == "postgresql":
        for name, _, treatments, _ in FILTER_CAST:
            make_provider(name=f"{name} Home", serves_states=["TX"], treatments=treatments)
        rare = Treatment.objects.get(slug="oral-sublingual")
        at_home = Provider.objects.published().offering_any([rare.pk]).at_home_in("TX")
        plan = postgresql_plan(at_home.values("pk"), "SET LOCAL enable_seqscan = off")
        # On these few rows the foreign key's own index on treatment_id costs the same,
        # and PostgreSQL picks either: both find the treatment's links directly.
        by_treatment = [
            name
            for name, index in indexes.items()
            if index["index"] and index["columns"][:1] == ["treatment_id"]
        ]
        assert any(name in plan for name in by_treatment), plan
        assert [provider.name for provider in at_home] == ["Wrong Treatment Home"]


def test_pages_keep_the_total_and_every_filter_in_next_and_previous(client):
    center = zip_point("78701")
    terms = {"conditions": ["ptsd"], "treatments": ["iv-infusion"]}
    for i in range(7):
        clinic(f"Clinic {i}", away(center, 1 + i, 0), accepting_new_patients=True, **terms)
    clinic("Other Condition Clinic", center, conditions=["ocd"], treatments=["iv-infusion"])
    filters = {"condition": "ptsd", "treatment": ["iv-infusion", "im-injection"]}
    params = {**filters, "accepting": "1", "near": "78701", "radius": "25", "page_size": "3"}

    data = api(client, **params, page=2)
    assert data["count"] == 7
    assert names(data["results"]) == ["Clinic 3", "Clinic 4", "Clinic 5"]
    expected_query = parse_qs(urlencode(params, doseq=True))
    assert parse_qs(urlparse(data["next"]).query) == {**expected_query, "page": ["3"]}
    assert parse_qs(urlparse(data["previous"]).query) == expected_query  # page 1

    last = client.get(data["next"]).json()
    assert (last["count"], names(last["results"])) == (7, ["Clinic 6"])
    assert last["next"] is None
    assert parse_qs(urlparse(last["previous"]).query) == {**expected_query, "page": ["2"]}
    assert client.get(API, {**params, "page": 4}).status_code == 400


@pytest.fixture
def busy_austin():
    """30 matching clinics with two sites each and a few at-home services in TX."""
    center = zip_point("78701")
    terms = {"conditions": ["depression"], "treatments": ["iv-infusion", "im-injection"]}
    for i in range(30):
        sites = [away(center, 1 + i, 90), away(center, 2 + i, 270)]
        clinic(f"Busy Clinic {i:02}", *sites, serves_states=["TX"] if i % 10 == 0 else [], **terms)
    for i in range(3):
        make_provider(name=f"Busy Home {i}", serves_states=["TX", "OK"], **terms)


SEARCH = {"near": "78701", "condition": "depression", "treatment": ["iv-infusion", "im-injection"]}


@pytest.mark.parametrize(("warm", "limit"), [(False, 7), (True, 4)])
def test_query_count_is_bounded_and_does_not_grow_with_page_size(
    client, busy_austin, django_assert_max_num_queries, warm, limit
):
    requests = [
        (API, {**SEARCH, "page_size": 5}),
        (API, {**SEARCH, "page_size": 100}),
        ("/clinics/", SEARCH),  # 20 a page
        ("/clinics/", {**SEARCH, "page": 2}),
    ]
    counts = []
    for path, params in requests:
        cache.clear()
        # The in-process memos too (gazetteer, conditions and treatments): cold is cold.
        _find_place.cache_clear()
        forget_reference()
        if warm:
            client.get(path, params)
        with django_assert_max_num_queries(limit) as captured:
            response = client.get(path, params)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[2] == counts[3]
    assert len(api(client, **SEARCH, page_size=100)["results"]) == 30


def test_results_page_shows_distances_in_order_and_at_home_options(client):
    center = zip_point("78701")
    clinic("Second Clinic", away(center, 12.6, 180))
    clinic("First Clinic", away(center, 4.2, 0))
    clinic("Third Clinic", away(center, 40, 90))
    at_home_service()
    clinic("Draft Clinic", center, status=Provider.Status.DRAFT)
    response = client.get("/clinics/", {"near": "78701"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 clinics within 50 miles" in html
    distances = re.findall(r'class="result__distance">([^<]+)<', html)
    assert distances == ["4.2 mi", "13 mi", "40 mi"]
    positions = [html.index(name) for name in ["First Clinic", "Second Clinic", "Third Clinic"]]
    assert positions == sorted(positions)
    assert "At-home options in Texas" in html
    assert "Lone Star Ketamine at Home" in html
    assert "Draft Clinic" not in html


def test_state_results_page_lists_clinics_by_city_without_distances(client):
    make_provider(name="Zeta Clinic", locations=[site((39.96, -83.0), "OH", "Columbus")])
    make_provider(name="Alpha Clinic", locations=[site((41.65, -83.54), "OH", "Toledo")])
    response = client.get("/clinics/", {"near": "Ohio"})
    html = response.content.decode()
    assert "2 clinics in Ohio" in html
    assert html.index("Zeta Clinic") < html.index("Alpha Clinic")
    assert "result__distance" not in html


def test_a_clinic_that_also_treats_at_home_shows_its_site_only_as_a_clinic(client):
    # One provider in both lists: the clinic row has the nearest site, the
    # at-home row none (it treats patients wherever they are in the state).
    both = austin_clinic(serves_states=["TX"])

    data = client.get(API, {"near": "78701"}).json()

    [clinic] = data["results"]
    [home] = data["at_home"]
    assert clinic["id"] == home["id"] == both.pk
    assert clinic["nearest_location"]["city"] == "Austin"
    assert clinic["distance_miles"] is not None
    assert home["nearest_location"] is None
    assert home["distance_miles"] is None
    assert clinic["serves_states"] == home["serves_states"] == ["TX"]
