"""Saving providers on this device: the /saved/ page and the "Save" toggles it lists.

The saved list lives only in the visitor's browser (localStorage, by
static/js/saved.js; tests/browser/test_print_share_save.py drives it), so the
server's part is a page that is the same for everyone and toggles that carry
what the script stores. What a browser does with them is tested there.
"""

import re

import pytest
from django.urls import resolve

from directory.cards import ProviderCard
from directory.reference import CachedTerm
from directory.templatetags.directory_tags import provider_card
from tests.cast import austin_clinic, draft_provider

pytestmark = pytest.mark.django_db


def save_toggles(html):
    return re.findall(r"<button[^>]*\bdata-save-slug=[^>]*>", html)


def test_saved_page_explains_where_the_list_lives_and_needs_javascript(client):
    response = client.get("/saved/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Saved providers</h1>" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "kept in this browser, on this device only" in html
    assert "never sent to ketanet" in html
    # Without JavaScript the explanation shows and the list stays hidden.
    assert '<p class="notice" id="saved-needs-js">Saving providers needs JavaScript' in html
    assert '<div id="saved" data-compare-url="/compare/" hidden>' in html
    assert re.search(r'<script src="/static/js/saved\.[0-9a-f]*\.?js" defer></script>', html)


def test_saved_page_sets_no_cookie_and_reads_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/saved/")
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


def test_saved_page_is_the_same_for_everyone_and_cacheable(client, settings):
    settings.RESPONSE_CACHE_SECONDS = 300
    first = client.get("/saved/")
    assert "public" in first["Cache-Control"]
    assert "max-age=300" in first["Cache-Control"]
    # Whatever a visitor adds to the address, the server knows nothing of their list.
    other = client.get("/saved/?p=austin-ketamine-clinic")
    assert other.content == first.content
    assert resolve("/saved/").func.cache_anonymous is True  # kept in the page cache


def test_saved_page_refuses_writes(client):
    assert client.post("/saved/", {"p": "austin-ketamine-clinic"}).status_code == 405


def test_every_page_links_to_the_saved_page_in_the_footer(client):
    provider = austin_clinic()
    for url in ["/", provider.get_absolute_url(), "/saved/"]:
        assert '<a href="/saved/">Saved providers</a>' in client.get(url).content.decode(), url


def test_profile_has_a_hidden_save_toggle_and_copy_link_button(client):
    provider = austin_clinic()
    html = client.get(provider.get_absolute_url()).content.decode()
    [toggle] = save_toggles(html)
    assert f'data-save-slug="{provider.slug}"' in toggle
    assert f'data-save-name="{provider.name}"' in toggle
    assert f'data-save-url="{provider.get_absolute_url()}"' in toggle
    assert 'aria-pressed="false"' in toggle
    assert toggle.endswith(" hidden>")  # shown by the script, which alone makes it work
    assert re.search(r"<button[^>]*data-copy-link hidden>Copy link to this page</button>", html)
    assert 'id="copy-link-status" role="status"' in html
    assert re.search(r'<script src="/static/js/share\.[0-9a-f]*\.?js" defer>', html)


def test_a_draft_previewed_by_an_editor_cannot_be_saved(editor_client):
    austin_clinic()
    html = editor_client.get(draft_provider().get_absolute_url()).content.decode()
    assert save_toggles(html) == []
    assert "data-copy-link" in html


def test_search_results_have_a_save_toggle_on_every_card(client):
    provider = austin_clinic()
    html = client.get("/clinics/?near=78701").content.decode()
    [toggle] = save_toggles(html)
    assert f'data-save-slug="{provider.slug}"' in toggle
    assert "data-copy-link" in html
    # No results yet (a blank search): nothing to copy or save.
    blank = client.get("/clinics/").content.decode()
    assert "data-copy-link" not in blank


def test_card_toggle_names_its_provider_and_keeps_a_hostile_name_inert():
    provider = austin_clinic()
    provider.name = '<img src=x onerror=alert(1)> "Clinic"'
    conditions = [CachedTerm(c.pk, c.slug, c.name) for c in provider.conditions.all()]
    card = ProviderCard(provider, provider.locations.get(), 0.25, conditions, [], [])

    html = provider_card(card, "clinic", save=True)

    [toggle] = save_toggles(html)
    assert 'data-save-name="&lt;img src=x onerror=alert(1)&gt; &quot;Clinic&quot;"' in toggle
    assert "<img" not in html
    assert (
        'Save<span class="visually-hidden"> &lt;img src=x onerror=alert(1)&gt; &quot;Clinic&quot;'
        in html
    )
    assert save_toggles(provider_card(card, "clinic")) == []  # only where asked for
