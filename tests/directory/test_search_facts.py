"""Searching by the facts patients decide on: payment, max_price, language, kap, and sort.

The same inputs on /clinics/ and /api/providers/; any value within a filter,
all filters together; the at-home options narrowed like the clinics.
"""

from datetime import date

import pytest
from django.core.cache import cache

from directory.gazetteer import _find_place
from directory.models import Place, Provider
from directory.reference import forget_reference
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

API = "/api/providers/"


def point(zip_code):
    place = Place.objects.get(zip=zip_code)
    return place.latitude, place.longitude


def clinic(name, miles_east=0.0, **fields):
    """A published clinic in Austin, `miles_east` of 78701 (about 58 miles a degree there)."""
    lat, lng = point("78701")
    site = {
        "address1": "1 Congress Ave",
        "city": "Austin",
        "state_id": "TX",
        "zip": "78701",
        "latitude": lat,
        "longitude": lng + miles_east / 58,
    }
    return make_provider(name=name, locations=[site], **fields)


def home(name, **fields):
    """A published at-home service for Texas."""
    return make_provider(name=name, serves_states=["TX"], **fields)


def api(client, **params):
    response = client.get(API, {"near": "78701", **params})
    assert response.status_code == 200, response.content
    return response.json()


def names(rows):
    return [row["name"] for row in rows]


@pytest.fixture
def cast():
    """Clinics and at-home services with different facts, some unknown."""
    clinic(
        "Alpha Clinic",
        1,
        payment_options=["medicare", "self-pay"],
        languages=["en", "es"],
        price_min=400,
        price_max=700,
        kap=Provider.Kap.IN_HOUSE,
        last_verified=date(2026, 9, 1),
    )
    clinic(
        "Bravo Clinic",
        2,
        payment_options=["commercial-insurance"],
        payment_declined=["medicare"],
        languages=["en"],
        price_min=300,
        kap=Provider.Kap.PARTNER,
        last_verified=date(2026, 11, 1),
    )
    clinic(
        "Charlie Clinic",
        3,
        payment_options=["hsa-fsa"],
        languages=["vi"],
        price_min=900,
        kap=Provider.Kap.NOT_OFFERED,
    )
    clinic("Delta Clinic", 4)  # everything unknown
    home(
        "Echo at Home",
        payment_options=["self-pay"],
        languages=["es"],
        price_min=150,
        kap=Provider.Kap.IN_HOUSE,
        last_verified=date(2026, 10, 1),
    )
    home("Foxtrot at Home", payment_options=["tricare"], price_min=250)
    home("Golf at Home")  # everything unknown


# --- Each filter alone ----------------------------------------------------------


def test_payment_matches_any_of_the_options_given(client, cast):
    body = api(client, payment=["medicare", "hsa-fsa"])
    assert names(body["results"]) == ["Alpha Clinic", "Charlie Clinic"]
    # Bravo declined Medicare; Delta's payment is unknown: neither is shown.
    assert names(body["at_home"]) == []

    body = api(client, payment="self-pay")
    assert names(body["results"]) == ["Alpha Clinic"]
    assert names(body["at_home"]) == ["Echo at Home"]


def test_max_price_compares_the_lowest_price_and_leaves_out_unknown_prices(client, cast):
    body = api(client, max_price=400)
    assert names(body["results"]) == ["Alpha Clinic", "Bravo Clinic"]  # 400 is at most 400
    assert names(body["at_home"]) == ["Echo at Home", "Foxtrot at Home"]

    assert names(api(client, max_price=0)["results"]) == []
    assert names(api(client, max_price=299)["results"]) == []
    assert names(api(client, max_price=5000)["results"]) == [
        "Alpha Clinic",
        "Bravo Clinic",
        "Charlie Clinic",
    ]


def test_language_finds_providers_whose_staff_speak_it(client, cast):
    body = api(client, language="es")
    assert names(body["results"]) == ["Alpha Clinic"]
    assert names(body["at_home"]) == ["Echo at Home"]
    assert names(api(client, language="vi")["results"]) == ["Charlie Clinic"]
    assert names(api(client, language="fr")["results"]) == []


def test_kap_means_in_house_or_through_a_partner(client, cast):
    body = api(client, kap="1")
    assert names(body["results"]) == ["Alpha Clinic", "Bravo Clinic"]
    assert names(body["at_home"]) == ["Echo at Home"]
    # kap=0 is "no preference", as accepting=0 is.
    assert len(api(client, kap="0")["results"]) == 4


# --- Together -------------------------------------------------------------------


