"""The result card tag: what a card says, and that it stays inert and fast to build."""

import phonenumbers
import pytest
from django.urls import NoReverseMatch
from django.utils.translation import override

from directory.cards import ProviderCard, provider_cards
from directory.fields import normalize_phone
from directory.reference import CachedTerm
from directory.templatetags.directory_tags import provider_card, tel_uri
from tests import cast


@pytest.mark.parametrize(
    "typed", ["512-555-0100", "(512) 555-0100 x12", "+1 212 555 0199 ext 7", "8005550100"]
)
def test_tel_uri_of_a_stored_number_matches_phonenumbers(typed):
    stored = normalize_phone(typed)
    expected = phonenumbers.format_number(
        phonenumbers.parse(stored, "US"), phonenumbers.PhoneNumberFormat.RFC3966
    )
    assert tel_uri(stored) == expected


def test_tel_uri_parses_what_is_not_in_the_stored_shape():
    assert tel_uri("512.555.0100") == "tel:+1-512-555-0100"
    assert tel_uri("not a phone") == ""


@pytest.mark.django_db
def test_card_escapes_what_editors_typed_and_drops_non_web_links():
    provider = cast.austin_clinic()
    provider.name = '<script>alert(1)</script> & "Sons"'
    provider.website = "javascript:alert(1)"  # past validation, as a raw write could be
    conditions = [CachedTerm(c.pk, c.slug, c.name) for c in provider.conditions.order_by("name")]
    card = ProviderCard(provider, provider.locations.get(), 0.25, conditions, [], [])

    html = provider_card(card, "clinic", show_distance=True)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sons&quot;" in html
    assert "javascript:" not in html
    assert '<strong class="result__distance">0.2 mi</strong>' in html
    assert '<li class="badge">Clinic</li>' in html
    assert "<dt>Offers</dt>" not in html  # no empty facts


@pytest.mark.django_db
def test_cards_from_a_search_carry_what_the_card_shows(providers):
    austin, _, at_home, _ = providers
    [card] = provider_cards([austin])
    [home] = provider_cards([at_home])

    assert card.site is None  # no site asked for: the card shows where it treats at home
    assert [term.slug for term in card.conditions] == sorted(
        austin.conditions.values_list("slug", flat=True),
        key=lambda slug: next(t.name for t in card.conditions if t.slug == slug),
    )
    assert home.states == sorted(at_home.serves_states.values_list("code", flat=True))


@pytest.mark.django_db
def test_at_home_card_counts_states_and_shows_no_distance():
    provider = cast.at_home_service()
    card = ProviderCard(provider, None, None, [], [], ["OH", "TX"])

    html = provider_card(card, "home")

    assert "Treats patients at home in 2 states" in html
    assert f'id="provider-{provider.pk}-home"' in html
    assert "result__distance" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "prefix", "verified", "badge"),
    [
        ("en", "/providers/", "Verified Oct 1, 2026", "Clinic"),
        ("es", "/es/providers/", "Verificado el 1 de octubre de 2026", "Clínica"),
    ],
)
def test_card_speaks_and_links_in_the_page_language(language, prefix, verified, badge):
    provider = cast.austin_clinic()
    card = ProviderCard(provider, provider.locations.get(), None, [], [], [])
    provider_card(card, "clinic")  # a card in the other language first: nothing carries over

    with override(language):
        html = provider_card(card, "clinic", save=True)
        url = provider.get_absolute_url()

    assert url == f"{prefix}{provider.slug}/"
    assert f'<a href="{url}">Austin Ketamine Clinic</a>' in html
    assert f'data-save-url="{url}"' in html
    assert f'<span class="result__verified">{verified}</span>' in html
    assert f'<li class="badge">{badge}</li>' in html


@pytest.mark.django_db
def test_a_slug_outside_the_url_pattern_fails_as_reverse_does():
    # Provider.get_absolute_url() reverses once per language and fills in the slug:
    # never for a slug the URL pattern would not take.
    provider = cast.austin_clinic()
    provider.slug = "café"  # past validation, as a raw write could be

    with pytest.raises(NoReverseMatch):
        provider.get_absolute_url()
