"""Script injection, in Chromium: pages full of payloads open no dialog and run no script.

A trap is set before any page script runs: alert/confirm/prompt/print record
their calls, writing window.__xss records, and a Content-Security-Policy
report of a blocked script records too (a blocked payload still means markup
got through). Every page that shows the payloads of tests/xss_corpus.py is
opened, as a patient and as an editor in the admin; then the DOM the browser
built is searched for anything that could still run on a click or a hover.
The HTML-level tests (tests/test_xss.py) prove the same by escaping alone.
"""

import pytest
from django.db.models import Min
from playwright.sync_api import expect

from articles.models import Citation
from core.cache import bump_content_version
from directory.models import Location, Provider
from tests.browser.conftest import EDITOR
from tests.xss_corpus import CONDITION, SCRIPT_URLS, STATE, ZIP, build_payload_site

TRAP = """
window.__xssHits = [];
const record = (what) => window.__xssHits.push(what);
for (const name of ["alert", "confirm", "prompt", "print"]) {
  const original = window[name];
  window[name] = function (...args) {
    record(`${name}(${args.join(",")})`);
    return original.apply(this, args);
  };
}
Object.defineProperty(window, "__xss", { set(value) { record(`__xss=${value}`); } });
document.addEventListener("securitypolicyviolation", (event) => {
  if (event.effectiveDirective.startsWith("script-src")) {
    record(`CSP blocked ${event.effectiveDirective} ${event.blockedURI} ${event.sample}`);
  }
});
"""

# What in the DOM the browser built could still run: scripts that are not our
# data blocks or files, inline handlers, and links or frames to script URLs.
LIVE_MARKUP_JS = """(allowed) => {
  const live = [];
  for (const script of document.querySelectorAll("script")) {
    const data = ["application/ld+json", "application/json"].includes(script.type);
    const ours = script.src && new URL(script.src).origin === location.origin &&
      !script.text.trim();
    if (!data && !ours) live.push(`script ${script.outerHTML.slice(0, 120)}`);
  }
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith("on")) live.push(`${element.tagName} ${attribute.name}`);
    }
  }
  const urls = "a[href], area[href], iframe[src], frame[src], embed[src], object[data], " +
    "form[action], button[formaction], base[href], img[src], meta[http-equiv]";
  for (const element of document.querySelectorAll(urls)) {
    if (element.tagName === "META") { live.push(`meta ${element.httpEquiv}`); continue; }
    // An SVG link's href is an SVGAnimatedString: its text is baseVal.
    const href = element.href instanceof SVGAnimatedString ? element.href.baseVal : element.href;
    const value = href || element.src || element.data || element.action ||
      element.formAction || "";
    const scheme = value.split(":")[0].toLowerCase();
    if (["javascript", "vbscript", "data"].includes(scheme)) {
      live.push(`${element.tagName} ${value.slice(0, 80)}`);
    }
  }
  // The site's own maps (templates/includes/*_map.html) are the one <svg> allowed.
  const theirs = { svg: "svg:not(.clinic-map__svg):not(.state-map__svg)" };
  for (const tag of ["iframe", "frame", "object", "embed", "svg", "math", "base"]) {
    if (!allowed.includes(tag) && document.querySelector(theirs[tag] || tag)) live.push(`<${tag}>`);
  }
  return live;
}"""


@pytest.fixture(scope="module")
def payload_site(site, django_db_blocker):
    """The payloads in Wyoming, committed for the live server; gone again afterwards."""
    with django_db_blocker.unblock():
        built = build_payload_site("xss-browser")
        # Half the websites and sources are script URLs written past validation.
        urls = list(SCRIPT_URLS.values())
        for index, (_, provider) in enumerate(built.providers[::2]):
            Provider.objects.filter(pk=provider.pk).update(website=urls[index % len(urls)])
        for index, (_, article) in enumerate(built.articles[::2]):
            Citation.objects.filter(article=article).update(url=urls[index % len(urls)])
        bump_content_version()
    yield built
    with django_db_blocker.unblock():
        built.delete()


@pytest.fixture
def trapped(page):
    """The page with the trap set, and a list of the dialogs that opened."""
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(TRAP)
    page.dialogs = dialogs
    return page


def visit(page, url, status=200, allow=()):
    """Open `url`; return what ran or could run there (empty when the page is inert).

    `allow` names elements the page has of its own (the admin's SVG icons).
    """
    response = page.goto(url)
    page.wait_for_load_state("load")
    problems = [] if response.status == status else [f"HTTP {response.status}"]
    problems += page.evaluate("window.__xssHits || ['trap missing']")
    problems += page.dialogs
    page.dialogs.clear()
    if "html" in (response.header_value("content-type") or ""):
        problems += page.evaluate(LIVE_MARKUP_JS, list(allow))
    return problems


