"""Print, share, save: a patient keeps what they found, on paper or on their own device.

Saving keeps providers in this browser's localStorage only (static/js/saved.js):
no cookie, nothing sent to the server, until the patient chooses to compare
them. "Copy link" puts the page's address on the patient's clipboard
(static/js/share.js). The print stylesheet keeps the facts, addresses and
phone numbers and drops the navigation, forms and buttons.
"""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.models import Location, Provider
from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import OVERFLOW_JS, TARGETS_JS

KEY = "ketanet:saved"
WIDTHS = {"phone": 390, "desktop": 1280}


def clinics(count):
    """`count` published demo clinics with a phone number, each by its first location."""
    found = []
    locations = Location.objects.filter(provider__status=Provider.Status.PUBLISHED)
    for location in locations.exclude(provider__phone="").select_related("provider").order_by("pk"):
        if location.provider not in found:
            found.append(location.provider)
        if len(found) == count:
            return found
    pytest.fail(f"the demo data has fewer than {count} published clinics with a phone")


def results_path(provider):
    return f"/clinics/?near={provider.locations.order_by('pk').first().zip}&radius=250"


def stored(page):
    return json.loads(page.evaluate(f"() => localStorage.getItem('{KEY}') || '[]'"))


def record_requests(context):
    requests = []
    context.on("request", lambda request: requests.append(request))
    return requests


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_save_on_profiles_then_compare_and_remove_on_the_saved_page(page, context, site_url):
    first, second = clinics(2)
    requests = record_requests(context)

    page.goto(site_url + first.get_absolute_url())
    toggle = page.get_by_role("button", name="Save this provider")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.wait_for_load_state("networkidle")
    before = len(requests)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#save-status")).to_have_text(f"Saved {first.name} in this browser.")
    assert len(requests) == before, "saving sent a request"
    [entry] = stored(page)
    assert entry["slug"] == first.slug
    assert entry["name"] == first.name
    assert entry["url"] == first.get_absolute_url()
    assert entry["saved"][:4].isdigit()  # an ISO date

    page.reload()  # still saved: the page itself is the same for everyone
    expect(page.get_by_role("button", name="Save this provider")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.goto(site_url + second.get_absolute_url())
    page.get_by_role("button", name="Save this provider").click()
    assert [item["slug"] for item in stored(page)] == [first.slug, second.slug]

    page.locator(".page-tools").get_by_role("link", name="Saved providers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved providers")
    expect(page.locator("#saved-heading")).to_have_text("2 saved providers")
    expect(page.locator("#saved-needs-js")).to_be_hidden()
    items = page.locator("#saved-list > li")
    expect(items).to_have_count(2)
    expect(items.nth(0).get_by_role("link")).to_have_text(first.name)
    expect(items.nth(0).get_by_role("link")).to_have_attribute("href", first.get_absolute_url())
    expect(items.nth(0)).to_contain_text("Saved on ")
    page.wait_for_load_state("networkidle")

    compare = page.get_by_role("link", name="Compare these 2 providers")
    assert parse_qs(urlsplit(compare.get_attribute("href")).query) == {
        "p": [first.slug, second.slug]
    }
    with page.expect_navigation():
        compare.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare 2 providers")
    expect(page.locator("thead")).to_contain_text(first.name)
    expect(page.locator("thead")).to_contain_text(second.name)

    page.go_back()
    page.get_by_role("button", name=f"Remove {first.name}").click()
    expect(page.locator("#saved-status")).to_have_text(f"Removed {first.name}.")
    expect(items).to_have_count(1)
    expect(page.get_by_role("button", name=f"Remove {second.name}")).to_be_focused()
    expect(page.locator("#saved-compare")).to_have_text(
        "Save one more provider to compare them side by side."
    )
    assert [item["slug"] for item in stored(page)] == [second.slug]
    page.goto(site_url + first.get_absolute_url())
    expect(page.get_by_role("button", name="Save this provider")).to_have_attribute(
        "aria-pressed", "false"
    )

    # Only this browser knows: no cookie, nothing posted, every request to the
    # site itself, and the slugs travel only in the pages' own addresses.
    assert context.cookies() == []
    assert page.evaluate("document.cookie") == ""
    assert [r.url for r in requests if origin(r.url) != site_url] == []
    assert [r.url for r in requests if r.method != "GET"] == []
    assert [r.url for r in requests if r.headers.get("cookie")] == []
    carrying = {
        r.url.removeprefix(site_url)
        for r in requests
        if first.slug in r.url or second.slug in r.url
    }
    compare_path = f"/compare/?p={first.slug}&p={second.slug}"
    assert carrying == {first.get_absolute_url(), second.get_absolute_url(), compare_path}


def test_more_than_four_saved_lets_the_patient_pick_and_ignores_junk(page, site_url):
    saved = clinics(5)
    page.goto(site_url + "/saved/")
    expect(page.locator("#saved-empty")).to_be_visible()
    entries = [
        {"slug": p.slug, "name": p.name, "url": p.get_absolute_url(), "saved": "2026-03-02T10:00Z"}
        for p in saved
    ]
    junk = [
        {"slug": "../../admin", "name": "Bad slug", "url": "/admin/"},
        {"slug": "elsewhere", "name": "Another host", "url": "https://evil.example/"},
        {"slug": "scripted", "name": "Script URL", "url": "javascript:alert(1)"},
        {"slug": "markup", "name": "<img src=x onerror=alert(1)>", "url": "/providers/markup/"},
        "not an object",
        {**entries[0], "name": "A repeat"},
    ]
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)", [KEY, json.dumps(entries + junk)]
    )
    page.reload()

    items = page.locator("#saved-list > li")
    expect(items).to_have_count(6)  # five providers and the harmless markup, as text
    expect(items.nth(5).get_by_role("link")).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator("#saved-list img").count() == 0
    hrefs = items.get_by_role("link").evaluate_all("links => links.map(a => a.href)")
    assert all(origin(href) == site_url for href in hrefs), hrefs
    expect(page.get_by_role("link", name="Compare these")).to_have_count(0)
    expect(page.locator("#saved-compare")).to_contain_text("up to four providers at once")

    page.get_by_label(f"Compare {saved[1].name}").check()
    page.get_by_label(f"Compare {saved[3].name}").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Compare the ticked providers").click()
    assert parse_qs(urlsplit(page.url).query) == {"p": [saved[1].slug, saved[3].slug]}
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare 2 providers")


