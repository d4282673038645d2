"""A search's at-home options, kept per process under the content version
(directory.search.kept_at_home): the same for every search in a state with the same
filters, read again after any save, in any process."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.models import ContentVersion
from directory.api import at_home_rows
from directory.models import Provider
from directory.search import at_home_key, search
from directory.templatetags.directory_tags import provider_card
from directory.views import AT_HOME_CARDS_HTML, AT_HOME_SHOWN
from tests.cast import make_provider
from tests.searches import form_query

pytestmark = pytest.mark.django_db

API = "/api/providers/"


def at_home(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["at_home"]]


def at_home_queries(captured):
    """The queries that read a state's at-home options (ProviderQuerySet.at_home_in)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if '"directory_provider_serves_states"."state_id" =' in query["sql"]
    ]


@pytest.fixture
def texas_at_home():
    make_provider(name="Bluebonnet Home", serves_states=["TX"], conditions=["depression"])
    make_provider(name="Armadillo Home", serves_states=["TX", "OK"], conditions=["anxiety"])
    make_provider(name="Sooner Home", serves_states=["OK"], conditions=["depression"])


def test_a_search_in_the_same_state_reads_the_version_instead_of_the_options(client, texas_at_home):
    # The reference data and the places, read once per process, read with other options.
    for near in ("78701", "Houston, TX"):
        at_home(client, near=near, condition="anxiety")
    with CaptureQueriesContext(connection) as first:
        assert at_home(client, near="78701") == ["Armadillo Home", "Bluebonnet Home"]
    # Another point, radius or page of the same state: the same options.
    with CaptureQueriesContext(connection) as again:
        assert at_home(client, near="Houston, TX", radius=25) == [
            "Armadillo Home",
            "Bluebonnet Home",
        ]
    assert len(at_home_queries(first)) == 1
    assert at_home_queries(again) == []
    # The version instead of the options; no clinic here, so no terms to read at all.
    assert len(again) == len(first) - 1
    assert any("core_contentversion" in query["sql"] for query in again.captured_queries)


def test_each_state_filter_and_limit_has_its_own_options(client, texas_at_home):
    assert at_home(client, near="78701") == ["Armadillo Home", "Bluebonnet Home"]
    assert at_home(client, near="78701", condition="depression") == ["Bluebonnet Home"]
    assert at_home(client, near="78701", condition="anxiety") == ["Armadillo Home"]
    assert at_home(client, near="OK") == ["Armadillo Home", "Sooner Home"]
    assert at_home(client, near="OK", condition="depression") == ["Sooner Home"]
    query = form_query(near="78701")
    assert len(search(query, at_home_limit=1).at_home) == 1
    assert search(query, at_home_limit=1).at_home_total == 2
    assert len(search(query).at_home) == 2


def test_a_save_shows_at_once(client, texas_at_home):
    assert at_home(client, near="78701") == ["Armadillo Home", "Bluebonnet Home"]
    make_provider(name="Cactus Home", serves_states=["TX"])
    assert at_home(client, near="78701") == ["Armadillo Home", "Bluebonnet Home", "Cactus Home"]
    armadillo = Provider.objects.get(name="Armadillo Home")
    armadillo.status = Provider.Status.CLOSED
    armadillo.save()
    assert at_home(client, near="78701") == ["Bluebonnet Home", "Cactus Home"]
    Provider.objects.get(name="Bluebonnet Home").serves_states.set(["OK"])
    assert at_home(client, near="78701") == ["Cactus Home"]


def test_a_change_made_by_another_process_shows_at_once(client, texas_at_home):
    assert at_home(client, near="78701") == ["Armadillo Home", "Bluebonnet Home"]
    # What another server's save leaves in the shared database: the rows and the
    # version, and nothing in this process's memory.
    Provider.objects.filter(name="Armadillo Home").update(name="Aardvark Home")
    ContentVersion.bump()
    assert at_home(client, near="78701") == ["Aardvark Home", "Bluebonnet Home"]


def test_the_options_are_kept_apart_for_each_language():
    make_provider(
        name="Lone Star Home", serves_states=["TX"], conditions=["chronic-pain", "depression"]
    )
    query = form_query(near="78701")
    with translation.override("en"):
        [card] = search(query).at_home
        assert [term.slug for term in card.conditions] == ["chronic-pain", "depression"]
    # "Depresión" comes before "Dolor crónico".
    with translation.override("es"):
        [card] = search(query).at_home
        assert [term.slug for term in card.conditions] == ["depression", "chronic-pain"]


def test_the_api_keeps_its_rows_for_each_host(client, texas_at_home):
    def urls(host):
        response = client.get(API, {"near": "78701"}, HTTP_HOST=host)
        assert response.status_code == 200, response.content
        return [row["url"] for row in response.json()["at_home"]]

    for host in ("localhost", "127.0.0.1", "localhost"):
        assert urls(host) == [
            f"http://{host}/providers/armadillo-home/",
            f"http://{host}/providers/bluebonnet-home/",
        ]
    # The rows as the API lists them, not the cards: kept once for each host.
    query = form_query(near="78701")
    for host in ("localhost", "127.0.0.1"):
        key = at_home_key(query, None, at_home_rows(f"http://{host}").name)
        kept = caches["fragments"].get(key)
        assert kept is not None
        assert [row["url"] for row in kept.options] == urls(host)
    # Another search of the state reads them; a row is the same built afresh as kept.
    houston = {"path": API, "data": {"near": "Houston, TX"}, "HTTP_HOST": "localhost"}
    with CaptureQueriesContext(connection) as again:
        kept_rows = client.get(**houston).json()["at_home"]
    assert at_home_queries(again) == []
    caches["fragments"].clear()
    assert client.get(**houston).json()["at_home"] == kept_rows


def test_the_search_page_keeps_its_cards_as_html(client, texas_at_home):
    make_provider(name="Tex & Mex <Home>", slug="tex-mex-home", serves_states=["TX"])

    def cards(**params):
        response = client.get("/clinics/", params)
        assert response.status_code == 200
        section = response.content.decode().split('id="at-home-heading"', 1)[1]
        return section.split("</section>", 1)[0]

    drawn = cards(near="78701")
    # The page's own cards, each escaped once, with the same actions as a clinic's.
    assert drawn.count('<article class="result"') == 3
    assert "Tex &amp; Mex &lt;Home&gt;" in drawn
    assert drawn.count('name="p"') == drawn.count("save-toggle") == 3
    query = form_query(near="78701")
    kept = caches["fragments"].get(at_home_key(query, AT_HOME_SHOWN, AT_HOME_CARDS_HTML.name))
    assert kept is not None
    assert kept.options == [
        provider_card(card, "home", compare=True, save=True) for card in search(query).at_home
    ]
    # Another search of the state draws them from the kept HTML, as drawn afresh.
    with CaptureQueriesContext(connection) as again:
        assert cards(near="Houston, TX") == drawn
    assert at_home_queries(again) == []
    caches["fragments"].clear()
    assert cards(near="Houston, TX") == drawn
    # A name search with no place lists its at-home options with the same cards.
    named = cards(q="home")
    assert named.count('<article class="result"') == 4
    assert named.count('name="p"') == named.count("save-toggle") == 4
