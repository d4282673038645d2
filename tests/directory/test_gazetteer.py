"""What a patient types → a ZIP, a city or a state, from the offline gazetteer."""

import pytest
from django.core.management import call_command

from directory.gazetteer import find_place, nearest_place, normalize_name
from directory.models import Place

pytestmark = pytest.mark.django_db


def test_zip_code_gives_its_centre_and_state():
    place = find_place("78701")
    assert (place.kind, place.state, place.label) == ("zip", "TX", "Austin, TX 78701")
    assert place.point == pytest.approx((30.2713, -97.7426), abs=1e-4)


@pytest.mark.parametrize("query", ["78701-1234", "787011234", " 78701 1234 "])
def test_zip_plus_four_gives_the_five_digit_zip(query):
    assert find_place(query).label == "Austin, TX 78701"


def test_full_width_digits_are_read_as_a_zip():
    assert find_place("\uff17\uff18\uff17\uff10\uff11").label == "Austin, TX 78701"


@pytest.mark.parametrize(
    "query", ["Austin, TX", "austin, tx", "Austin, Texas", "austin tx", "AUSTIN TEXAS", "Austin,TX"]
)
def test_city_with_state_code_or_name_in_any_case(query):
    place = find_place(query)
    assert (place.kind, place.label, place.state) == ("city", "Austin, TX", "TX")


def test_city_centre_is_near_its_zip_codes():
    from directory.geo import distance_miles

    assert distance_miles(find_place("Austin, TX").point, find_place("78701").point) < 10


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("St. Louis, MO", "Saint Louis, MO"),
        ("St Louis MO", "Saint Louis, MO"),
        ("saint louis, missouri", "Saint Louis, MO"),
        ("Ft. Worth, TX", "Fort Worth, TX"),
        ("Fort Worth, Texas", "Fort Worth, TX"),
        ("ft worth tx", "Fort Worth, TX"),
        ("Port St. Lucie, FL", "Port Saint Lucie, FL"),
        ("Coeur d'Alene, ID", "Coeur D Alene, ID"),
        ("Winston-Salem, NC", "Winston Salem, NC"),
        ("New York, NY", "New York, NY"),
        ("new york new york", "New York, NY"),
        ("Washington, DC", "Washington, DC"),
        ("San Juan, PR", "San Juan, PR"),
        ("Honolulu, HI", "Honolulu, HI"),
        ("Anchorage, AK", "Anchorage, AK"),
    ],
)
def test_city_spelling_variants(query, label):
    assert find_place(query).label == label


@pytest.mark.parametrize(
    ("query", "code", "label"),
    [
        ("OH", "OH", "Ohio"),
        ("oh", "OH", "Ohio"),
        ("Ohio", "OH", "Ohio"),
        ("new york", "NY", "New York"),
        ("District of Columbia", "DC", "District of Columbia"),
        ("Puerto Rico", "PR", "Puerto Rico"),
    ],
)
def test_state_name_or_code_gives_the_state(query, code, label):
    place = find_place(query)
    assert (place.kind, place.state, place.label, place.point) == ("state", code, label, None)


@pytest.mark.parametrize(
    "query",
    [
        "Springfeld",
        "00000",
        "99999",
        "Austin, ZZ",
        "Nowhere, TX",
        "",
        "   ",
        "x" * 500,
        "'; DROP TABLE directory_place; --",
        "<script>alert(1)</script>",
        "🙂 78701",
        "\x00\x1f",
        "7870١",  # an Arabic-Indic digit is not a ZIP digit
    ],
)
def test_unknown_or_hostile_input_finds_nothing(query):
    assert find_place(query) is None


def test_city_name_in_several_states_needs_a_state():
    assert find_place("Springfield") is None  # Illinois, Missouri, Massachusetts …
    assert find_place("Springfield, IL").state == "IL"


def test_normalize_name_folds_abbreviations_accents_and_punctuation():
    assert normalize_name("St. Mary's") == normalize_name("saint mary s")
    assert normalize_name("Cañon City") == "canon city"
    assert normalize_name("Mt. Vernon") == "mount vernon"


def test_nearest_place_to_a_point_is_the_closest_zip():
    place = nearest_place(30.2713, -97.7426)
    assert (place.zip, place.state_id) == ("78701", "TX")
    assert nearest_place(0.0, -150.0) is None  # the middle of the Pacific


def test_gazetteer_covers_every_state_dc_and_territory_but_not_military_mail():
    from directory.states import STATES

    states = set(Place.objects.filter(kind="zip").values_list("state_id", flat=True).distinct())
    assert states == set(STATES)


def test_load_gazetteer_is_idempotent(capsys):
    before = Place.objects.count()
    call_command("load_gazetteer")
    assert "Already loaded" in capsys.readouterr().out
    assert Place.objects.count() == before


def test_load_gazetteer_repairs_a_partial_table(capsys):
    Place.objects.filter(state_id="RI").delete()
    call_command("load_gazetteer")
    assert capsys.readouterr().out.startswith("Loaded")
    assert find_place("02903").label == "Providence, RI 02903"


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("MT", "Montana"),
        ("mt", "Montana"),
        ("Missoula, MT", "Missoula, MT"),
        ("Missoula MT", "Missoula, MT"),
        ("Mt Vernon WA", "Mount Vernon, WA"),  # and in a city's name it still is
    ],
)
def test_montana_is_not_read_as_mount(query, label):
    # "Mt" abbreviates "Mount" in place names, but never in a state's code.
    assert find_place(query).label == label
