"""Searches around a point (directory.search.nearby): the same answers as ranking every
provider in the circle, a count capped at 1,000, and the copies of each provider's
status and conditions on its location rows kept in step."""

import random
from datetime import date

import pytest
from django.core.paginator import EmptyPage
from django.db import connection, transaction

from directory.facts import PAYMENT_OPTIONS
from directory.gazetteer import SearchedPlace
from directory.models import (
    SEARCH_COPIES,
    Condition,
    GreatCircleMiles,
    Location,
    Provider,
    Survey,
    Treatment,
)
from directory.reference import reference
from directory.search import (
    COUNT_CAP,
    NAME_WALK_CIRCLE,
    PAGE_SIZE,
    SITES_READ_PER_PROVIDER,
    SearchQuery,
    condition_of,
    matching,
    nearest_clinic,
    nearest_per_provider,
    nearest_sites,
    picked_sites,
    search,
    sites_near,
    walked_by_name,
)
from tests.cast import make_provider
from tests.directory.test_search import away, site, zip_point

pytestmark = pytest.mark.django_db

API = "/api/providers/"


def place_at(point):
    return SearchedPlace("zip", "78701", "78701 · Austin, TX", "TX", *point)


@pytest.fixture(scope="class")
def crowd(django_db_setup, django_db_blocker):
    """120 providers around Austin with one to three sites each: many on the very same
    spots (ties the name must break), some beyond 50 miles, drafts and closed ones,
    random conditions and prices.

    Built once for a class's tests (about 10 s, once for each of 36 tests before), in a
    transaction rolled back after them; each test's own changes roll back to a
    savepoint within it, as a test's always do.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_crowd()
        transaction.set_rollback(True)


def build_crowd():
    rng = random.Random(7)
    center = zip_point("78701")
    spots = [away(center, rng.uniform(0.5, 70), rng.uniform(0, 360)) for _ in range(40)]
    conditions = list(Condition.objects.values_list("slug", flat=True))
    treatments = list(Treatment.objects.values_list("slug", flat=True))
    for number in range(120):
        points = rng.sample(spots, rng.randint(1, 3))
        make_provider(
            name=f"{rng.choice(['Cedar', 'Agave', 'Pecan', 'Yucca'])} Clinic {number:03}",
            slug=f"crowd-{number}",
            status=rng.choices(["published", "draft", "closed"], weights=[8, 1, 1])[0],
            conditions=rng.sample(conditions, rng.randint(1, 4)),
            treatments=rng.sample(treatments, rng.randint(0, 2)),
            payment_options=rng.sample(list(PAYMENT_OPTIONS), rng.randint(0, 3)),
            languages=rng.choice([[], ["en"], ["en", "es"]]),
            accepting_new_patients=rng.choice([None, True, False]),
            kap=rng.choice(["", *Provider.Kap.values]),
            price_min=rng.choice([None, 300, 450, 600, 800]),
            locations=[site(point) for point in points],
            last_verified=rng.choice([None, date(2026, 9, 1), date(2026, 11, 2)]),
        )
    return center


def ranked(query):
    """Every matching provider in the circle, ranked as a page shows them: the oracle."""
    providers = matching(query, condition=False).near(
        query.place.point, query.radius, condition_of(query)
    )
    if query.sort == "price":
        providers = providers.cheapest_first()
    elif query.sort == "verified":
        providers = providers.recently_verified_first()
    elif query.sort == "name":
        providers = providers.order_by("name", "pk")
    return [(provider.pk, round(provider.distance, 6)) for provider in providers]


def test_the_nearest_clinic_is_the_nearest_in_miles_not_in_degrees():
    # Far north a degree of longitude is much shorter than one of latitude: the site
    # to the north is the nearer in degrees (PostgreSQL's index order), the one to the
    # east in miles (41.7 against 48.4).
    here = (48.0, -110.0)
    clinic_site = {"state": "MT", "city": "Havre"}
    make_provider(name="North Clinic", locations=[site((48.7, -110.0), **clinic_site)])
    east = make_provider(name="East Clinic", locations=[site((48.0, -109.1), **clinic_site)])
    make_provider(name="Closed Clinic", status="closed", locations=[site(here, **clinic_site)])
    card = nearest_clinic(SearchQuery(place=place_at(here), radius=10))
    assert card.provider == east
    assert card.distance == pytest.approx(41.7, abs=0.1)
    assert nearest_clinic(SearchQuery(place=place_at(here), name_words=("nowhere",))) is None


def test_a_query_no_clinic_anywhere_matches_reads_no_sites(django_assert_num_queries):
    make_provider(name="Havre Clinic", locations=[site((48.5, -109.7), state="MT", city="Havre")])
    make_provider(
        name="Austin Clinic", locations=[site((30.27, -97.74), state="TX", city="Austin")]
    )
    here = place_at((48.0, -110.0))
    reference()  # the process's terms, as a search has them by now
    # A mistyped name: one question of the providers, not a read of every site in the
    # country for each circle (about two seconds at a million providers).
    with django_assert_num_queries(1):
        assert nearest_clinic(SearchQuery(place=here, name_words=("havrr",))) is None
    # A match 1,500 miles away: on PostgreSQL the sites read nearest first in the one
    # widest circle, then those within the first one's distance ranked; on SQLite the
    # circles of 500 and 1,500 miles ranked. Then the card's terms.
    with django_assert_num_queries(4):
        card = nearest_clinic(SearchQuery(place=here, name_words=("austin",)))
    assert card.provider.name == "Austin Clinic"


def walked(query, number, page_size):
    """Page `number` as walked_by_name() reads it, as the oracle's rows; None if it gives up."""
    stop = number * page_size
    page = walked_by_name(query, query.radius, stop, stop - page_size)
    return None if page is None else [(s.provider_id, round(s.distance, 6)) for s in page]


