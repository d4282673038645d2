"""Patients' privacy: the site tells nobody else who looks for ketamine treatment.

Every public page loads only from the site itself (no fonts, scripts, images
or pings from other hosts), outbound links are fetched only when clicked,
anonymous visitors get no cookies, and search pages don't leak their URL (the
searcher's ZIP and condition) to other sites in the Referer header.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

from directory.models import Location

PAIN_ARTICLE = "/articles/ketamine-for-pain-management/"
# Referrer policies that never send a search URL to another site.
PRIVATE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin"}

# Everything in the page that makes (or could make) the browser fetch something.
FOREIGN_SOURCES_JS = """() => {
  const urls = [];
  const selector = "script[src], link[href], img[src], iframe[src], source[src], video[src], " +
    "audio[src], embed[src], object[data], form[action]";
  for (const el of document.querySelectorAll(selector)) {
    urls.push(`${el.tagName.toLowerCase()} ${el.src || el.href || el.data || el.action}`);
  }
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule instanceof CSSFontFaceRule || rule instanceof CSSImportRule) {
        for (const [, url] of rule.cssText.matchAll(/url\\("?([^")]+)"?\\)/g)) {
          urls.push(`css ${new URL(url, sheet.href || location.href).href}`);
        }
      }
    }
  }
  return urls.filter((entry) => new URL(entry.split(" ")[1]).origin !== location.origin);
}"""


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def published_location():
    locations = Location.objects.filter(provider__status="published").select_related("provider")
    return locations.order_by("pk").first()


def public_pages():
    """Each public page: name -> (path, expected status, text the page must show)."""
    location = published_location()
    people = json.loads((Path(settings.BASE_DIR) / "fixtures" / "people.json").read_text())
    person = people[0]["fields"]["slug"]
    return {
        "home": ("/", 200, "Find ketamine treatment you can trust"),
        "results": (f"/clinics/?near={location.zip}&radius=250", 200, "Ketamine clinics near"),
        "empty results": ("/clinics/?near=99950&radius=10&condition=ocd", 200, "No clinics match"),
        "unknown location": ("/clinics/?near=Springfeld", 400, 'find "Springfeld"'),
        "provider": (location.provider.get_absolute_url(), 200, location.provider.name),
        "state": ("/clinics/tx/", 200, "Ketamine treatment in Texas"),
        "city": (
            f"/clinics/{location.state_id.lower()}/{location.city_slug}/",
            200,
            f"Ketamine clinics in {location.city}",
        ),
        "condition": ("/conditions/ptsd/", 200, "Ketamine treatment for PTSD"),
        "articles": ("/articles/", 200, "Articles about ketamine treatment"),
        "pain article": (PAIN_ARTICLE, 200, "References"),
        "person": (f"/people/{person}/", 200, people[0]["fields"]["name"]),
        "editorial policy": ("/editorial-policy/", 200, "How we write, review and correct"),
        "not found": ("/no-such-page/", 404, "We couldn't find that page"),
        "report form": (
            f"{location.provider.get_absolute_url()}report/",
            200,
            "Report a problem with",
        ),
        "suggest form": ("/suggest/", 200, "Suggest a ketamine provider"),
        "saved": ("/saved/", 200, "Saved providers"),
    }


PAGE_NAMES = [
    "home",
    "results",
    "empty results",
    "unknown location",
    "provider",
    "state",
    "city",
    "condition",
    "articles",
    "pain article",
    "person",
    "editorial policy",
    "not found",
    "report form",
    "suggest form",
    "saved",
]


def record_requests(page):
    requests = []
    page.on("request", lambda request: requests.append(request))
    return requests


def visit(page, site_url, name):
    """Open a public page, check it is the page meant, and let every request finish."""
    path, status, text = public_pages()[name]
    response = page.goto(site_url + path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    expect(page.locator("main")).to_contain_text(text)
    page.wait_for_load_state("networkidle")
    return response


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_public_page_loads_nothing_from_other_hosts(page, site_url, name):
    requests = record_requests(page)
    visit(page, site_url, name)

    # The page's own stylesheet was seen, so the recording works.
    assert any(r.resource_type == "stylesheet" for r in requests), [r.url for r in requests]
    # data: and blob: URLs never leave the browser; everything else must stay home.
    fetched = [r for r in requests if not r.url.startswith(("data:", "blob:"))]
    elsewhere = [f"{r.resource_type} {r.url}" for r in fetched if origin(r.url) != site_url]
    assert elsewhere == [], f"{name} fetched from other hosts: {elsewhere}"
    for kind in ("font", "script"):
        foreign = [r.url for r in fetched if r.resource_type == kind and origin(r.url) != site_url]
        assert foreign == [], f"{name} loads {kind}s from elsewhere: {foreign}"
    # Nothing in the markup or CSS points at another host for scripts, styles,
    # fonts, images, frames or hints (preconnect, prefetch), even if not fetched yet.
    assert page.evaluate(FOREIGN_SOURCES_JS) == [], name


@pytest.mark.parametrize(
    ("name", "hosts"),
    [
        # The demo providers' websites are on the reserved .example domain.
        ("provider", (".example", "www.openstreetmap.org")),
        ("pain article", ("doi.org", "pubmed.ncbi.nlm.nih.gov")),
    ],
)
def test_outbound_links_are_fetched_only_when_clicked(page, site_url, name, hosts):
    requests = record_requests(page)
    visit(page, site_url, name)
    outbound = page.eval_on_selector_all(
        "main a[href^='http']",
        "links => links.map(a => a.href).filter(h => new URL(h).origin !== location.origin)",
    )
    for host in hosts:
        assert any(urlsplit(href).netloc.endswith(host) for href in outbound), (host, outbound)

    requested = {r.url for r in requests}
    origins = {origin(url) for url in requested}
    fetched = [href for href in outbound if href in requested or origin(href) in origins]
    assert fetched == [], f"{name} fetched outbound links nobody clicked: {fetched}"

    # Clicking one does fetch it: the check above would have seen a prefetch.
    # The fence keeps the test off the internet; the request is still recorded.
    page.route(lambda url: origin(url) != site_url, lambda route: route.abort())
    link = page.locator("main a[href^='http']").first
    href = link.get_attribute("href")
    with page.expect_request(lambda r: r.url.rstrip("/") == href.rstrip("/")):
        link.click()


def test_anonymous_browsing_and_searching_sets_no_cookies(page, context, site_url, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    responses = []
    page.on("response", lambda response: responses.append(response))
    for name in PAGE_NAMES:
        visit(page, site_url, name)

    # A search through the form, as a patient would run it.
    page.goto(site_url + "/")
    page.get_by_label("Condition").select_option("depression")
    page.get_by_label("Location").fill(published_location().zip)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ketamine clinics near")
    page.locator("summary", has_text="More filters").click()
    page.get_by_role("group", name="Treatment").get_by_role("checkbox").first.check()
    with page.expect_navigation():
        page.locator("#search-form").get_by_role("button", name="Search").click()

    # Reporting a problem: the form, an error, the thank-you page.
    visit(page, site_url, "report form")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Not sent yet")
    page.get_by_label("The website is wrong").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")

    set_cookie = {r.url: r.header_value("set-cookie") for r in responses}
    assert {url: cookie for url, cookie in set_cookie.items() if cookie} == {}
    assert context.cookies() == []
    assert page.evaluate("document.cookie") == ""


@pytest.mark.parametrize("name", ["results", "empty results", "unknown location", "provider"])
def test_search_and_provider_pages_keep_their_url_from_other_sites(page, site_url, name):
    response = visit(page, site_url, name)
    header = response.header_value("referrer-policy") or ""
    # With a list, browsers use the last policy they understand.
    policy = header.split(",")[-1].strip().lower()
    assert policy in PRIVATE_REFERRER_POLICIES, f"{name}: Referrer-Policy {header!r}"
