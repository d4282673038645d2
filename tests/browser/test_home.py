"""The home page in Chromium, at phone and desktop widths: private, accessible, no dead ends.

(Sideways scrolling and tap targets on a phone: tests/browser/test_phone_and_keyboard.py.)
"""

from urllib.parse import urlsplit

import pytest

from directory.models import Condition, State
from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import PHONE
from tests.browser.test_privacy import FOREIGN_SOURCES_JS, origin

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(params=SIZES)
def home(request, new_context, site_url):
    """The home page at one size, with every request it made recorded."""
    # axe-core goes in as an inline script, which the site's CSP rightly refuses.
    context = new_context(**SIZES[request.param], bypass_csp=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request))
    response = page.goto(site_url + "/")
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    return page, requests


def test_home_loads_nothing_from_other_hosts_and_sets_no_cookies(home, site_url):
    page, requests = home
    assert any(r.resource_type == "stylesheet" for r in requests), [r.url for r in requests]
    elsewhere = [r.url for r in requests if origin(r.url) != site_url]
    assert elsewhere == []
    assert page.evaluate(FOREIGN_SOURCES_JS) == []
    assert page.context.cookies() == []


def test_home_has_no_accessibility_violation(home, axe_source):
    page, _ = home
    result = run_axe(page, axe_source)
    assert result["passes"], "axe checked nothing"
    assert result["violations"] == [], summarise(result["violations"])


def test_every_condition_and_state_link_opens_its_page(home, site_url):
    page, _ = home
    links = {
        section: page.locator(f"#{section} .browse-list a").evaluate_all(
            "links => links.map(a => a.href)"
        )
        for section in ("conditions", "states")
    }
    with_providers = {
        "conditions": Condition.objects.with_provider_counts().filter(provider_count__gt=0),
        "states": State.objects.with_provider_counts().filter(provider_count__gt=0),
    }
    for section, hrefs in links.items():
        assert len(hrefs) == with_providers[section].count(), section
        assert hrefs, f"no links under {section}"
        for href in hrefs:
            assert origin(href) == site_url, href
            response = page.request.get(href, max_redirects=0)
            assert response.status == 200, urlsplit(href).path


def test_the_lists_can_be_read_and_followed(home, site_url):
    """Visible at both widths, and a click on a state opens its landing page."""
    page, _ = home
    texas = page.locator("#states").get_by_role("link", name="Texas", exact=True)
    assert texas.is_visible()
    texas.click()
    page.wait_for_url(f"{site_url}/clinics/tx/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ketamine treatment in Texas"