def test_the_survey_says_about_how_many_sites_a_circle_holds():
    assert Survey(sites=300, providers=200, reach=None).sites_within(50) == 300  # all of them
    dense = Survey(sites=1500, providers=1400, reach=2.0, farthest=5.0)
    assert dense.sites_within(50) == 150_000
    assert dense.sites_within(2) == 1500  # no fewer than it read
    stacked = Survey(sites=1500, providers=1400, reach=0.0, farthest=0.0)  # on one spot
    assert stacked.sites_within(50) == 1500 * 50**2
    assert Survey(sites=1500, providers=1400, reach=2.0).sites_within(50) is None


def crowded(count, center, sites_each=1):
    """`count` published providers treating depression with `sites_each` sites within
    ten miles of `center`, written in bulk (as seed_demo does) and copied onto the sites."""
    rng = random.Random(count)
    providers = Provider.objects.bulk_create(
        Provider(name=f"Crowded {n:04}", slug=f"crowded-{n}", status="published",
                 name_search=f" crowded {n:04}")
        for n in range(count)
    )  # fmt: skip
    depression = Condition.objects.get(slug="depression")
    Provider.conditions.through.objects.bulk_create(
        Provider.conditions.through(provider=p, condition=depression) for p in providers
    )

    def spot():
        return site(away(center, rng.uniform(0, 10), rng.uniform(0, 360)))

    Location.objects.bulk_create(
        Location(provider=p, city_slug="austin", **spot())
        for p in providers
        for _ in range(sites_each)
    )
    Location.objects.copy_provider_filters()


def test_more_than_a_thousand_clinics_are_counted_as_such(client, django_assert_max_num_queries):
    crowded(3001, zip_point("78701"))
    data = client.get(API, {"near": "78701", "condition": "depression"}).json()
    assert data["count"] == COUNT_CAP
    assert data["count_capped"] is True
    html = client.get("/clinics/", {"near": "78701", "condition": "depression"}).text
    assert "More than 1,000 clinics within 50 miles" in html
    assert "Page 1 of more than 50" in html
    # Pages stop at the cap: the 50th is there, the 51st is past the end.
    last = client.get(API, {"near": "78701", "page": 50}).json()
    assert len(last["results"]) == 20
    assert last["next"] is None
    assert client.get(API, {"near": "78701", "page": 51}).status_code == 400
    html = client.get("/es/clinics/", {"near": "78701"}).text
    assert "Más de 1,000 clínicas a menos de 50 millas" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="surveys nearest first")
