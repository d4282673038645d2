"""The maps in Chromium: markers match the list, nothing from other hosts, axe-clean, keyboard."""

from urllib.parse import urlsplit

import pytest
from django.db.models import Count, Min

from directory.models import Location, Provider
from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import FOCUS_JS, PHONE

DESKTOP = {"viewport": {"width": 1280, "height": 900}}

MARKERS_JS = """() => [...document.querySelectorAll("svg.clinic-map__svg a.clinic-map__marker")]
  .map((a) => {
    const box = a.getBoundingClientRect(), map = a.ownerSVGElement.getBoundingClientRect();
    return {
      number: a.querySelector("text").textContent,
      href: a.getAttribute("href"),
      inside: box.left >= map.left && box.right <= map.right
        && box.top >= map.top && box.bottom <= map.bottom,
      width: box.width,
    };
  })"""
CARDS_JS = """() => [...document.querySelectorAll("ol.results .result__name")].map((h) => ({
  number: h.querySelector(".result__number").textContent.replace(".", ""),
  href: h.querySelector("a").getAttribute("href"),
}))"""


def busiest_zip():
    """A ZIP in the city with the most demo clinics: a crowded map."""
    busiest = (
        Location.objects.filter(provider__status="published")
        .values("state", "city_slug")
        .annotate(sites=Count("id"), zip=Min("zip"))
        .order_by("-sites", "zip")
        .first()
    )
    return busiest["zip"]


def paths():
    provider = (
        Provider.objects.published()
        .annotate(sites=Count("locations"))
        .filter(sites__gt=1)
        .order_by("pk")
        .first()
    )
    return {
        "results": f"/clinics/?near={busiest_zip()}&radius=100",
        "provider": provider.get_absolute_url(),
    }


@pytest.fixture
def desktop(new_context):
    return new_context(**DESKTOP, bypass_csp=True).new_page()


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE, bypass_csp=True).new_page()


def test_results_markers_match_the_list_in_order_and_link(desktop, site_url):
    desktop.goto(f"{site_url}{paths()['results']}")
    found = desktop.evaluate(MARKERS_JS)
    listed = desktop.evaluate(CARDS_JS)
    assert len(listed) == 20
    assert [(m["number"], m["href"]) for m in found] == [(c["number"], c["href"]) for c in listed]
    assert all(marker["inside"] for marker in found), found
    # A click on a marker opens that clinic's profile.
    desktop.locator("a.clinic-map__marker").last.click()
    desktop.wait_for_url(f"{site_url}{listed[-1]['href']}")


def test_profile_markers_match_the_numbered_locations(desktop, site_url):
    desktop.goto(f"{site_url}{paths()['provider']}")
    found = desktop.evaluate(MARKERS_JS)
    numbers = desktop.locator(".location__number").evaluate_all(
        "ps => ps.map((p) => [p.textContent.replace('.', ''), '#' + p.id])"
    )
    assert found
    assert {(m["number"], m["href"]) for m in found} <= {tuple(pair) for pair in numbers}
    desktop.locator("a.clinic-map__marker").first.click()
    assert desktop.url.endswith(found[0]["href"])


@pytest.mark.parametrize("name", ["results", "provider"])
def test_maps_load_nothing_from_other_hosts_and_set_no_cookies(page, context, site_url, name):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site_url}{paths()[name]}")
    page.wait_for_load_state("networkidle")
    assert page.locator("svg.clinic-map__svg").count() == 1
    assert {urlsplit(url).netloc for url in requests} == {urlsplit(site_url).netloc}
    assert context.cookies() == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("name", ["results", "provider"])
def test_maps_are_axe_clean_and_fit_phone_and_desktop(request, site_url, axe_source, width, name):
    page = request.getfixturevalue(width)
    page.goto(f"{site_url}{paths()[name]}")
    assert page.locator("svg.clinic-map__svg").is_visible()
    result = run_axe(page, axe_source)
    assert result["violations"] == [], summarise(result["violations"])
    svg = page.locator("svg.clinic-map__svg").bounding_box()
    viewport = page.viewport_size
    assert svg["x"] >= 0
    assert svg["x"] + svg["width"] <= viewport["width"]
    # Markers stay big enough to tap (WCAG 2.2 SC 2.5.8) even on the phone.
    assert min(marker["width"] for marker in page.evaluate(MARKERS_JS)) >= 24


def test_keyboard_skips_the_map_and_reaches_every_clinic_in_the_list(desktop, site_url):
    desktop.goto(f"{site_url}{paths()['results']}")
    listed = {card["href"] for card in desktop.evaluate(CARDS_JS)}
    reached = set()
    for _ in range(400):
        desktop.keyboard.press("Tab")
        focus = desktop.evaluate(FOCUS_JS)
        assert desktop.evaluate("() => !document.activeElement.closest('svg')")
        assert focus["visible"], focus
        if focus["resultName"]:
            reached.add(focus["href"])
        if reached == listed:
            break
    assert reached == listed


def test_without_javascript_the_page_shows_the_same_map_and_list(new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site_url}{paths()['results']}")
    assert page.locator("a.clinic-map__marker").count() == 20
    assert page.locator("ol.results > li").count() == 20
