"""A state's clinics by city, price, when verified or name (directory.search.state_page):
read from the state's sites in order, the same pages, counts and shown sites as grouping
every clinic of the state (ProviderQuerySet.clinics_in_state, the way deep pages still
go)."""

import random
from datetime import date

import pytest
from django.core.paginator import InvalidPage

from directory.gazetteer import SearchedPlace
from directory.models import Provider
from directory.search import (
    COUNT_CAP,
    SITES_READ_PER_PROVIDER,
    SearchQuery,
    clinics_for,
    matching,
    paginate,
    search,
    shown_sites,
    state_page,
)
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

CITIES = ["Abilene", "Austin", "Austin", "Dallas", "El Paso", "Waco"]  # Austin twice as often


def site(city, state="TX"):
    return {"address1": f"{city} site", "city": city, "state_id": state, "zip": "78701"}


@pytest.fixture
def texas():
    """Forty clinics in Texas cities (ties on city, name, price and date verified; some
    prices and dates unknown), some with sites in several cities or another state,
    drafts among them, with different conditions."""
    rng = random.Random(18)
    for n in range(40):
        cities = rng.sample(CITIES, rng.choice([1, 1, 2, 3]))
        make_provider(
            name=f"{rng.choice(['Bluebonnet', 'Lone Star', 'Pecan'])} Clinic",
            slug=f"clinic-{n}",
            locations=[site(city) for city in cities]
            + ([site("Tulsa", "OK")] if n % 7 == 0 else []),
            conditions=[rng.choice(["depression", "ptsd"])],
            payment_options=[rng.choice(["self-pay", "medicare"])],
            price_min=rng.choice([None, 300, 300, 450, 600]),
            last_verified=rng.choice([None, date(2026, 9, 1), date(2026, 11, 2)]),
            status=Provider.Status.DRAFT if n % 11 == 0 else Provider.Status.PUBLISHED,
        )
    make_provider(name="Sooner Clinic", locations=[site("Abilene", "OK")])  # not in Texas


def grouped(query, page, page_size, strict=False):
    """The page as ProviderQuerySet.clinics_in_state gives it: (providers, their shown
    sites, the page's number, the count)."""
    clinics, number, paginator = paginate(
        clinics_for(query, matching(query)), page, page_size, strict
    )
    sites = shown_sites(clinics, query)
    return (
        [p.pk for p in clinics],
        [sites[p.pk].location.pk for p in clinics],
        number,
        paginator.count,
    )


def walked(query, page, page_size, strict=False):
    results = search(query, page=page, page_size=page_size, strict=strict)
    return (
        [card.provider.pk for card in results.clinics],
        [card.site.pk for card in results.clinics],
        results.page.number,
        results.count,
    )


TEXAS = SearchedPlace.whole_state("TX")


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(place=TEXAS),
        SearchQuery(place=TEXAS, condition="depression"),
        SearchQuery(place=TEXAS, payments=("medicare",)),
        SearchQuery(place=TEXAS, name_words=("pecan",)),
        SearchQuery(place=TEXAS, condition="ocd"),  # nobody
        SearchQuery(place=TEXAS, sort="price"),
        SearchQuery(place=TEXAS, condition="depression", sort="price"),
        SearchQuery(place=TEXAS, sort="verified"),
        SearchQuery(place=TEXAS, payments=("medicare",), sort="verified"),
        SearchQuery(place=TEXAS, sort="name"),
        SearchQuery(place=TEXAS, name_words=("clinic",), sort="name"),
    ],
    ids=[
        "all",
        "condition",
        "payment",
        "name",
        "none",
        "price",
        "condition-price",
        "verified",
        "payment-verified",
        "by-name",
        "name-by-name",
    ],
)
@pytest.mark.parametrize(
    ("page", "page_size"), [(1, 20), (1, 7), (2, 7), (5, 7), (99, 7), ("x", 7)]
)
def test_a_state_reads_the_same_pages_as_grouping_every_clinic(texas, query, page, page_size):
    assert state_page(query, page, page_size, strict=False) is not None  # the case this is about
    assert walked(query, page, page_size) == grouped(query, page, page_size)


def test_bad_page_numbers_are_refused_as_by_paginate(texas):
    query = SearchQuery(place=TEXAS)
    for page in ["0", "-1", "x", "1.5", "99"]:  # as a query string gives them
        with pytest.raises(InvalidPage) as walked_error:
            search(query, page=page, page_size=7, strict=True)
        with pytest.raises(InvalidPage) as grouped_error:
            grouped(query, page, 7, strict=True)
        assert type(walked_error.value) is type(grouped_error.value)


def test_a_chain_with_many_sites_first_in_the_state_falls_back_to_grouping(texas):
    make_provider(
        name="Aardvark Chain",
        slug="aardvark-chain",
        locations=[site("Abilene") for _ in range(SITES_READ_PER_PROVIDER * 8)],
    )
    query = SearchQuery(place=TEXAS)
    assert state_page(query, 1, 7, strict=False) is None  # too few providers in the rows read
    assert walked(query, 1, 7) == grouped(query, 1, 7)
    assert walked(query, 1, 7)[0][0] == Provider.objects.get(slug="aardvark-chain").pk


def test_deep_pages_group_every_clinic(texas):
    query = SearchQuery(place=TEXAS)
    page_size = 100
    deep = COUNT_CAP // page_size + 1
    assert state_page(query, deep, page_size, strict=False) is None
    assert walked(query, deep, page_size) == grouped(query, deep, page_size)


def test_a_page_of_a_state_is_one_query_with_its_count_and_shown_sites(
    texas, django_assert_num_queries
):
    query = SearchQuery(place=TEXAS, condition="depression")
    state_page(query, 1, 20, strict=False)  # the reference terms, memoised per process
    with django_assert_num_queries(1):
        clinics, sites, number, paginator = state_page(query, 1, 20, strict=False)
        assert (number, paginator.count) == (1, len(clinics))
        assert set(sites) == {p.pk for p in clinics}