def test_a_dense_circle_by_name_is_walked_in_name_order(client, django_assert_max_num_queries):
    # 3,001 clinics within ten miles: the survey reads 1,500 and scales them to the
    # 50 miles asked for, so the page reads the name order instead of the circle.
    center = zip_point("78701")
    crowded(3001, center)
    query = SearchQuery(place=place_at(center), condition="depression", sort="name")
    survey = sites_near(query, 50).survey(center, needed=PAGE_SIZE)
    assert survey.sites_within(50) >= NAME_WALK_CIRCLE
    second = client.get(API, {"near": "78701", "sort": "name", "page": 2}).json()["results"]
    assert [row["name"] for row in second] == [f"Crowded {n:04}" for n in range(20, 40)]
    with django_assert_max_num_queries(4) as captured:  # as many as ranking the circle takes
        data = client.get(API, {"near": "78701", "condition": "depression", "sort": "name"})
    assert [row["name"] for row in data.json()["results"]] == [
        f"Crowded {n:04}" for n in range(PAGE_SIZE)
    ]
    assert data.json()["count_capped"] is True
    walk = next(q["sql"] for q in captured.captured_queries if ") AS walk WHERE" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {walk}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using location_name_idx" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="surveys nearest first")
def test_a_dense_circles_first_page_is_picked_when_the_sites_read_hold_it(client):
    # 3,001 clinics within ten miles: the survey reads the 1,500 nearest in degrees. The
    # first page's 20 lie well within them; the 1,400th provider's could lie past them.
    center = zip_point("78701")
    crowded(3001, center)
    query = SearchQuery(place=place_at(center), radius=50)
    whole = ranked(query)
    survey = sites_near(query, 50).survey(center, needed=PAGE_SIZE, after=0)
    assert not survey.complete
    picked = [(pk, round(distance, 6)) for pk, distance in survey.picked]
    assert picked == whole[:PAGE_SIZE]
    deep = sites_near(query, 50).survey(center, needed=1400, after=1400 - PAGE_SIZE)
    assert deep.reach is not None
    assert deep.picked is None
    # A search ranks such a page from the circle instead; the last page it shows (the
    # count stops at 1,000) is the oracle's, whichever way it is found.
    slug_of = dict(Provider.objects.values_list("pk", "slug"))
    data = client.get(API, {"near": "78701", "page": 50}).json()
    assert [row["slug"] for row in data["results"]] == [slug_of[pk] for pk, _ in whole[980:1000]]


def test_a_count_below_the_cap_is_exact(client):
    crowded(999, zip_point("78701"))
    data = client.get(API, {"near": "78701"}).json()
    assert data["count"] == 999
    assert data["count_capped"] is False


def test_a_few_providers_with_thousands_of_sites_are_counted_exactly(client):
    # More sites than a search reads to count them (3,200), but only 400 providers.
    crowded(400, zip_point("78701"), sites_each=8)
    data = client.get(API, {"near": "78701"}).json()
    assert data["count"] == 400
    assert data["count_capped"] is False


# --- The copies on the location rows ----------------------------------------------


def copies():
    """Each site's copies; the languages as a set (SQLite's aggregate keeps no order)."""
    rows = Location.objects.values("pk", *SEARCH_COPIES).order_by("pk")
    return [{**row, "languages": set(row["languages"].split())} for row in rows]


def assert_copies_in_step():
    kept = copies()
    Location.objects.copy_provider_filters()
    assert copies() == kept


def test_a_closed_clinic_is_gone_from_the_search_at_once(client):
    center = zip_point("78701")
    clinic = make_provider(name="Soon Closed", conditions=["depression"], locations=[site(center)])
    assert client.get(API, {"near": "78701", "condition": "depression"}).json()["count"] == 1
    clinic.status = Provider.Status.CLOSED
    clinic.save()
    assert client.get(API, {"near": "78701", "condition": "depression"}).json()["count"] == 0


class TestAroundAustin:
    """Searches among the crowd, built once for the class (the `crowd` fixture)."""

    @pytest.mark.parametrize("radius", [10, 25, 50])
    @pytest.mark.parametrize("condition", [None, "depression"])
    @pytest.mark.parametrize("sort", [None, "price", "verified", "name"])
    def test_every_page_is_a_slice_of_the_whole_ranking(self, crowd, radius, condition, sort):
        query = SearchQuery(place=place_at(crowd), radius=radius, condition=condition, sort=sort)
        whole = ranked(query)
        assert whole, "the crowd should have someone in every circle"
        page_size = 7
        pages = -(-len(whole) // page_size)
        for number in range(1, pages + 1):
            results = search(query, page=number, page_size=page_size)
            shown = [(card.provider.pk, round(card.distance, 6)) for card in results.clinics]
            assert shown == whole[(number - 1) * page_size : number * page_size]
            assert results.count == len(whole)
            assert not results.count_capped
            for card in results.clinics:  # the card's site is the provider's nearest in range
                assert card.site.provider_id == card.provider.pk
                assert card.distance <= radius + 1e-6

    @pytest.mark.parametrize(
        "filters",
        [
            {"treatments": ("iv-infusion",)},
            {"treatments": ("iv-infusion", "esketamine-nasal-spray"), "accepting": True},
            {"payments": ("self-pay", "medicare")},
            {"max_price": 500, "kap": True},
            {"language": "es", "payments": ("self-pay",)},
            {"name_words": ("cedar",), "sort": "name"},
            {"name_words": ("clinic", "agave"), "language": "en", "sort": "price"},
            {"condition": "depression", "accepting": True, "max_price": 700},
        ],
    )
    def test_the_filters_on_the_sites_copies_keep_what_the_providers_filters_keep(
        self, crowd, filters
    ):
        query = SearchQuery(place=place_at(crowd), radius=50, **filters)
        whole = ranked(query)
        assert whole, "the crowd should have someone for every filter"
        results = search(query, page_size=len(whole) + 1)
        assert [(card.provider.pk, round(card.distance, 6)) for card in results.clinics] == whole
        assert results.count == len(whole)

    def test_a_page_past_the_end_is_the_last_page_or_an_error(self, crowd):
        query = SearchQuery(place=place_at(crowd), radius=50)
        whole = ranked(query)
        last = -(-len(whole) // PAGE_SIZE)
        results = search(query, page=last + 5)
        assert results.page.number == last
        assert [card.provider.pk for card in results.clinics] == [
            pk for pk, _ in whole[(last - 1) * PAGE_SIZE :]
        ]
        with pytest.raises(EmptyPage):
            search(query, page=last + 1, strict=True)

    @pytest.mark.parametrize("sort", [None, "name"])
    def test_a_chain_with_many_sites_nearby_is_ranked_like_the_rest(self, crowd, sort):
        # Its sites fill more rows than nearest_sites() reads for a page, and by name
        # ("Agave Chain" before "Agave Clinic …") more than a sorted page first ranks
        # (nearest_per_provider's `read`): ranked in SQL all the same.
        chain = make_provider(
            name="Agave Chain",
            slug="agave-chain",
            conditions=["depression"],
            locations=[
                site(away(crowd, 0.05 + n / 400, n * 7)) for n in range(SITES_READ_PER_PROVIDER * 8)
            ],
        )
        query = SearchQuery(place=place_at(crowd), radius=25, sort=sort)
        whole = ranked(query)
        assert whole[0][0] == chain.pk
        assert nearest_sites(sites_near(query, 25), 7) is None  # the case this is about
        if sort == "name":  # and by name, the first sites a page ranks are all the chain's
            read = 7 * SITES_READ_PER_PROVIDER
            assert len(nearest_per_provider(sites_near(query, 25), sort, 7, read=read)) == 1
        for number in (1, 2):
            results = search(query, page=number, page_size=7)
            shown = [(card.provider.pk, round(card.distance, 6)) for card in results.clinics]
            assert shown == whole[(number - 1) * 7 : number * 7]
        assert search(query).clinics[0].site.provider_id == chain.pk

    def test_a_walk_in_name_order_finds_the_page_that_ranking_the_circle_does(self, crowd):
        for radius, filters in [
            (10, {}),
            (50, {}),
            (50, {"condition": "depression"}),
            (25, {"payments": ("self-pay",), "max_price": 600}),
        ]:
            query = SearchQuery(place=place_at(crowd), radius=radius, sort="name", **filters)
            whole = ranked(query)
            page_size = 5
            pages = -(-len(whole) // page_size)
            for number in range(1, pages):  # the last page has no provider after it to end on
                stop = number * page_size
                assert walked(query, number, page_size) == whole[stop - page_size : stop]
            # It gives up when the walk may have stopped inside the page's last provider,
            assert walked(query, pages + 1, page_size) is None
        # or when it may read too few sites to reach the page's.
        query = SearchQuery(place=place_at(crowd), radius=50, sort="name")
        assert walked_by_name(query, 50, 5, 0, walk=3) is None
        assert walked_by_name(query, 50, 5, 0, walk=1000) is not None
        # A chain whose sites are all the rows the walk reads is left to the ranking.
        make_provider(
            name="Agave Chain",
            slug="agave-chain",
            locations=[site(away(crowd, 0.05 + n / 400, n * 7)) for n in range(40)],
        )
        query = SearchQuery(place=place_at(crowd), radius=25, sort="name")
        assert walked_by_name(query, 25, 7, 0) is None
        shown = [(card.provider.pk, round(card.distance, 6)) for card in search(query).clinics]
        assert shown == ranked(query)[:PAGE_SIZE]

    @pytest.mark.parametrize("radius", [10, 50])
    @pytest.mark.parametrize("condition", [None, "depression"])
    def test_the_survey_picks_each_page_that_ranking_the_circle_does(
        self, crowd, radius, condition
    ):
        query = SearchQuery(place=place_at(crowd), radius=radius, condition=condition)
        whole = ranked(query)
        page_size = 7
        for number in range(1, -(-len(whole) // page_size) + 2):  # and one past the end
            stop = number * page_size
            survey = sites_near(query, radius).survey(crowd, needed=stop, after=stop - page_size)
            assert survey.complete  # it read every site in the circle
            picked = [(pk, round(distance, 6)) for pk, distance in survey.picked]
            assert picked == whole[stop - page_size : stop]
            # and each one's nearest site, the one its card shows:
            sites = picked_sites(survey.picked, crowd)
            assert [(s.provider_id, round(s.distance, 6)) for s in sites] == picked
            for shown in sites:
                theirs = Location.objects.filter(provider=shown.provider_id, latitude__isnull=False)
                nearest = theirs.annotate(d=GreatCircleMiles(crowd)).order_by("d", "pk").first()
                assert shown.pk == nearest.pk

    def test_a_survey_that_may_have_missed_a_site_picks_no_page(self, crowd):
        query = SearchQuery(place=place_at(crowd), radius=50)
        survey = sites_near(query, 50).survey(crowd, needed=7, read=5, after=0)
        assert not survey.complete
        assert survey.picked is None
        # Nor without `after`, the page not asked for.
        assert sites_near(query, 50).survey(crowd, needed=7).picked is None

    def test_a_picked_provider_with_no_site_left_that_near_is_left_out(self, crowd):
        query = SearchQuery(place=place_at(crowd), radius=50)
        survey = sites_near(query, 50).survey(crowd, needed=5, after=0)
        gone = survey.picked[1][0]
        Location.objects.filter(provider=gone).delete()
        kept = [(pk, distance) for pk, distance in survey.picked if pk != gone]
        sites = picked_sites(survey.picked, crowd)
        assert [(shown.provider_id, shown.distance) for shown in sites] == kept
        assert all(shown.provider.name for shown in sites)
        assert picked_sites((), crowd) == []

    def test_a_picked_provider_closed_since_the_survey_is_left_out(self, crowd):
        query = SearchQuery(place=place_at(crowd), radius=50)
        survey = sites_near(query, 50).survey(crowd, needed=5, after=0)
        closed = Provider.objects.get(pk=survey.picked[0][0])
        closed.status = Provider.Status.CLOSED
        closed.save()
        sites = picked_sites(survey.picked, crowd)
        assert [shown.provider_id for shown in sites] == [pk for pk, _ in survey.picked[1:]]

    def test_copies_follow_every_kind_of_change(self, crowd):
        assert_copies_in_step()
        provider = Provider.objects.get(slug="crowd-1")
        depression, ptsd = Condition.objects.filter(slug__in=["depression", "ptsd"]).order_by(
            "slug"
        )
        provider.status = "closed" if provider.status == "published" else "published"
        provider.save()
        assert_copies_in_step()
        provider.conditions.add(ptsd)
        assert_copies_in_step()
        provider.conditions.remove(depression)
        assert_copies_in_step()
        provider.conditions.clear()
        assert_copies_in_step()
        provider.conditions.set([depression, ptsd])
        assert_copies_in_step()
        provider.treatments.set(
            Treatment.objects.filter(slug__in=["iv-infusion", "esketamine-nasal-spray"])
        )
        assert_copies_in_step()
        provider.payment_options.add("medicare", "self-pay")
        assert_copies_in_step()
        provider.payment_options.remove("medicare")
        assert_copies_in_step()
        provider.treatments.clear()
        assert_copies_in_step()
        provider.languages.set(["es", "tl"])
        assert_copies_in_step()
        for field, value in [
            ("accepting_new_patients", True),
            ("kap", "partner"),
            ("price_min", 350),
            ("last_verified", date(2026, 11, 30)),
            ("name", "Renamed Clinic"),
        ]:
            setattr(provider, field, value)
            provider.save(update_fields=[field, "updated_at"])
            assert_copies_in_step()
        moved = Location.objects.filter(provider=provider).first()
        moved.provider = Provider.objects.get(slug="crowd-4")
        moved.save()
        assert_copies_in_step()
        Location.objects.create(provider=provider, **site(crowd))
        assert_copies_in_step()
        Condition.objects.get(slug="anxiety").delete()
        assert_copies_in_step()
        Treatment.objects.get(slug="im-injection").delete()
        assert_copies_in_step()