def test_filters_combine_all_across_and_any_within(client, cast):
    body = api(
        client,
        payment=["medicare", "commercial-insurance", "self-pay"],
        language="en",
        kap="1",
        max_price=350,
    )
    assert names(body["results"]) == ["Bravo Clinic"]
    body = api(client, payment=["medicare", "commercial-insurance"], language="es")
    assert names(body["results"]) == ["Alpha Clinic"]
    body = api(client, payment="self-pay", language="es", kap="1", max_price=200)
    assert names(body["results"]) == []
    assert names(body["at_home"]) == ["Echo at Home"]


def test_new_filters_combine_with_todays(client, cast):
    make_provider(
        name="Hotel Clinic",
        conditions=["ptsd"],
        payment_options=["medicare"],
        accepting_new_patients=True,
        locations=[
            {
                "address1": "2 Lamar Blvd",
                "city": "Austin",
                "state_id": "TX",
                "zip": "78701",
                "latitude": 30.27,
                "longitude": -97.75,
            }
        ],
    )
    body = api(client, payment="medicare", condition="ptsd", accepting="1")
    assert names(body["results"]) == ["Hotel Clinic"]


# --- Sorting --------------------------------------------------------------------


def test_distance_is_the_default_order_with_a_point(client, cast):
    expected = ["Alpha Clinic", "Bravo Clinic", "Charlie Clinic", "Delta Clinic"]
    assert names(api(client)["results"]) == expected
    assert names(api(client, sort="distance")["results"]) == expected


def test_price_sort_puts_the_lowest_first_and_unknown_last(client, cast):
    body = api(client, sort="price")
    assert names(body["results"]) == [
        "Bravo Clinic",
        "Alpha Clinic",
        "Charlie Clinic",
        "Delta Clinic",
    ]
    assert names(body["at_home"]) == ["Echo at Home", "Foxtrot at Home", "Golf at Home"]


def test_price_ties_are_broken_by_distance(client, cast):
    clinic("Zulu Clinic", 0.5, price_min=300)
    clinic("Yankee Clinic", 5, price_min=300)
    body = api(client, sort="price")
    assert names(body["results"])[:3] == ["Zulu Clinic", "Bravo Clinic", "Yankee Clinic"]


def test_verified_sort_puts_the_most_recent_first_and_never_verified_last(client, cast):
    body = api(client, sort="verified")
    assert names(body["results"]) == [
        "Bravo Clinic",
        "Alpha Clinic",
        "Charlie Clinic",
        "Delta Clinic",
    ]
    assert names(body["at_home"]) == ["Echo at Home", "Foxtrot at Home", "Golf at Home"]


def test_name_sort(client, cast):
    clinic("Aardvark Clinic", 6)
    body = api(client, sort="name")
    assert names(body["results"])[:2] == ["Aardvark Clinic", "Alpha Clinic"]


def test_sorts_work_without_a_point_too(client, cast):
    response = client.get(API, {"near": "TX", "sort": "price"})
    assert names(response.json()["results"]) == [
        "Bravo Clinic",
        "Alpha Clinic",
        "Charlie Clinic",
        "Delta Clinic",
    ]
    response = client.get(API, {"sort": "verified"})
    assert names(response.json()["results"])[:2] == ["Bravo Clinic", "Alpha Clinic"]


# --- What the API rows say ------------------------------------------------------


def test_rows_carry_the_facts_with_null_for_unknown(client, cast):
    rows = {row["name"]: row for row in api(client)["results"]}
    alpha, delta = rows["Alpha Clinic"], rows["Delta Clinic"]
    assert alpha["price_min"] == 400
    assert alpha["price_max"] == 700
    assert alpha["payment_options"] == ["medicare", "self-pay"]
    assert alpha["languages"] == ["en", "es"]
    assert alpha["kap"] == "in-house"
    assert alpha["last_verified"] == "2026-09-01"
    assert rows["Bravo Clinic"]["payment_options"] == ["commercial-insurance"]  # not declined
    assert rows["Charlie Clinic"]["kap"] == "not-offered"
    for key in ["price_min", "price_max", "kap", "rems_certified", "last_verified"]:
        assert delta[key] is None
    assert delta["payment_options"] == delta["languages"] == []


# --- Bad input ------------------------------------------------------------------

