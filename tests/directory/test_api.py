"""GET /api/providers/: what it accepts, what it refuses (400, never 500), and its JSON shape."""

from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests import cast

pytestmark = pytest.mark.django_db

API = "/api/providers/"
TOP_KEYS = {"count", "count_capped", "location", "results", "at_home", "next", "previous"}
RESULT_KEYS = {
    "id", "slug", "name", "url", "distance_miles", "nearest_location", "conditions",
    "treatments", "serves_states", "accepting_new_patients", "phone", "website", "price_min",
    "price_max", "payment_options", "languages", "kap", "rems_certified", "last_verified",
}  # fmt: skip
SITE_KEYS = {"address1", "city", "state", "zip", "latitude", "longitude"}
PARAMS = [
    "condition", "treatment", "accepting", "near", "lat", "lng", "radius", "page", "page_size",
    "payment", "max_price", "language", "kap", "sort",
]  # fmt: skip
HOSTILE = [
    "x" * 5000, "9" * 5000,  # more digits than Python will turn into an int
    "\x00", "\x1b[31m\r\n\t\x7f", "%00%27", "   ", "NaN", "-inf", "1e309",
    "' OR '1'='1'; DROP TABLE directory_provider; --", '<script>alert("x")</script>',
    "😀🔥 Austin, TX",
]  # fmt: skip


def get(client, **params):
    return client.get(API, params)


