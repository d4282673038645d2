"""Search by provider name (`q` on /clinics/ and /api/providers/), on SQLite and PostgreSQL.

Words of the name, or how they start, all of them, ignoring case, accents and
punctuation; alone nationwide (clinics and at-home services), with a place a
narrower search, and combined with every other filter. Every case here runs on
whichever database DATABASE_URL names, so the same answers are asserted on both.
"""

import io
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils.text import slugify

from directory.csvfile import COLUMNS
from directory.gazetteer import _find_place
from directory.models import Condition, Location, NameWordStarts, Provider
from directory.names import name_key, name_words, query_words
from directory.reference import forget_reference
from directory.search import COUNT_CAP, FIRST_SITES_READ, NAME_ORDER, sorted_as_asked
from tests.cast import make_provider
from tests.directory.test_api import TOP_KEYS
from tests.plans import postgresql_plan

pytestmark = pytest.mark.django_db

API = "/api/providers/"

# The facts shared by the clinics and services every filter below keeps.
KEPT = {
    "conditions": ["depression"],
    "treatments": ["iv-infusion"],
    "accepting_new_patients": True,
    "payment_options": ["self-pay"],
    "price_min": 400,
    "languages": ["en", "es"],
    "kap": Provider.Kap.IN_HOUSE,
    "last_verified": date(2026, 9, 1),
}
# Facts that every filter below leaves out.
LEFT_OUT = {
    "conditions": ["chronic-pain"],
    "treatments": ["im-injection"],
    "accepting_new_patients": False,
    "payment_options": ["medicare"],
    "price_min": 900,
    "languages": ["en"],
    "kap": Provider.Kap.NOT_OFFERED,
}


def site(city, state, zip_code, lat, lng):
    return {
        "address1": f"1 {city} Way",
        "city": city,
        "state_id": state,
        "zip": zip_code,
        "latitude": lat,
        "longitude": lng,
    }


AUSTIN = site("Austin", "TX", "78701", 30.2672, -97.7431)
ROUND_ROCK = site("Round Rock", "TX", "78664", 30.5083, -97.6789)  # 17 miles north
ASPEN = site("Aspen", "CO", "81611", 39.1911, -106.8175)


def provider(name, **fields):
    return make_provider(name=name, slug=slugify(name), **fields)


@pytest.fixture
def cast():
    """Clinics and at-home services whose names test the folding, in Austin and beyond."""
    provider("Mind & Body Ketamine Clinic", locations=[AUSTIN], **KEPT)
    provider("Austin Ketamine Clinic", locations=[AUSTIN], **KEPT)
    provider(
        "Mind-Body Wellness", locations=[ROUND_ROCK], last_verified=date(2026, 1, 1), **LEFT_OUT
    )
    provider("Clínica Serenidad", locations=[AUSTIN], **KEPT)
    provider("O’Neil's Infusions", locations=[ROUND_ROCK], **KEPT)
    provider("Aspen Mind & Body Ketamine Clinic", locations=[ASPEN], **KEPT)
    provider("Mind Body Telehealth", serves_states=["TX", "OH"], **KEPT)
    provider("Lone Star Ketamine at Home", serves_states=["TX"], **KEPT)
    provider("Mind Body Draft", locations=[AUSTIN], status=Provider.Status.DRAFT)
    provider("Mind Body Closed", locations=[AUSTIN], status=Provider.Status.CLOSED)


# Every published clinic: the ones with a site.
CLINICS = 6