BAD = [
    ({"payment": "bitcoin"}, "payment", "is not a payment option"),
    ({"payment": ["medicare", ""]}, "payment", "is not a payment option"),
    ({"max_price": "cheap"}, "max_price", "whole number of dollars"),
    ({"max_price": "-1"}, "max_price", "whole number of dollars"),
    ({"max_price": "12.5"}, "max_price", "whole number of dollars"),
    ({"max_price": "9" * 40}, "max_price", "at most"),
    ({"language": "spanish"}, "language", "ISO 639-1"),
    ({"language": "xx"}, "language", "ISO 639-1"),
    ({"kap": "yes"}, "kap", "valid choice"),
    ({"sort": "cheapest"}, "sort", "is not a sort order"),
]


@pytest.mark.parametrize(("params", "field", "message"), BAD)
def test_bad_values_answer_400_with_the_field_and_a_message(client, params, field, message):
    response = client.get(API, {"near": "78701", **params})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]

    page = client.get("/clinics/", {"near": "78701", **params})
    assert page.status_code == 400
    assert message in page.content.decode().replace("&quot;", '"')


def test_sorting_by_distance_needs_a_point(client):
    for params in [{}, {"near": "TX"}]:
        response = client.get(API, {**params, "sort": "distance"})
        assert response.status_code == 400
        assert response.json() == {
            "errors": {"sort": ["Sorting by distance needs a ZIP code or City, ST."]}
        }


# --- The page -------------------------------------------------------------------


def test_the_filters_sit_under_more_filters_and_open_when_used(client, cast):
    closed = client.get("/clinics/", {"near": "78701"}).content.decode()
    details = closed[closed.index('<details class="more-filters"') :]
    details = details[: details.index("</details>")]
    for name in ["payment", "max_price", "language", "kap", "sort"]:
        assert f'name="{name}"' in details
    assert closed.count('<details class="more-filters">') == 1  # not open

    used = client.get("/clinics/", {"near": "78701", "language": "es"}).content.decode()
    assert '<details class="more-filters" open>' in used
    assert '<option value="es" selected>Spanish</option>' in used


def test_page_links_keep_every_filter(client):
    for i in range(25):
        clinic(f"Paged Clinic {i:02}", i / 10, payment_options=["medicare"], price_min=300 + i)
    params = {
        "near": "78701",
        "payment": ["medicare", "tricare"],
        "max_price": "900",
        "language": "",
        "sort": "price",
    }
    html = client.get("/clinics/", params).content.decode()
    link = html[html.index('rel="next"') - 200 : html.index('rel="next"')]
    for part in ["payment=medicare", "payment=tricare", "max_price=900", "sort=price", "page=2"]:
        assert part in link
    second = client.get("/clinics/", {**params, "page": "2"}).content.decode()
    assert "Paged Clinic 24" in second


def test_an_empty_result_offers_the_search_without_the_new_filters(client, cast):
    html = client.get("/clinics/", {"near": "78701", "language": "fr"}).content.decode()
    assert "without the payment, price, language and psychotherapy filters" in html


# --- Cost -----------------------------------------------------------------------


@pytest.fixture
def busy_austin():
    """30 clinics that match every filter, and a few at-home services."""
    facts = {
        "payment_options": ["medicare", "self-pay"],
        "languages": ["en", "es"],
        "kap": Provider.Kap.IN_HOUSE,
        "price_min": 300,
        "conditions": ["depression"],
    }
    for i in range(30):
        clinic(f"Busy Clinic {i:02}", i, **facts)
    for i in range(3):
        home(f"Busy Home {i}", **facts)


PLAIN = {"near": "78701", "condition": "depression"}
EVERY_FILTER = {
    **PLAIN,
    "payment": ["medicare", "tricare"],
    "max_price": "500",
    "language": "es",
    "kap": "1",
    "sort": "price",
}


@pytest.mark.parametrize("path", [API, "/clinics/"])
def test_every_new_filter_costs_at_most_one_query_more_whatever_the_page_size(
    client, busy_austin, django_assert_max_num_queries, path
):
    def queries(params):
        cache.clear()
        _find_place.cache_clear()
        forget_reference()
        client.get(path, params)  # warm: the place and the reference data are cached
        with django_assert_max_num_queries(10) as captured:
            response = client.get(path, params)
        assert response.status_code == 200
        return len(captured)

    sizes = [{"page_size": 5}, {"page_size": 100}] if path == API else [{}, {"page": 2}]
    for size in sizes:
        plain, filtered = queries({**PLAIN, **size}), queries({**EVERY_FILTER, **size})
        assert filtered <= plain + 1
    if path == API:
        assert len(client.get(path, {**EVERY_FILTER, "page_size": 100}).json()["results"]) == 30
