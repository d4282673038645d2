"""A result card's HTML, kept per process with its provider's linked terms
(directory_tags.provider_card(), ProviderCard.drawn): drawn once, but for its number
and distance, until a save changes the content version; shown afresh after any save."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import ContentVersion
from directory.cards import forget_linked_terms
from directory.models import Location
from directory.search import search
from directory.templatetags.directory_tags import provider_card
from tests.searches import form_query

pytestmark = pytest.mark.django_db


def card_of(client, name, path="/clinics/", **params):
    """The <article> of `name`'s card on a search page."""
    response = client.get(path, params)
    assert response.status_code == 200
    html = response.content.decode()
    cards = re.findall(r'<article class="result".*?</article>', html, flags=re.DOTALL)
    [card] = [card for card in cards if f">{name}</a></h3>" in card]
    return card


def test_a_card_drawn_again_is_the_card_drawn_afresh(client, providers):
    first = card_of(client, "Round Rock Infusion Center", near="78701")
    # Another search showing the same provider and site: its card comes from what the
    # first one drew, and is the same card.
    again = card_of(client, "Round Rock Infusion Center", near="78701", radius=25)
    forget_linked_terms()
    assert again == first == card_of(client, "Round Rock Infusion Center", near="78701")
    assert '<span class="result__number">2.</span>' in first
    assert '<strong class="result__distance">17 mi</strong> · 1 Main St, Round Rock' in first


def test_each_search_shows_its_own_number_and_distance(client, providers):
    near_austin = card_of(client, "Round Rock Infusion Center", near="78701")
    near_round_rock = card_of(client, "Round Rock Infusion Center", near="78664")
    assert '<span class="result__number">2.</span>' in near_austin
    assert '<strong class="result__distance">17 mi</strong>' in near_austin
    assert '<span class="result__number">1.</span>' in near_round_rock
    assert '<strong class="result__distance">0.8 mi</strong>' in near_round_rock
    # Without a point (a state's list) no number, and no distance.
    in_texas = card_of(client, "Round Rock Infusion Center", near="TX")
    assert "result__number" not in in_texas
    assert "result__distance" not in in_texas
    # All but those are the same card.
    strip = re.compile(r'<span class="result__number">.*?</span> |<strong class="result__.*?· ')
    assert strip.sub("", near_austin) == strip.sub("", near_round_rock) == strip.sub("", in_texas)


def test_the_same_provider_kept_for_a_search_and_drawn_elsewhere_is_the_same(providers):
    query = form_query(near="78701")
    [card] = [card for card in search(query).clinics if card.provider == providers[0]]
    drawn = provider_card(card, "clinic", show_distance=True, compare=True, save=True, number=1)
    # For another section or without the actions: its own ids and actions around the same
    # kept pieces.
    bare = provider_card(card, "clinic")
    other = provider_card(card, "home", compare=True, save=True)
    assert f'id="provider-{card.provider.pk}-clinic-compare"' in drawn
    assert "result__actions" not in bare
    assert f'id="provider-{card.provider.pk}-home-compare"' in other
    assert "-clinic-compare" not in other
    [again] = [card for card in search(query).clinics if card.provider == providers[0]]
    assert again.drawn is card.drawn  # kept with the provider's terms
    kept = provider_card(again, "clinic", show_distance=True, compare=True, save=True, number=1)
    assert kept == drawn


def test_a_save_shows_on_the_card_at_once(client, providers):
    austin = providers[0]
    assert "(512) 555-0100" in card_of(client, "Austin Ketamine Clinic", near="78701")
    austin.phone = "(512) 555-0199"
    austin.save()
    card = card_of(client, "Austin Ketamine Clinic", near="78701")
    assert "(512) 555-0199" in card
    assert "(512) 555-0100" not in card


def test_a_change_made_by_another_process_shows_at_once(client, providers):
    assert "100 Congress Ave" in card_of(client, "Austin Ketamine Clinic", near="78701")
    # What another server's save leaves in the shared database: the row and the
    # version, and nothing in this process's memory.
    Location.objects.filter(provider=providers[0]).update(address1="200 Congress Ave")
    ContentVersion.bump()
    card = card_of(client, "Austin Ketamine Clinic", near="78701")
    assert "200 Congress Ave" in card
    assert "100 Congress Ave" not in card


def test_a_search_reads_the_version_before_its_clinics(client, providers):
    """A card drawn of rows read before the version could be kept under a version newer
    than what it shows, until the next save."""
    version = ContentVersion._meta.db_table
    for params in ({"near": "78701"}, {"near": "78701", "radius": 25}, {"near": "TX"}):
        # The first search of a state reads the version with its at-home options, the
        # next one on its own (those options kept).
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/clinics/", params).status_code == 200
        sql = [query["sql"] for query in captured.captured_queries]
        reads_version = next(i for i, text in enumerate(sql) if version in text)
        reads_sites = next(i for i, text in enumerate(sql) if "directory_location" in text)
        assert reads_version < reads_sites, sql


def test_the_cards_are_kept_apart_for_each_language(client, providers):
    for _ in range(2):
        english = card_of(client, "Austin Ketamine Clinic", near="78701")
        spanish = card_of(client, "Austin Ketamine Clinic", path="/es/clinics/", near="78701")
        assert "<dt>Treats</dt>" in english
        assert "<dt>Trata</dt>" in spanish
        assert 'href="/es/providers/austin-ketamine-clinic/"' in spanish
        assert 'href="/providers/austin-ketamine-clinic/"' in english