def assert_errors(response, *fields):
    """A 400 whose body is exactly {"errors": {field: [message, ...]}} for `fields`."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"]
    assert set(body["errors"]) == set(fields)
    for messages in body["errors"].values():
        assert messages
        assert all(isinstance(message, str) and message for message in messages)


def test_zip_search_has_the_documented_shape_and_types(client, providers):
    body = get(client, near="78701").json()

    assert set(body) == TOP_KEYS
    assert body["location"] == {
        "query": "78701",
        "label": "Austin, TX 78701",
        "latitude": 30.2713,
        "longitude": -97.7426,
        "state": "TX",
    }
    # Nearest first; the draft is never shown; the at-home-only service is no clinic.
    assert body["count"] == 2
    assert [r["name"] for r in body["results"]] == [
        "Austin Ketamine Clinic",
        "Round Rock Infusion Center",
    ]
    austin = body["results"][0]
    assert set(austin) == RESULT_KEYS
    assert isinstance(austin["id"], int)
    assert austin["slug"] == "austin-ketamine-clinic"
    assert austin["url"] == "http://testserver/providers/austin-ketamine-clinic/"
    assert austin["distance_miles"] == pytest.approx(0.285, abs=0.01)
    assert austin["nearest_location"] == {
        "address1": "100 Congress Ave",
        "city": "Austin",
        "state": "TX",
        "zip": "78701",
        "latitude": 30.2672,
        "longitude": -97.7431,
    }
    assert austin["conditions"] == ["depression", "ptsd"]
    assert austin["treatments"] == ["iv-infusion"]
    assert austin["serves_states"] == []
    assert austin["accepting_new_patients"] is True
    assert austin["phone"] == "(512) 555-0100"
    assert austin["website"] == "https://austin-ketamine.example"
    round_rock = body["results"][1]
    assert isinstance(round_rock["distance_miles"], float)
    assert round_rock["distance_miles"] > austin["distance_miles"]
    assert round_rock["accepting_new_patients"] is None  # unknown, not false

    [home] = body["at_home"]
    assert set(home) == RESULT_KEYS
    assert home["name"] == "Lone Star Ketamine at Home"
    assert home["distance_miles"] is None
    assert home["nearest_location"] is None
    assert home["serves_states"] == ["OH", "TX"]
    assert body["next"] is None
    assert body["previous"] is None


@pytest.mark.parametrize("near", ["TX", "tx", "Texas"])
def test_state_search_has_no_coordinates_and_no_distances(client, providers, near):
    body = get(client, near=near).json()

    assert body["location"]["state"] == "TX"
    assert body["location"]["label"] == "Texas"
    assert body["location"]["latitude"] is None
    assert body["location"]["longitude"] is None
    assert body["count"] == 2
    for result in body["results"]:
        assert result["distance_miles"] is None
        assert set(result["nearest_location"]) == SITE_KEYS
        assert result["nearest_location"]["state"] == "TX"
    assert [home["name"] for home in body["at_home"]] == ["Lone Star Ketamine at Home"]


def test_search_without_location_lists_every_clinic_and_no_at_home(client, providers):
    body = get(client).json()

    assert body["location"] is None
    assert body["count"] == 2
    assert {r["name"] for r in body["results"]} == {
        "Austin Ketamine Clinic",
        "Round Rock Infusion Center",
    }
    assert all(r["distance_miles"] is None for r in body["results"])
    # At-home options belong to a state; without a place there is none to show.
    assert body["at_home"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"near": "78701-1234"},
        {"near": "Austin, TX"},
        {"near": "Austin, Texas"},
        {"near": "austin tx"},
        {"lat": "30.2672", "lng": "-97.7431"},
    ],
)
def test_every_documented_location_form_is_understood(client, providers, params):
    body = get(client, **params).json()

    assert body["location"]["state"] == "TX"
    assert body["location"]["latitude"] == pytest.approx(30.27, abs=0.05)
    assert body["results"][0]["name"] == "Austin Ketamine Clinic"


def test_filters_narrow_the_results(client, providers):
    def names(**params):
        return [r["name"] for r in get(client, near="78701", **params).json()["results"]]

    assert names(condition="chronic-pain") == ["Round Rock Infusion Center"]
    assert names(accepting="1") == ["Austin Ketamine Clinic"]
    assert names(radius="10") == ["Austin Ketamine Clinic"]
    # Treatments are repeatable and any one of them matches.
    assert len(names(treatment=["im-injection", "esketamine-nasal-spray"])) == 1
    assert len(names(treatment=["im-injection", "iv-infusion"])) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "Springfeld"}, "near"),
        ({"near": "x" * 101}, "near"),
        ({"radius": "30"}, "radius"),
        ({"radius": "abc"}, "radius"),
        ({"lat": "90.01", "lng": "0"}, "lat"),
        ({"lat": "-91", "lng": "0"}, "lat"),
        ({"lat": "30", "lng": "180.5"}, "lng"),
        ({"lat": "30", "lng": "-181"}, "lng"),
        ({"lat": "30.27"}, "lng"),
        ({"lng": "-97.74"}, "lat"),
        ({"lat": "abc", "lng": "-97.74"}, "lat"),
        ({"lat": "30.27", "lng": "abc"}, "lng"),
        ({"lat": "35", "lng": "-40"}, "lat"),  # mid-Atlantic: no U.S. place near it
        ({"condition": "nope"}, "condition"),
        ({"treatment": "nope"}, "treatment"),
        ({"treatment": ["iv-infusion", "nope"]}, "treatment"),
        ({"accepting": "yes"}, "accepting"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
    ],
)
def test_each_bad_input_is_a_400_naming_its_field(client, providers, params, field):
    assert_errors(get(client, **params), field)


def test_a_point_in_the_gulf_of_guinea_is_not_a_us_location(client, providers):
    # lat=0, lng=0 is in range but nowhere near the U.S.; it must be refused like
    # any other point at sea. (The gazetteer holds PO-box ZIPs placed at 0,0.)
    assert_errors(get(client, lat="0", lng="0"), "lat")


def test_several_bad_fields_are_reported_together(client, providers):
    response = get(
        client, near="Springfeld", radius="7", condition="nope", treatment="nope", page_size="0"
    )

    assert_errors(response, "near", "radius", "condition", "treatment", "page_size")
    assert response.json()["errors"]["near"] == [
        'We couldn\'t find "Springfeld". Try a ZIP code or City, ST.'
    ]


def test_a_page_past_the_end_is_a_400(client, providers):
    assert_errors(get(client, near="78701", page="2"), "page")
    assert_errors(get(client, near="78701", page="3", page_size="1"), "page")
    assert get(client, near="78701", page="2", page_size="1").status_code == 200


def test_page_size_100_is_the_largest_accepted(client, providers):
    response = get(client, near="78701", page_size="100")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_next_and_previous_keep_every_filter(client, providers):
    for n in (1, 2):
        cast.make_provider(
            name=f"Congress Clinic {n}",
            conditions=["depression"],
            treatments=["iv-infusion"],
            locations=[{"address1": f"{n} Congress Ave", "city": "Austin", "state_id": "TX",
                        "zip": "78701", "latitude": 30.27 + n / 100, "longitude": -97.74}],
        )  # fmt: skip
    filters = {
        "near": ["78701"],
        "radius": ["25"],
        "condition": ["depression"],
        "treatment": ["iv-infusion", "im-injection"],
        "page_size": ["1"],
    }
    seen = []
    url = f"{API}?{'&'.join(f'{k}={v}' for k, vs in filters.items() for v in vs)}"
    while url:
        body = client.get(url).json()
        assert body["count"] == 3
        seen.append(body["results"][0]["name"])
        page = len(seen)
        if body["next"]:
            assert parse_qs(urlsplit(body["next"]).query) == {**filters, "page": [str(page + 1)]}
        if page == 1:
            assert body["previous"] is None
        elif page == 2:
            # Page 1 is the URL without a page number.
            assert parse_qs(urlsplit(body["previous"]).query) == filters
        else:
            assert parse_qs(urlsplit(body["previous"]).query) == {**filters, "page": ["2"]}
            assert body["next"] is None
        url = body["next"]
    assert seen == ["Austin Ketamine Clinic", "Congress Clinic 1", "Congress Clinic 2"]


@pytest.mark.parametrize("param", PARAMS)
def test_hostile_strings_never_cause_a_server_error(client, providers, param):
    # The other coordinate, so lat and lng are also checked as a pair.
    partner = {"lat": {"lng": "-97.74"}, "lng": {"lat": "30.27"}}.get(param, {})
    for value in HOSTILE:
        response = get(client, **partner, **{param: value})
        assert response.status_code in {200, 400}, (param, value)
        if response.status_code == 400:
            assert_errors(response, *response.json()["errors"])
        else:
            assert set(response.json()) == TOP_KEYS


def test_schema_describes_the_search(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/providers/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(PARAMS) <= set(parameters)
    # drf-spectacular sorts enums its own way; the set is what matters.
    assert set(parameters["radius"]["schema"]["enum"]) == {10, 25, 50, 100, 250}
    assert {"200", "400"} <= set(operation["responses"])


def test_the_api_sets_no_cookies(client, providers):
    # A public read-only API: no session, no CSRF token, whatever the outcome.
    for params in ({"near": "78701"}, {"near": "Springfeld"}, {}):
        response = get(client, **params)
        assert response.cookies == {}, params


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_refused_with_405(client, method):
    response = getattr(client, method)(API, {"near": "78701"})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
