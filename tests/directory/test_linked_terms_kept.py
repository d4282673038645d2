"""Providers' linked terms (conditions, treatments, states, payment, languages), kept per
process under the content version a search reads (directory.cards.linked_terms): read
once for the clinics that come up search after search, read again after any save."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.utils import translation

from core.models import ContentVersion
from directory import cards
from directory.models import Condition, Provider
from directory.reference import forget_reference
from directory.search import search
from tests.cast import make_provider
from tests.searches import form_query

pytestmark = pytest.mark.django_db

API = "/api/providers/"


def rows(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    body = response.json()
    return {row["name"]: row for row in (*body["results"], *body["at_home"])}


@contextmanager
def terms_read():
    """The ids each query of providers' linked terms asks for, as a list of sets."""
    read = []

    def note_ids(execute, sql, params, many, context):
        if "string_agg(" in sql or "group_concat(" in sql:
            read.append(set(params[0]) if connection.vendor == "postgresql" else set(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note_ids):
        yield read


def test_a_search_showing_the_same_providers_again_reads_no_terms(client, providers):
    austin, round_rock, at_home, _ = providers
    with terms_read() as first:
        shown = rows(client, near="78701", radius=25)
    with terms_read() as again:
        assert rows(client, near="78701", radius=25, condition="depression") == {
            name: row for name, row in shown.items() if "depression" in row["conditions"]
        }
    assert first == [{austin.pk, round_rock.pk, at_home.pk}]
    assert again == []
    assert shown["Austin Ketamine Clinic"]["conditions"] == ["depression", "ptsd"]
    assert shown["Austin Ketamine Clinic"]["treatments"] == ["iv-infusion"]
    assert shown["Round Rock Infusion Center"]["conditions"] == ["chronic-pain"]
    assert shown["Lone Star Ketamine at Home"]["serves_states"] == ["OH", "TX"]


def test_only_the_providers_not_kept_are_read(client, providers):
    round_rock = providers[1]
    rows(client, near="78701", radius=10)  # Austin and the at-home service: Round Rock is 17 mi
    with terms_read() as read:
        shown = rows(client, near="78701", radius=25)
    assert read == [{round_rock.pk}]
    assert shown["Round Rock Infusion Center"]["conditions"] == ["chronic-pain"]
    assert shown["Austin Ketamine Clinic"]["conditions"] == ["depression", "ptsd"]
    assert shown["Lone Star Ketamine at Home"]["conditions"] == ["anxiety", "depression"]


def test_a_save_shows_its_terms_at_once(client, providers):
    austin = providers[0]
    assert rows(client, near="78701")["Austin Ketamine Clinic"]["conditions"] == [
        "depression",
        "ptsd",
    ]
    austin.conditions.add(Condition.objects.get(slug="anxiety"))
    assert rows(client, near="78701")["Austin Ketamine Clinic"]["conditions"] == [
        "anxiety",
        "depression",
        "ptsd",
    ]
    # As the admin, an import or a proposal changes them: along with a save of the provider.
    austin.payment_options.set(["self-pay"])
    austin.save()
    assert rows(client, near="78701")["Austin Ketamine Clinic"]["payment_options"] == ["self-pay"]


def test_a_change_made_by_another_process_shows_at_once(client, providers):
    austin = providers[0]
    assert rows(client, near="78701")["Austin Ketamine Clinic"]["treatments"] == ["iv-infusion"]
    # What another server's save leaves in the shared database: the rows and the
    # version, and nothing in this process's memory.
    Provider.treatments.through.objects.filter(provider=austin).delete()
    ContentVersion.bump()
    assert rows(client, near="78701")["Austin Ketamine Clinic"]["treatments"] == []


def test_a_renamed_term_shows_once_this_process_reads_the_terms_again(providers):
    austin = providers[0]
    query = form_query(near="78701")

    def names():
        [card] = [card for card in search(query).clinics if card.provider == austin]
        return [term.name for term in card.conditions]

    assert names() == ["Depression", "PTSD"]
    # Another process renames it: the version counts up at once, but this process
    # reads the conditions from the cache, and keeps its copy for a moment
    # (directory.reference); a search then keeps the old name under the new version.
    Condition.objects.filter(slug="ptsd").update(name="Post-traumatic stress")
    ContentVersion.bump()
    assert names() == ["Depression", "PTSD"]
    forget_reference()  # as the copy expires
    assert names() == ["Depression", "Post-traumatic stress"]


def test_the_terms_are_kept_apart_for_each_language(providers):
    make_provider(
        name="Pflugerville Clinic",
        conditions=["chronic-pain", "depression"],
        locations=[
            {"address1": "2 Pecan St", "city": "Pflugerville", "state_id": "TX", "zip": "78660"}
            | {"latitude": 30.4394, "longitude": -97.62}
        ],
    )
    query = form_query(near="78701")

    def conditions():
        [card] = [card for card in search(query).clinics if card.provider.name.startswith("Pf")]
        return [term.slug for term in card.conditions]

    with translation.override("en"):
        assert conditions() == ["chronic-pain", "depression"]
        assert conditions() == ["chronic-pain", "depression"]  # kept
    # "Depresión" comes before "Dolor crónico".
    with translation.override("es"):
        assert conditions() == ["depression", "chronic-pain"]
        assert conditions() == ["depression", "chronic-pain"]
    with translation.override("en"):
        assert conditions() == ["chronic-pain", "depression"]


def test_past_the_bound_the_terms_kept_are_let_go_and_read_again(client, providers, monkeypatch):
    austin, round_rock, at_home, _ = providers
    monkeypatch.setattr(cards, "KEPT_LINKED_MAX", 2)
    reads = []
    for radius in (10, 25, 10, 25):
        with terms_read() as read:
            shown = rows(client, near="78701", radius=radius)
        reads.append(read)
        assert shown["Austin Ketamine Clinic"]["conditions"] == ["depression", "ptsd"]
        assert shown["Lone Star Ketamine at Home"]["conditions"] == ["anxiety", "depression"]
        if radius == 25:
            assert shown["Round Rock Infusion Center"]["conditions"] == ["chronic-pain"]
    # Round Rock made three: Austin's were let go, and read again. The at-home options
    # are kept from the first search on (as the API's rows), so their terms are not asked.
    assert reads == [[{austin.pk, at_home.pk}], [{round_rock.pk}], [{austin.pk}], []]
