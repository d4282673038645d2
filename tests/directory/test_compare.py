"""/compare/?p=<slug>&p=<slug>: two to four published providers side by side, fact by fact."""

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from directory.cards import provider_cards
from directory.factsheet import NO_AT_HOME, UNKNOWN
from directory.templatetags.directory_tags import provider_card
from tests.cast import at_home_service, austin_clinic, draft_provider, make_provider
from tests.directory.test_provider_page import fully_confirmed_clinic

pytestmark = pytest.mark.django_db


def compare(client, *slugs):
    return client.get(f"/compare/?{urlencode([('p', slug) for slug in slugs])}")


def columns(html):
    """The providers' names, in the order of the table's columns."""
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    names = re.findall(r'<th scope="col">\s*<a href="[^"]+">(.*?)</a>', head)
    return [unescape(name) for name in names]


def rows(html):
    """{row label: [cell text, …]} for every fact row of the table."""
    found = {}
    for label, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        texts = [unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells]
        found.setdefault(unescape(label), []).append(texts)
    return {label: values[0] if len(values) == 1 else values for label, values in found.items()}


@pytest.fixture
def cast():
    """Four published providers: a bare clinic, an at-home service, a confirmed one, one more."""
    return [
        austin_clinic(),
        at_home_service(),
        fully_confirmed_clinic(),
        make_provider(name="Fourth Clinic"),
    ]


def test_two_providers_side_by_side_fact_by_fact(client, cast):
    austin, _, bayou, _ = cast
    response = compare(client, bayou.slug, austin.slug)
    html = response.content.decode()
    assert response.status_code == 200
    assert columns(html) == ["Bayou Ketamine Center", "Austin Ketamine Clinic"]
    assert f'<a href="/providers/{bayou.slug}/">' in html
    table = rows(html)
    assert table["Price per session"] == ["$400–$1,200", UNKNOWN]
    assert table["Medicare"] == ["Not accepted", UNKNOWN]
    assert table["Self-pay"] == ["Accepted", UNKNOWN]
    assert table["Ride home required"] == ["Yes", UNKNOWN]
    hours = "Mon–Fri 8:00 AM–5:00 PM; Sat 9:00 AM–noon; Sun closed"
    assert table["Opening hours"] == [hours, UNKNOWN]
    assert table["Wheelchair access"] == ["Yes", UNKNOWN]
    # The at-home group applies to one of them: the other's cells say so, not "unknown".
    assert table["Compounded ketamine"] == ["No", NO_AT_HOME]
    confirmed = table["Last confirmed"]
    assert confirmed[0] == ["Sep 1, 2026", UNKNOWN]  # cost, the first group
    assert ["Sep 9, 2026", "Does not apply"] in confirmed  # care at home
    assert "<h1>Compare 2 providers</h1>" in html
    assert "Remove" not in html  # two is the fewest there can be


def test_unknowns_are_never_shown_as_no(client, cast):
    austin, home, _, _ = cast
    austin.accepting_new_patients = None
    austin.save()
    html = compare(client, austin.slug, home.slug).content.decode()
    table = rows(html)
    for label, cells in table.items():
        if label not in {"Last confirmed", "Where", "Conditions treated", "States"}:
            assert "No" not in cells, label
    assert table["Accepting new patients"] == [UNKNOWN, UNKNOWN]
    assert table["Opening hours"] == [UNKNOWN, "No clinic to visit (at-home care only)"]


def test_four_providers_each_with_a_link_to_remove_it(client, cast):
    slugs = [provider.slug for provider in cast]
    html = compare(client, *slugs).content.decode()
    assert columns(html) == [provider.name for provider in cast]
    removes = re.findall(r'<a class="compare__remove" href="([^"]+)">Remove', html)
    assert len(removes) == 4
    for slug, url in zip(slugs, removes, strict=True):
        parts = urlsplit(unescape(url))
        assert parts.path == "/compare/"
        assert parse_qs(parts.query)["p"] == [s for s in slugs if s != slug]
    assert '<span class="visually-hidden"> Austin Ketamine Clinic</span>' in html


def test_safety_notes_follow_the_providers_compared(client, cast):
    austin, home, bayou, fourth = cast
    plain = compare(client, austin.slug, fourth.slug).content.decode()
    assert "Safety notes" not in plain
    assert "A listing is not an endorsement." in plain
    both = compare(client, home.slug, bayou.slug).content.decode()
    assert "In October 2023 the U.S. Food and Drug Administration" in both
    assert "December 31, 2026" in both
    assert "at least two hours" in both
    assert both.count("In October 2023") == 1


@pytest.mark.parametrize("count", [2, 4])
def test_compare_page_uses_a_fixed_number_of_queries(
    client, cast, count, django_assert_num_queries
):
    # The providers, their sites, and their links (directory.factsheet.load_facts).
    with django_assert_num_queries(3):
        assert compare(client, *[provider.slug for provider in cast[:count]]).status_code == 200