def test_saving_is_shown_only_to_browsers_that_can_save(new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    provider = clinics(1)[0]
    page.goto(site_url + "/saved/")
    expect(page.locator("#saved-needs-js")).to_be_visible()
    expect(page.locator("#saved-needs-js")).to_contain_text("Saving providers needs JavaScript")
    expect(page.locator("#saved")).to_be_hidden()
    for path in (provider.get_absolute_url(), results_path(provider)):
        page.goto(site_url + path)
        assert page.locator(".page-tools, .result__save").count() >= 1
        expect(page.locator("[data-save-slug]").first).to_be_hidden()
        expect(page.locator("[data-copy-link]")).to_be_hidden()
        expect(page.locator("[data-saved-link]")).to_be_hidden()


@pytest.mark.parametrize("where", ["results", "profile"])
def test_copy_link_puts_the_address_on_the_clipboard_and_says_so(page, context, site_url, where):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    provider = clinics(1)[0]
    path = results_path(provider) if where == "results" else provider.get_absolute_url()
    page.goto(site_url + path)
    page.get_by_role("button", name="Copy link to this page").click()
    expect(page.locator("#copy-link-status")).to_have_text("Link copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == site_url + path
    expect(page.locator("#copy-link-fallback")).to_be_hidden()
    assert context.cookies() == []


def test_copy_link_without_the_clipboard_selects_the_address_to_copy(page, site_url):
    # A browser without the asynchronous clipboard API (older ones, some webviews).
    page.add_init_script("delete Navigator.prototype.clipboard")
    provider = clinics(1)[0]
    page.goto(site_url + provider.get_absolute_url())
    page.get_by_role("button", name="Copy link to this page").click()
    field = page.get_by_label("Link to this page")
    expect(field).to_be_visible()
    expect(field).to_have_value(page.url)
    expect(field).to_be_focused()
    selected = page.evaluate(
        "() => { const f = document.activeElement;"
        " return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == page.url
    expect(page.locator("#copy-link-status")).to_contain_text("the link is selected in the box")


HIDDEN_IN_PRINT = [
    ".site-header nav",
    ".skip-link",
    ".site-footer .small",
    ".page-tools",
    "#search-form",
    "#compare-form",
    ".result__compare",
    ".result__save",
    ".breadcrumbs",
    ".compare-pick",
    ".listing-help",
]

# What the print stylesheet does to each element the test looks at.
PRINT_STYLE_JS = """(selectors) => Object.fromEntries(selectors.map((selector) => {
  const el = document.querySelector(selector);
  return [selector, el ? getComputedStyle(el).display : "absent"];
}))"""


@pytest.mark.parametrize("where", ["results", "profile"])
def test_print_keeps_the_facts_and_drops_navigation_and_forms(page, site_url, where):
    provider = clinics(1)[0]
    location = provider.locations.order_by("pk").first()
    path = results_path(provider) if where == "results" else provider.get_absolute_url()
    page.goto(site_url + path)
    shown_on_screen = page.evaluate(PRINT_STYLE_JS, HIDDEN_IN_PRINT)
    assert shown_on_screen[".site-header nav"] != "none"  # the test would notice a change

    page.emulate_media(media="print")
    displayed = page.evaluate(PRINT_STYLE_JS, HIDDEN_IN_PRINT)
    assert {s: d for s, d in displayed.items() if d not in {"none", "absent"}} == {}
    present = {s for s, d in shown_on_screen.items() if d != "absent"}
    assert {".site-header nav", ".page-tools", ".site-footer .small"} <= present

    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_be_visible()
    if where == "profile":
        expect(main.locator("address").first).to_be_visible()
        expect(main.locator("address").first).to_contain_text(location.address1)
        expect(main.locator("dd", has_text=provider.phone).first).to_be_visible()
        expect(main.locator(".factgroup").first).to_be_visible()
    else:
        card = main.locator(".result", has=page.get_by_role("link", name=provider.name)).first
        expect(card).to_be_visible()
        expect(card.locator(".result__where")).to_contain_text(location.address1)
        expect(card.get_by_role("link", name=provider.phone)).to_be_visible()
        website = card.locator(".result__contact a[href^='http']")
        if website.count():  # the address itself is printed after "Website"
            after = website.evaluate("a => getComputedStyle(a, '::after').content")
            assert website.get_attribute("href") in after
        assert card.evaluate("el => getComputedStyle(el).breakInside") == "avoid"
    expect(page.locator(".site-footer .disclaimer")).to_be_visible()
    colours = page.evaluate(
        """() => [document.body, document.querySelector('main a')].map((el) => {
          const style = getComputedStyle(el);
          return [style.color, style.backgroundColor];
        })"""
    )
    assert colours == [["rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"]] * 2

    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000


def fill_saved_list(page, site_url, providers):
    page.goto(site_url + "/saved/")
    entries = [
        {"slug": p.slug, "name": p.name, "url": p.get_absolute_url(), "saved": "2026-03-02"}
        for p in providers
    ]
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [KEY, json.dumps(entries)])


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_profile_results_and_saved_pages_pass_axe_with_their_buttons(
    new_context, site_url, axe_source, width
):
    phone = width < 600
    context = new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        # axe-core goes in as an inline script, which the site's CSP rightly
        # refuses; every other test here runs under the real policy.
        bypass_csp=True,
    )
    requests = record_requests(context)
    page = context.new_page()
    first, second, third = clinics(3)
    fill_saved_list(page, site_url, [first, second])
    pages = {
        "profile (saved)": first.get_absolute_url(),
        "profile (not saved)": third.get_absolute_url(),
        "results": results_path(first),
        "saved": "/saved/",
    }
    failures = {}
    for name, path in pages.items():
        page.goto(site_url + path)
        expect(
            page.get_by_role("button", name="Copy link to this page").or_(
                page.get_by_role("link", name="Compare these 2 providers")
            )
        ).to_be_visible()
        if name != "saved":
            expect(page.locator("[data-save-slug]").first).to_be_visible()
        if name == "profile (saved)":
            expect(page.get_by_role("button", name="Save this provider")).to_have_attribute(
                "aria-pressed", "true"
            )
        result = run_axe(page, axe_source)
        assert result["passes"], f"axe checked nothing on {name}"
        if result["violations"]:
            failures[name] = summarise(result["violations"])
        if phone:
            offenders = page.evaluate(TARGETS_JS)
            assert offenders == [], f"small targets on {name}: {offenders}"
            measured = page.evaluate(OVERFLOW_JS, width)
            assert measured["scrollWidth"] <= width, (name, measured)
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
    assert [r.url for r in requests if origin(r.url) != site_url] == []
    assert context.cookies() == []