def api(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


def names(rows):
    return [row["name"] for row in rows]


def found(client, q, **params):
    """The names of the clinics and of the at-home services a name search finds."""
    body = api(client, q=q, **params)
    return names(body["results"]), names(body["at_home"])


# --- Folding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "Aspen Mind & Body Ketamine Clinic",
            ["aspen", "mind", "and", "body", "ketamine", "clinic"],
        ),
        ("Clínica Ñandú", ["clinica", "nandu"]),
        ("MIND-BODY", ["mind", "body"]),
        ("O’Neil's", ["oneils"]),
        ("Straße Ørsted", ["strasse", "orsted"]),
        ("ＡＢＣ１２３", ["abc123"]),  # full-width, as some phone keyboards type
        ("mind_body/wellness.", ["mind", "body", "wellness"]),
        (" \u200b!!! ", []),
    ],
)
def test_names_fold_to_lower_case_words_without_accents_or_punctuation(text, words):
    assert name_words(text) == words
    assert name_key(text) == "".join(f" {word}" for word in words)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mind & body", ["mind", "body"]),
        ("Mind and Body and mind", ["mind", "body"]),
        ("and", ["and"]),
        ("&", ["and"]),
        ("andover", ["andover"]),
    ],
)
def test_and_only_joins_the_words_of_a_search(text, words):
    assert query_words(text) == words


def test_the_stored_key_follows_the_name_on_every_save(cast):
    provider = Provider.objects.get(name="Clínica Serenidad")
    assert provider.name_search == " clinica serenidad"

    provider.name = "Clínica Calma"
    provider.save(update_fields=["name"])
    provider.refresh_from_db()
    assert provider.name_search == " clinica calma"

    provider.name = "Serenidad Mind Care"
    provider.save()
    assert Provider.objects.get(pk=provider.pk).name_search == " serenidad mind care"