def test_compare_page_is_private_to_the_browser_sets_no_cookie_and_is_not_indexed(client, cast):
    response = compare(client, cast[0].slug, cast[1].slug)
    assert response.cookies == {}
    assert "private" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_the_scroll_region_can_be_reached_by_keyboard_and_is_named(client, cast):
    html = compare(client, cast[0].slug, cast[1].slug).content.decode()
    region = re.search(r'<div class="compare-scroll"[^>]*>', html).group(0)
    assert 'role="region"' in region
    assert 'aria-labelledby="compare-caption"' in region
    assert 'tabindex="0"' in region
    assert '<caption id="compare-caption">' in html


@pytest.mark.parametrize(
    ("slugs", "message"),
    [
        ([], "Choose at least two providers to compare; you chose none."),
        (
            ["austin-ketamine-clinic"],
            "Choose at least two providers to compare; you chose only one.",
        ),
        (["a", "b", "c", "d", "e"], "You can compare up to four providers at once; you chose 5."),
        (
            ["austin-ketamine-clinic", "fourth-clinic", "austin-ketamine-clinic"],
            "You chose “austin-ketamine-clinic” more than once; choose each provider once.",
        ),
    ],
)
def test_the_wrong_number_or_a_repeat_is_a_400_that_says_which(client, cast, slugs, message):
    response = compare(client, *slugs)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in unescape(html)
    assert "<h1>Choose two to four providers to compare</h1>" in html
    assert '<a href="/clinics/">Find treatment near you</a>' in html


def test_a_400_links_back_to_the_provider_already_chosen(client, cast):
    html = compare(client, "austin-ketamine-clinic").content.decode()
    assert '<a href="/providers/austin-ketamine-clinic/">Back to Austin Ketamine Clinic</a>' in html


def test_blank_choices_are_ignored(client, cast):
    response = client.get(f"/compare/?p=&p={cast[0].slug}&p=+&p={cast[1].slug}")
    assert response.status_code == 200
    assert columns(response.content.decode()) == [cast[0].name, cast[1].name]


def test_an_unknown_slug_is_a_404_naming_it(client, cast):
    response = compare(client, cast[0].slug, "no-such-clinic")
    html = unescape(response.content.decode())
    assert response.status_code == 404
    assert "We have no published listing at “no-such-clinic”." in html
    assert "<h1>We couldn't find a provider to compare</h1>" in html
    assert "Back to Austin Ketamine Clinic" in html


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_an_unpublished_provider_is_a_404_naming_it(client, cast, status):
    draft = draft_provider(status=status)
    response = compare(client, cast[0].slug, draft.slug, "gone")
    assert response.status_code == 404
    assert "We have no published listings at “unfinished-clinic” and “gone”." in unescape(
        response.content.decode()
    )


def test_editors_cannot_compare_drafts_either(editor_client, cast):
    # The URL is shareable: it shows what the public would see.
    assert compare(editor_client, cast[0].slug, draft_provider().slug).status_code == 404


def test_a_hostile_slug_is_named_as_inert_text(client, cast):
    payload = '"><script>alert(1)</script>'
    html = compare(client, cast[0].slug, payload).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_slug_with_a_nul_character_is_a_400_saying_so(client, cast):
    # PostgreSQL refuses to compare text holding NUL: this was a 500 there.
    response = compare(client, cast[0].slug, "a\x00b")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Null characters are not allowed." in html
    assert "Back to Austin Ketamine Clinic" in html
    assert "\x00" not in html


def test_a_very_long_slug_is_named_cut_short(client, cast):
    html = unescape(compare(client, cast[0].slug, "x" * 5000).content.decode())
    assert "x" * 59 + "…”" in html
    assert "x" * 100 not in html


def test_compare_refuses_writes(client, cast):
    assert client.post(f"/compare/?p={cast[0].slug}&p={cast[1].slug}").status_code == 405


def test_a_card_can_carry_a_compare_checkbox_for_the_search_pages_form(cast):
    [card] = provider_cards([cast[0]])
    plain = provider_card(card, "clinic")
    picked = provider_card(card, "clinic", compare=True)
    assert 'name="p"' not in plain
    checkbox = re.search(r"<input [^>]*>", picked).group(0)
    assert 'type="checkbox"' in checkbox
    assert 'name="p"' in checkbox
    assert f'value="{cast[0].slug}"' in checkbox
    assert 'form="compare-form"' in checkbox
    box_id = re.search(r'id="([^"]+)"', checkbox).group(1)
    label = f'<label for="{box_id}">Compare<span class="visually-hidden"> {cast[0].name}</span>'
    assert label in picked


def test_the_card_checkbox_escapes_the_name(cast):
    provider = cast[0]
    provider.name = "<img src=x onerror=alert(1)>"
    [card] = provider_cards([provider])
    picked = provider_card(card, "clinic", compare=True)
    assert "<img" not in picked
    assert "&lt;img src=x onerror=alert(1)&gt;" in picked
