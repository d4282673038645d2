"""Comparing on a phone: pick providers on a profile, compare them, all without JavaScript.

A 375 by 812 px screen (an iPhone X to 13 mini). The journey runs with
JavaScript switched off, to prove the plain form is enough; the axe-core checks
run with it on (axe is a script) on the same screen size.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.compare import CANDIDATE_RADIUS_MILES
from directory.models import Location, Provider
from tests.browser.test_accessibility import run_axe, summarise

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def clinic_with_neighbours(at_least=2):
    """A published demo clinic with at least `at_least` other published clinics nearby."""
    published = Provider.objects.published()
    for location in Location.objects.filter(
        provider__status=Provider.Status.PUBLISHED, latitude__isnull=False
    ).order_by("pk"):
        point = (location.latitude, location.longitude)
        nearby = published.near(point, CANDIDATE_RADIUS_MILES).exclude(pk=location.provider_id)
        if location.provider.locations.order_by("pk").first() == location and (
            nearby.count() >= at_least
        ):
            return location.provider
    pytest.fail("the demo data has no clinic with neighbours to compare")


def assert_no_sideways_scroll(page):
    width = PHONE["viewport"]["width"]
    measured = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert measured == [width, width], measured


def test_a_patient_picks_two_providers_on_a_profile_and_compares_them_without_javascript(
    new_context, site_url
):
    page = new_context(**PHONE, java_script_enabled=False).new_page()
    provider = clinic_with_neighbours()
    page.goto(site_url + provider.get_absolute_url())

    form = page.locator("form", has=page.get_by_role("button", name="Compare"))
    choices = form.get_by_role("group", name=f"Choose one to three to compare with {provider.name}")
    boxes = choices.get_by_role("checkbox")
    assert boxes.count() >= 2
    picked = [boxes.nth(0), boxes.nth(1)]
    for box in picked:
        box.scroll_into_view_if_needed()
        expect(box).to_be_in_viewport()
        box.tap()
        expect(box).to_be_checked()
    chosen = [box.get_attribute("value") for box in picked]
    with page.expect_navigation():
        form.get_by_role("button", name="Compare").tap()

    assert urlsplit(page.url).path == "/compare/"
    assert parse_qs(urlsplit(page.url).query)["p"] == [provider.slug, *chosen]
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare 3 providers")
    table = page.get_by_role("table", name="Fact by fact")
    headers = table.get_by_role("columnheader")
    expect(headers.nth(1)).to_contain_text(provider.name)
    expect(table.get_by_role("rowheader", name="Price per session")).to_be_visible()
    assert_no_sideways_scroll(page)

    # Three in the table: each can be removed, which leaves the other two.
    remove = table.get_by_role("link", name=f"Remove {provider.name}")
    remove.scroll_into_view_if_needed()
    with page.expect_navigation():
        remove.tap()
    assert parse_qs(urlsplit(page.url).query)["p"] == chosen
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare 2 providers")
    expect(page.get_by_role("link", name="Remove", exact=False)).to_have_count(0)


def test_submitting_with_nothing_ticked_says_what_to_do(new_context, site_url):
    page = new_context(**PHONE, java_script_enabled=False).new_page()
    provider = clinic_with_neighbours()
    page.goto(site_url + provider.get_absolute_url())
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").tap()
    expect(page.get_by_text("you chose only one")).to_be_visible()
    page.get_by_role("link", name=f"Back to {provider.name}").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(provider.name)


@pytest.mark.parametrize("count", [2, 4])
def test_profile_and_compare_pages_pass_axe_on_a_phone(new_context, site_url, axe_source, count):
    page = new_context(**PHONE, bypass_csp=True).new_page()
    provider = clinic_with_neighbours(at_least=count - 1)
    page.goto(site_url + provider.get_absolute_url())
    boxes = page.get_by_role("checkbox")
    values = [boxes.nth(index).get_attribute("value") for index in range(count - 1)]
    query = "&".join(f"p={slug}" for slug in [provider.slug, *values])
    pages = {
        "profile": provider.get_absolute_url(),
        "compare": f"/compare/?{query}",
        "compare error": f"/compare/?p={provider.slug}",
        "compare not found": f"/compare/?p={provider.slug}&p=no-such-clinic",
    }
    failures = {}
    for name, path in pages.items():
        page.goto(site_url + path)
        result = run_axe(page, axe_source)
        assert result["passes"], f"axe checked nothing on {name}"
        if result["violations"]:
            failures[name] = summarise(result["violations"])
        assert page.locator("h1").count() == 1, name
        assert_no_sideways_scroll(page)
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