def visit_all(page, urls, allow=()):
    """Open every URL; fail listing each page where something ran or could run."""
    found = {url: problems for url in urls if (problems := visit(page, url, allow=allow))}
    assert found == {}, found
    return len(urls)


def payload_cities(payload_site):
    return (
        Location.objects.filter(provider__slug__startswith="xss-browser-")
        .values("city_slug")
        .annotate(pk=Min("pk"))
        .exclude(city_slug="")  # a name with no letters or digits has no landing page
        .values_list("city_slug", flat=True)
    )


def test_the_trap_catches_a_live_payload(trapped, site_url):
    # A page with live payloads and no Content-Security-Policy: only the trap is in the way.
    live = "<title>x</title><p>x</p><img src=x onerror=alert(1)><script>window.__xss=1</script>"
    trapped.route(
        f"{site_url}/live", lambda route: route.fulfill(body=live, content_type="text/html")
    )
    problems = visit(trapped, f"{site_url}/live")
    assert sorted(problems) == [
        "IMG onerror",
        "__xss=1",
        "alert(1)",
        "alert: 1",
        "script <script>window.__xss=1</script>",
    ]


def test_provider_pages_run_no_payload(trapped, site_url, payload_site):
    urls = [site_url + provider.get_absolute_url() for _, provider in payload_site.providers]
    visit_all(trapped, urls)


def test_search_and_landing_pages_run_no_payload(trapped, site_url, payload_site):
    state = STATE.lower()
    urls = [
        f"{site_url}/",
        f"{site_url}/clinics/?near={ZIP}&radius=10&at_home=all",
        f"{site_url}/clinics/?near={ZIP}&radius=10&at_home=all&page=2",
        f"{site_url}/clinics/?near={ZIP}&radius=10&at_home=all&page=3",
        f"{site_url}/clinics/{state}/",
        f"{site_url}/clinics/{state}/?page=2",
        f"{site_url}/clinics/{state}/?page=3",
        f"{site_url}/conditions/{CONDITION}/",
    ]
    urls += [f"{site_url}/clinics/{state}/{city}/" for city in payload_cities(payload_site)]
    visit_all(trapped, urls)
    # The payloads were there to be run: the state page lists one by name.
    trapped.goto(f"{site_url}/clinics/{state}/")
    name = payload_site.providers[0][1].name
    expect(trapped.get_by_role("link", name=name, exact=True).first).to_be_visible()


def test_article_and_person_pages_run_no_payload(trapped, site_url, payload_site):
    urls = [f"{site_url}/articles/", f"{site_url}/articles/?condition={CONDITION}"]
    for _, article in payload_site.articles:
        urls += [
            site_url + article.get_absolute_url(),
            site_url + article.author.get_absolute_url(),
        ]
    visit_all(trapped, urls)


def test_feed_sitemaps_and_api_run_no_payload(trapped, site_url, payload_site):
    urls = [
        f"{site_url}/articles/feed/",
        f"{site_url}/sitemap.xml",
        f"{site_url}/sitemap-providers.xml",
        f"{site_url}/sitemap-articles.xml",
        f"{site_url}/sitemap-cities.xml",
        f"{site_url}/api/providers/?near={ZIP}&radius=10&page_size=100",
    ]
    visit_all(trapped, urls)


def test_admin_lists_and_forms_run_no_payload(trapped, site_url, payload_site):
    trapped.goto(site_url + "/admin/login/")
    trapped.get_by_label("Username").fill(EDITOR["username"])
    trapped.get_by_label("Password").fill(EDITOR["password"])
    trapped.get_by_role("button", name="Log in").click()
    expect(trapped.get_by_role("heading", level=1)).to_have_text("Site administration")

    urls = [
        f"{site_url}/admin/directory/provider/?state={STATE}",
        f"{site_url}/admin/articles/article/",
        f"{site_url}/admin/articles/person/",
    ]
    for _, provider in payload_site.providers:
        urls.append(f"{site_url}/admin/directory/provider/{provider.pk}/change/")
    for _, article in payload_site.articles:
        urls.append(f"{site_url}/admin/articles/article/{article.pk}/change/")
        urls.append(f"{site_url}/admin/articles/person/{article.author_id}/change/")
    visit_all(trapped, urls, allow={"svg"})