def test_imported_and_seeded_providers_are_found_by_name(client, tmp_path):
    path = tmp_path / "providers.csv"
    row = (
        "home-1,Niños & Familias Ketamine,published,https://ninos.example,,,"
        "Telehealth care.,,,,,,,,anxiety,oral-sublingual,OH;KY,unknown"
    )
    path.write_text(",".join(COLUMNS) + "\n" + row + "\n")
    call_command("import_providers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert found(client, "ninos familias") == ([], ["Niños & Familias Ketamine"])
    path.write_text(",".join(COLUMNS) + "\n" + row.replace("Niños", "Niñas") + "\n")
    call_command("import_providers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert found(client, "ninas familias") == ([], ["Niñas & Familias Ketamine"])
    assert found(client, "ninos") == ([], [])

    call_command("seed_demo", providers=30, seed=3, stdout=io.StringIO())
    demo = Provider.objects.filter(external_id__startswith="demo-")
    assert demo.count() == 30
    for provider in demo:
        assert provider.name_search == name_key(provider.name), provider.name


# --- What matches ----------------------------------------------------------------


@pytest.mark.parametrize("q", ["clinica", "Clínica", "CLÍNICA", "clínica serenidad", "serenid"])
def test_accents_and_case_do_not_matter(client, cast, q):
    assert found(client, q) == (["Clínica Serenidad"], [])


@pytest.mark.parametrize(
    "q",
    [
        "mind body",
        "mind-body",
        "Mind & Body",
        "mind and body",
        "MIND/BODY",
        "mind, body!",
        # What SQL and LIKE read as quotes and wildcards: the words go into the SQL.
        "mind%body",
        "mind_body",
        "mind\\body",
        "mind';--body",
    ],
)
def test_punctuation_is_a_break_between_words(client, cast, q):
    assert found(client, q) == (
        ["Aspen Mind & Body Ketamine Clinic", "Mind & Body Ketamine Clinic", "Mind-Body Wellness"],
        ["Mind Body Telehealth"],
    )
    # Typed on its own, "and" is a word like any other.
    assert found(client, "and")[0] == [
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
    ]


@pytest.mark.parametrize("q", ["O'Neil", "o’neils", "oneil", "ONEIL'S infus"])
def test_apostrophes_join_rather_than_split(client, cast, q):
    assert found(client, q) == (["O’Neil's Infusions"], [])


def test_partial_words_match_the_start_of_a_word_only(client, cast):
    assert found(client, "mind bod")[0] == [
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
        "Mind-Body Wellness",
    ]
    assert found(client, "ket clin")[0] == [
        "Aspen Mind & Body Ketamine Clinic",
        "Austin Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
    ]
    # Inside a word is no match: "ody" is not how "Body" starts.
    assert found(client, "ody") == ([], [])


def test_every_word_must_match_in_any_order(client, cast):
    assert found(client, "wellness mind") == (["Mind-Body Wellness"], [])
    assert found(client, "body telehealth") == ([], ["Mind Body Telehealth"])
    assert found(client, "mind austin") == ([], [])
    # A word given twice is one word.
    assert found(client, "wellness wellness") == (["Mind-Body Wellness"], [])


def test_drafts_and_closed_providers_are_never_found(client, cast):
    clinics, at_home = found(client, "mind body")
    assert not [name for name in clinics + at_home if "Draft" in name or "Closed" in name]
    assert found(client, "draft") == ([], [])


# --- Nationwide, or with a place ---------------------------------------------------


def test_a_name_alone_lists_clinics_nationwide_by_name_and_at_home_services(client, cast):
    body = api(client, q="mind body")

    assert set(body) == TOP_KEYS
    assert body["location"] is None
    assert body["count"] == 3
    assert names(body["results"]) == [
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
        "Mind-Body Wellness",
    ]
    aspen = body["results"][0]
    assert aspen["distance_miles"] is None
    assert (aspen["nearest_location"]["city"], aspen["nearest_location"]["state"]) == (
        "Aspen",
        "CO",
    )
    [home] = body["at_home"]
    assert (home["name"], home["serves_states"]) == ("Mind Body Telehealth", ["OH", "TX"])
    assert home["nearest_location"] is None


def test_a_name_alone_on_the_page_shows_clinics_with_sites_and_at_home_services(client, cast):
    response = client.get("/clinics/", {"q": "mind body"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Ketamine providers matching “mind body”</h1>" in html
    assert "3 clinics matching “mind body” in the U.S." in html
    assert "1 Aspen Way, Aspen, CO 81611" in html
    assert 'class="result__distance"' not in html  # no place, no distance
    assert "At-home options matching “mind body”" in html
    assert "Mind Body Telehealth" in html
    assert "Lone Star" not in html
    assert re.findall(
        r'<h3 class="result__name" id="provider-\d+-clinic"><a href="[^"]*">([^<]+)', html
    ) == [
        "Aspen Mind &amp; Body Ketamine Clinic",
        "Mind &amp; Body Ketamine Clinic",
        "Mind-Body Wellness",
    ]
    assert 'name="q" value="mind body"' in html


def test_a_name_with_a_place_narrows_that_search(client, cast):
    near = api(client, q="mind body", near="78701")
    assert names(near["results"]) == ["Mind & Body Ketamine Clinic", "Mind-Body Wellness"]
    assert near["results"][0]["distance_miles"] < near["results"][1]["distance_miles"]
    assert names(near["at_home"]) == ["Mind Body Telehealth"]
    assert near["location"]["label"] == "Austin, TX 78701"

    # A whole state: its clinics only, and at-home services for that state only.
    assert found(client, "mind body", near="CO") == (["Aspen Mind & Body Ketamine Clinic"], [])
    assert found(client, "mind body", near="OH") == ([], ["Mind Body Telehealth"])
    assert found(client, "mind body", lat="39.19", lng="-106.82") == (
        ["Aspen Mind & Body Ketamine Clinic"],
        [],
    )


def test_a_name_search_stays_canonical_to_the_search_page(client, cast):
    plain = client.get("/clinics/", {"near": "Austin, TX"}).content.decode()
    assert re.search(r'rel="canonical" href="http://testserver/clinics/tx/austin/"', plain)

    named = client.get("/clinics/", {"near": "Austin, TX", "q": "mind"}).content.decode()
    assert re.search(r'rel="canonical" href="http://testserver/clinics/"', named)
    assert '<meta name="robots" content="noindex, follow">' in named


def test_no_match_is_an_empty_result_with_advice(client, cast):
    body = api(client, q="zebra")
    assert (body["count"], body["results"], body["at_home"]) == (0, [], [])

    response = client.get("/clinics/", {"q": "zebra", "near": "78701"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "0 clinics matching “zebra” within 50 miles" in html
    assert "Check the spelling of the name" in html
    assert 'href="?near=78701">Search again without the name</a>' in html
    assert "No at-home service matching your search treats patients in Texas yet." in html

    alone = client.get("/clinics/", {"q": "zebra"}).content.decode()
    assert "Search again without the name" in alone
    assert "No at-home service matching your search yet." in alone


def test_a_name_far_from_the_place_is_offered_as_the_nearest_match(client, cast):
    html = client.get("/clinics/", {"q": "aspen", "near": "78701"}).content.decode()
    assert "The nearest matching clinic is in" in html
    assert "Aspen, CO</a>" in html


# --- With every other filter ---------------------------------------------------------

FILTERS = [
    {"condition": "depression"},
    {"treatment": "iv-infusion"},
    {"treatment": ["iv-infusion", "oral-sublingual"]},
    {"accepting": "1"},
    {"payment": "self-pay"},
    {"max_price": "500"},
    {"language": "es"},
    {"kap": "1"},
    {"sort": "price"},
    {"sort": "verified"},
    {"sort": "name"},
]
PLACES = [
    {"near": "78701"},
    {"near": "78701", "radius": "10"},
    {"near": "78701", "sort": "distance"},
    {"near": "TX"},
    {},
]


def minded(rows):
    """The names among `rows` with a word starting "mind"."""
    return [name for name in names(rows) if re.search(r"\bmind", name, re.IGNORECASE)]


@pytest.mark.parametrize("place", PLACES)
def test_a_name_narrows_every_filter_and_keeps_its_order(client, cast, place):
    for filters in FILTERS:
        params = {**place, **filters}
        without = api(client, **params)
        named = api(client, q="mind", **params)

        assert names(named["results"]) == minded(without["results"]), params
        # Without a place only a name search lists at-home services: every one of that name.
        at_home = minded(without["at_home"]) if place else ["Mind Body Telehealth"]
        assert names(named["at_home"]) == at_home, params
        assert named["count"] == len(named["results"])
        # The name took some away, and left some.
        assert named["results"], params
        assert len(named["results"]) < len(without["results"]), params


def test_a_filter_leaves_out_what_the_name_found_that_does_not_fit(client, cast):
    # Mind-Body Wellness (Round Rock, none of the kept facts) is found by its name alone;
    # each filter leaves it out, and the sorts only order.
    assert found(client, "wellness", near="78701") == (["Mind-Body Wellness"], [])
    for filters in [{"radius": "10"}, *FILTERS]:
        expected = ["Mind-Body Wellness"] if "sort" in filters else []
        clinics, _ = found(client, "wellness", **{"near": "78701", **filters})
        assert clinics == expected, filters


def test_name_search_pages_keep_the_name(client, cast):
    first = api(client, q="mind body", page_size=2)
    assert first["count"] == 3
    assert names(first["results"]) == [
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
    ]
    assert "q=mind+body" in first["next"]
    second = client.get(first["next"]).json()
    assert names(second["results"]) == ["Mind-Body Wellness"]

    html = client.get("/clinics/", {"q": "ket"}).content.decode()
    assert "Page 1 of" not in html  # 4 clinics: one page
    for i in range(20):
        provider(f"Ketamine Place {i:02}", locations=[AUSTIN])
    html = client.get("/clinics/", {"q": "ket"}).content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?q=ket&amp;page=2"' in html


def many_clinics(start, count):
    """`count` published clinics named "Ketamine Place NNNN" from `start`, in Aspen, written
    in bulk (as seed_demo does)."""
    providers = Provider.objects.bulk_create(
        Provider(name=f"Ketamine Place {n:04}", slug=f"ketamine-place-{n}", status="published",
                 name_search=name_key(f"Ketamine Place {n:04}"))
        for n in range(start, start + count)
    )  # fmt: skip
    Location.objects.bulk_create(Location(provider=p, **ASPEN) for p in providers)
    Location.objects.copy_provider_filters()


def test_a_name_alone_counts_clinics_up_to_the_cap(client, django_assert_max_num_queries):
    many_clinics(0, COUNT_CAP)
    body = api(client, q="ketamine place")
    assert (body["count"], body["count_capped"]) == (COUNT_CAP, False)

    # One more: the count stops at the cap and says so, and so do the pages.
    many_clinics(COUNT_CAP, 1)
    with django_assert_max_num_queries(4):
        body = api(client, q="ketamine place")
    assert (body["count"], body["count_capped"]) == (COUNT_CAP, True)
    assert names(body["results"])[:2] == ["Ketamine Place 0000", "Ketamine Place 0001"]
    last = api(client, q="ketamine place", page=50)
    assert names(last["results"])[-1] == "Ketamine Place 0999"
    assert last["next"] is None
    assert client.get(API, {"q": "ketamine place", "page": 51}).status_code == 400

    html = client.get("/clinics/", {"q": "ketamine place"}).content.decode()
    assert "More than 1,000 clinics matching “ketamine place” in the U.S." in html
    assert "Page 1 of more than 50" in html
    past = client.get("/clinics/", {"q": "ketamine place", "page": 51}).content.decode()
    assert "Page 50 of more than 50" in past  # past the cap: the last page
    assert "Ketamine Place 0999" in past
    html = client.get("/es/clinics/", {"q": "ketamine place"}).content.decode()
    assert "Más de 1,000 clínicas que coinciden con “ketamine place” en EE. UU." in html


def test_a_name_alone_shows_each_clinic_with_its_first_site(client, cast):
    # Read from the sites in name order (name_page), a provider's first site is the one
    # its card shows, as when the providers are read: the first one it was given.
    provider("Mind Works Ketamine", locations=[ROUND_ROCK, AUSTIN, ASPEN])
    [works] = api(client, q="mind works")["results"]
    assert works["nearest_location"]["city"] == "Round Rock"


def test_a_chain_with_more_sites_than_a_name_page_reads_is_listed_once(client, cast):
    # A name page reads FIRST_SITES_READ sites for each provider it needs: a chain with
    # more, first in the name order, leaves the page to the providers' own query.
    chain = [site(f"Town {n:02}", "TX", "78701", 30.0 + n / 100, -97.7) for n in range(70)]
    provider("Aaa Mind Body Chain", locations=chain, **KEPT)
    assert len(chain) > FIRST_SITES_READ * 20

    body = api(client, q="mind body")
    assert body["count"] == 4
    assert names(body["results"]) == [
        "Aaa Mind Body Chain",
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
        "Mind-Body Wellness",
    ]
    assert body["results"][0]["nearest_location"]["city"] == "Town 00"
    assert names(api(client, q="mind body", condition="depression")["results"]) == [
        "Aaa Mind Body Chain",
        "Aspen Mind & Body Ketamine Clinic",
        "Mind & Body Ketamine Clinic",
    ]


# --- Bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("x" * 101, "at most 100 characters"),
        ("one two three four five six seven eight nine", "at most 8 words"),
        ("mind\x1bbody", "Use only letters, digits and punctuation"),
        ("mind\nbody", "Use only letters, digits and punctuation"),
        ("mind\x00", "Null characters are not allowed"),
        ("!!! ??? ---", "Enter some letters or digits"),
    ],
)
def test_bad_names_are_a_400_that_says_why(client, cast, q, message):
    response = client.get(API, {"q": q})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["errors"]
    assert list(body["errors"]) == ["q"]
    assert message in body["errors"]["q"][0]

    page = client.get("/clinics/", {"q": q, "near": "78701"})
    html = page.content.decode()
    assert page.status_code == 400
    assert re.search(rf'<p class="field__error" id="id_q_error">[^<]*{re.escape(message)}', html)
    assert '<a href="#id_q">' in html  # the summary leads to the field


def test_eight_words_and_a_hundred_characters_are_fine(client, cast):
    assert api(client, q="a b c d e f g h")["count"] == 0
    assert api(client, q="mind " + "x" * 95)["count"] == 0
    # An empty name is no name: every clinic, as before.
    assert api(client, q="  ")["count"] == api(client)["count"] == CLINICS


# --- Cost and index ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "named"),
    [
        ({"near": "78701"}, {"near": "78701", "q": "mind body"}),
        ({"condition": "depression"}, {"q": "mind body"}),
    ],
)
@pytest.mark.parametrize("path", [API, "/clinics/"])
def test_a_name_search_costs_no_more_queries_than_the_same_search_without(
    client, cast, django_assert_max_num_queries, path, plain, named
):
    def queries(params):
        cache.clear()
        _find_place.cache_clear()
        forget_reference()
        client.get(path, params)  # warm: the place and the reference data are cached
        with django_assert_max_num_queries(4) as captured:
            response = client.get(path, params)
        assert response.status_code == 200
        return len(captured)

    # Without a place the name adds the at-home list (one query) to the plain listing.
    assert queries(named) <= queries(plain) + (0 if "near" in plain else 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_answers_the_name_from_the_trigram_index(cast):
    # Not published(), and without the name index: it carries the search key, so on a
    # table this small a scan of all of it costs less than the trigram index.
    plan = postgresql_plan(
        Provider.objects.named(("mind", "bod")).only("pk"),
        "DROP INDEX provider_name_idx",
        "SET LOCAL enable_seqscan = off",
    )
    assert "directory_provider_name_search_trgm" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
@pytest.mark.parametrize(
    ("sort", "index"), [("price", "provider_price_idx"), ("verified", "provider_verified_idx")]
)
def test_postgresql_walks_a_nationwide_list_in_the_order_asked(cast, sort, index):
    # A common word matches too many clinics to sort them all: the index must give the
    # order itself, unknown prices and never verified last included.
    query = sorted_as_asked(Provider.objects.published().named(("mind",)).clinics(), sort)
    plan = postgresql_plan(
        query[:20], "SET LOCAL enable_sort = off", "SET LOCAL enable_seqscan = off"
    )
    assert index in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_postgresql_walks_a_nationwide_name_search_from_the_index_alone(cast):
    # A word can start names that lie far into the name order: the walk to them reads
    # the search key and the provider's own filters from the index, not the table.
    clinics = Provider.objects.published().named(("mind",)).priced_at_most(500).clinics()
    plan = postgresql_plan(
        clinics.values("pk")[:20],
        "SET LOCAL enable_sort = off",
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL enable_bitmapscan = off",
    )
    assert "Index Only Scan using provider_name_idx" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_postgresql_reads_a_name_page_and_its_count_from_the_sites_name_index(cast):
    # Every filter of the search is copied on the sites and carried by the index, so
    # neither the page nor its capped count probes a provider, its links or the table.
    sites = Location.objects.searchable(Condition.objects.get(slug="depression").pk).filter(
        NameWordStarts("mind"), accepting=True, price_min__lte=500
    )
    plan = postgresql_plan(
        sites.order_by(*NAME_ORDER).values("pk")[:60],
        "SET LOCAL enable_sort = off",
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL enable_bitmapscan = off",
    )
    assert "Index Only Scan using location_name_idx" in plan, plan
    providers = sites.values("provider_name", "provider").distinct().order_by()  # name_page()
    providers = providers[: COUNT_CAP + 1]
    plan = postgresql_plan(
        providers,
        "SET LOCAL enable_sort = off",
        "SET LOCAL enable_hashagg = off",
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL enable_bitmapscan = off",
    )
    assert "Unique" in plan, plan
    assert "Index Only Scan using location_name_idx" in plan, plan


def test_the_words_are_written_into_the_sql_and_nothing_else_is(cast):
    # A prepared statement's generic plan cannot see a parameter's pattern: the words
    # are part of the statement, so only a folded word (letters and digits) may be.
    sql, params = Provider.objects.named(("mind", "bod")).values("pk").query.sql_with_params()
    assert "'% mind%'" in sql.replace("%%", "%")
    assert not any("mind" in str(param) for param in params)
    for word in ["o'neil", "50%", "a_b", "mind body", ""]:
        with pytest.raises(ValueError, match="not a folded word"):
            Provider.objects.named((word,))
