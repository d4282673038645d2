"""GET /api/places/?q=: the location field's type-ahead, from the offline gazetteer."""

import pytest

from directory.filters import SearchForm
from directory.gazetteer import MAX_QUERY_LENGTH
from directory.typeahead import forget_place_index, place_index

pytestmark = pytest.mark.django_db

API = "/api/places/"


def results(client, q):
    response = client.get(API, {"q": q})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def labels(client, q):
    return [row["label"] for row in results(client, q)]


def assert_errors(response):
    """A 400 whose body is exactly {"errors": {"q": [message, ...]}}."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["errors"]
    assert list(body["errors"]) == ["q"]
    assert body["errors"]["q"]
    assert all(isinstance(message, str) and message for message in body["errors"]["q"])


def test_city_prefix_has_the_documented_shape(client):
    response = client.get(API, {"q": "Austi"})

    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["results"]
    assert body["results"][0] == {"label": "Austin, TX", "kind": "city", "state": "TX"}
    for row in body["results"]:
        assert set(row) == {"label", "kind", "state"}
        assert row["label"].startswith("Austin")


def test_zip_prefix_gives_its_zip_codes_in_order(client):
    rows = results(client, "787")

    assert len(rows) == 8
    assert rows[0] == {"label": "78701 · Austin, TX", "kind": "zip", "state": "TX"}
    codes = [row["label"][:5] for row in rows]
    assert codes == sorted(codes)
    assert all(code.startswith("787") for code in codes)
    assert all(row["kind"] == "zip" for row in rows)


@pytest.mark.parametrize(
    "query", ["78701", "78701-1234", "78701-12", "\uff17\uff18\uff17\uff10\uff11"]
)
def test_a_whole_zip_or_zip_plus_four_gives_that_zip(client, query):
    assert labels(client, query) == ["78701 · Austin, TX"]


def test_at_most_eight_suggestions(client):
    for query in ["s", "a", "7", "new", "san"]:
        assert len(results(client, query)) == 8, query


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("hou", "Houston, TX"),  # not Houma or Houtzdale
        ("san", "San Antonio, TX"),
        ("chic", "Chicago, IL"),
        ("phil", "Philadelphia, PA"),
    ],
)
def test_the_city_with_the_most_zip_codes_comes_first(client, query, first):
    assert labels(client, query)[0] == first


def test_between_equally_heavy_places_the_whole_name_comes_first(client):
    found = labels(client, "York")
    assert found.index("York, PA") < found.index("Yorktown, VA")  # 9 ZIP codes, then 5
    # York in Alabama and Maine have one ZIP code each, as York Beach, ME has.
    assert {"York, AL", "York, ME"} <= set(found)
    assert "York Beach, ME" not in found


def test_a_small_place_with_the_whole_name_does_not_push_big_ones_out(client):
    found = labels(client, "Palm")
    assert found[0] == "Palm Bay, FL"
    assert "Palm Springs, CA" in found
    assert "Palm, PA" not in found


@pytest.mark.parametrize("query", ["St Lo", "st lo", "St. Lo", "saint lo", "Saint Louis"])
def test_st_and_saint_find_saint_louis_and_saint_louis_park(client, query):
    found = labels(client, query)
    assert found[0] == "Saint Louis, MO"
    assert "Saint Louis Park, MN" in found


def test_st_being_typed_may_still_be_a_name_starting_with_st(client):
    found = labels(client, "st")
    assert "Saint Louis, MO" in found
    assert "Stockton, CA" in found


def test_ft_and_mt_are_fort_and_mount(client):
    assert labels(client, "ft wor")[0] == "Fort Worth, TX"
    assert labels(client, "Mt Vern")[0].startswith("Mount Vernon, ")


def test_a_state_name_prefix_gives_the_state_first(client):
    rows = results(client, "tex")
    assert rows[0] == {"label": "Texas", "kind": "state", "state": "TX"}
    assert {"label": "Texarkana, TX", "kind": "city", "state": "TX"} in rows


@pytest.mark.parametrize(
    ("query", "label"), [("oh", "Ohio"), ("TX", "Texas"), ("new y", "New York")]
)
def test_a_state_code_or_name_gives_the_state(client, query, label):
    assert labels(client, query)[0] == label


def test_city_with_a_state_being_typed(client):
    assert labels(client, "Austin, T") == ["Austin, TX"]
    assert labels(client, "austin tx") == ["Austin, TX"]
    assert labels(client, "Springfield, I") == ["Springfield, IL", "Springfield, ID"]
    assert labels(client, "Austin, ZZ") == []


def test_puerto_rico_and_the_other_territories(client):
    assert labels(client, "San Juan")[0] == "San Juan, PR"
    assert labels(client, "puerto")[0] == "Puerto Rico"
    assert labels(client, "Guam") == ["Guam"]
    assert labels(client, "virgin is") == ["U.S. Virgin Islands"]
    assert labels(client, "us virgin") == ["U.S. Virgin Islands"]
    assert labels(client, "American Sam") == ["American Samoa"]
    assert labels(client, "Northern Mar") == ["Northern Mariana Islands"]
    assert results(client, "Saipan")[0] == {"label": "Saipan, MP", "kind": "city", "state": "MP"}
    assert results(client, "Pago Pago") == [
        {"label": "Pago Pago, AS", "kind": "city", "state": "AS"}
    ]
    assert labels(client, "009")[0] == "00901 · San Juan, PR"
    assert labels(client, "969")[0].endswith(", GU")
    assert labels(client, "008")[0].endswith(", VI")
    assert labels(client, "washington, d")[0] == "Washington, DC"


@pytest.mark.parametrize(
    "query", ["Springfeld", "zzz", "99999", "00000", "Nowhere, TX", "🙂", "<script>", "' OR 1=1 --"]
)
def test_text_that_matches_nothing_gives_no_results(client, query):
    response = client.get(API, {"q": query})
    assert response.status_code == 200
    assert response.json() == {"results": []}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "Aus\x00tin"},
        {"q": "Austin\n"},
        {"q": "\x1b[31m"},
        {"q": "x" * (MAX_QUERY_LENGTH + 1)},
        {"q": "a" * MAX_QUERY_LENGTH + " "},  # the bound is on what was sent
    ],
)
def test_bad_input_is_a_400_with_errors(client, params):
    assert_errors(client.get(API, params))


def test_the_longest_query_allowed_is_answered(client):
    response = client.get(API, {"q": "a" * MAX_QUERY_LENGTH})
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_every_suggestion_is_a_place_the_search_understands(client):
    for query in ["787", "St Lo", "tex", "San Juan", "Guam", "virgin is", "washington, d"]:
        for row in results(client, query):
            value = row["label"][:5] if row["kind"] == "zip" else row["label"]
            form = SearchForm({"near": value})
            assert form.is_valid(), (row, form.errors)
            place = form.cleaned_data["place"]
            assert (place.kind, place.state) == (row["kind"], row["state"]), row


def test_the_index_is_built_with_one_query_then_answers_with_none(
    client, django_assert_num_queries
):
    forget_place_index()
    with django_assert_num_queries(1):
        assert labels(client, "Austin, T") == ["Austin, TX"]
    with django_assert_num_queries(0):
        assert labels(client, "787")[0] == "78701 · Austin, TX"
        assert labels(client, "tex")[0] == "Texas"
        assert_errors(client.get(API, {"q": ""}))


def test_reloading_the_gazetteer_rebuilds_the_index(client):
    from django.core.management import call_command

    from directory.models import Place

    before = place_index()
    Place.objects.filter(state_id="RI").delete()
    assert labels(client, "Providence, R") == ["Providence, RI"]  # this process's copy
    call_command("load_gazetteer", verbosity=0)  # repairs the partial table
    assert place_index() is not before
    assert labels(client, "Providence, R") == ["Providence, RI"]


def test_answers_are_public_and_cacheable_and_set_no_cookie(client):
    response = client.get(API, {"q": "787"})
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_answers_are_served_from_the_response_cache(client, settings, django_assert_num_queries):
    settings.RESPONSE_CACHE_SECONDS = 300
    first = client.get(API, {"q": "hou"})
    # A second process would have no index: the cached answer needs none.
    forget_place_index()
    with django_assert_num_queries(0):
        second = client.get(API, {"q": "hou"})
    assert second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_is_allowed(client, method):
    response = getattr(client, method)(API, {"q": "787"})
    assert response.status_code == 405
    assert "GET" in response["Allow"]
