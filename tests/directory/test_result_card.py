"""The result card tag: what a card says, and that it stays inert and fast to build."""

import phonenumbers
import pytest

from directory.fields import normalize_phone
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
    provider.nearest_location = provider.locations.get()
    provider.distance = 0.25
    provider.conditions_list = list(provider.conditions.order_by("name"))
    provider.treatments_list = []
    provider.states_list = []

    html = provider_card(provider, "clinic", show_distance=True)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sons&quot;" in html
    assert "javascript:" not in html
    assert '<strong class="result__distance">0.2 mi</strong>' in html
    assert '<li class="badge">Clinic</li>' in html
    assert "<dt>Offers</dt>" not in html  # no empty facts


@pytest.mark.django_db
def test_at_home_card_counts_states_and_shows_no_distance():
    provider = cast.at_home_service()
    provider.nearest_location = None
    provider.distance = None
    provider.conditions_list = provider.treatments_list = []
    provider.states_list = ["OH", "TX"]

    html = provider_card(provider, "home")

    assert "Treats patients at home in 2 states" in html
    assert f'id="provider-{provider.pk}-home"' in html
    assert "result__distance" not in html
