"""Every internal link of the demo site answers 2xx or 3xx: no dead ends.

An independent crawl of a `make run` site once found 23 links answering 400:
every search link for Montana, because "MT" in `?near=MT` was read as "Mount"
(fixed in directory/gazetteer.py). A crawl checks every link the pages print,
not only the searches someone thought to write a test for.

The site is seeded like `make setup` (tests/demo_site.py) inside one transaction
that is rolled back at the end of this module, and crawled in-process with
Django's test client from the home page and the sitemap index (robots.txt's
Sitemap). It follows `href` and `src` attributes, `<loc>` in sitemaps and the
links of the Atom feed; query strings count (searches, and pagination where a
result has more than one page: none does with 300 demo providers), fragments
do not, and redirects are followed only to this site. Other hosts, mailto:,
tel: and javascript: links are not checked.

Static files are fetched like any other link: tests/settings.py has WhiteNoise
serve them from the finders (WHITENOISE_USE_FINDERS), as in development, so a
missing file answers 404. The fingerprinted names that production serves after
collectstatic are checked against gunicorn in tests/test_server.py.
"""

import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from directory.reference import forget_reference
from tests import demo_site
from tests.test_headings import skipped_levels

# Also what has pytest-django create the test database the `crawl` fixture fills.
pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"  # the test client's site; links to it are internal
START = ("/", "/sitemap.xml")
# Documents whose links are followed; anything else (CSS, JSON, text) is only fetched.
PARSED_TYPES = {"text/html", "application/xml", "text/xml", "application/atom+xml"}
# A crawl of the `make run` site visits about 1,380 links; far fewer means it got lost.
MIN_LINKS = 1_000
# At least one of each, so the crawl cannot pass by reaching nothing.
REQUIRED_KINDS = {
    "home",
    "state landing",
    "city landing",
    "condition landing",
    "search",
    "search near a place",
    "provider profile",
    "article index",
    "article",
    "person",
    "article feed",
    "sitemap index",
    "sitemap section",
    "static file",
}
KIND_OF_VIEW = {
    "home": "home",
    "clinics": "search",
    "state-landing": "state landing",
    "city-landing": "city landing",
    "condition-landing": "condition landing",
    "provider-detail": "provider profile",
    "article-index": "article index",
    "article-detail": "article",
    "person-detail": "person",
    "article-feed": "article feed",
    "sitemap-index": "sitemap index",
    "sitemap-section": "sitemap section",
}


class LinkParser(HTMLParser):
    """Collect `href` and `src` values and `<loc>` texts, entities unescaped.

    Parses HTML and also the sitemaps and the Atom feed (XML in the same syntax).
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.loc = None  # the text of the <loc> being read

    def handle_starttag(self, tag, attrs):
        self.links.extend(value for name, value in attrs if name in ("href", "src") and value)
        if tag == "loc":
            self.loc = []

    def handle_data(self, data):
        if self.loc is not None:
            self.loc.append(data)

    def handle_endtag(self, tag):
        if tag == "loc" and self.loc is not None:
            self.links.append("".join(self.loc).strip())
            self.loc = None


def links_in(body):
    parser = LinkParser()
    parser.feed(body)
    parser.close()
    return parser.links


def internal(link, page):
    """Return what `link` on `page` points at as a path and query, or None if off the site."""
    url, _fragment = urldefrag(urljoin(ORIGIN + page, link.strip()))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(ORIGIN).netloc:
        return None  # another host, mailto:, tel:, javascript:, data:
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def kinds_of(url):
    """Name what kind of page `url` is, for the check that the crawl saw each kind."""
    path, _, query = url.partition("?")
    if path.startswith(settings.STATIC_URL):
        return {"static file"}
    try:
        kind = KIND_OF_VIEW.get(resolve(path).url_name, "other page")
    except Resolver404:
        return {"not found"}
    kinds = {kind}
    if kind == "search" and parse_qs(query).get("near"):
        kinds.add("search near a place")
    return kinds


@dataclass(repr=False)
class Crawl:
    """Every internal link reached from START: its status and the first page linking to it."""

    client: Client
    status: dict = field(default_factory=dict)  # url: status code, in crawl order
    referrer: dict = field(default_factory=dict)  # url: first page linking to it
    skips: dict = field(default_factory=dict)  # url: headings that skip a level there
    seconds: float = 0.0

    def __repr__(self):
        return f"<Crawl of {len(self.status)} links in {self.seconds:.1f} s>"

    def run(self):
        started = time.monotonic()
        queue = deque(START)
        self.referrer = dict.fromkeys(START, "(start)")
        while queue:
            url = queue.popleft()
            for link in self.visit(url):
                target = internal(link, url)
                if target is not None and target not in self.referrer:
                    self.referrer[target] = url
                    queue.append(target)
        self.seconds = time.monotonic() - started
        return self

    def visit(self, url):
        """Fetch `url`, record its status and return the links to follow from it."""
        response = self.client.get(url)
        # Read every body, static files too: reading a streamed response to its end
        # closes it the way the test client expects. (Calling close() instead would
        # close the database connection, and the crawl's transaction with it.)
        body = response.getvalue()
        self.status[url] = response.status_code
        if 300 <= response.status_code < 400:
            return [response["Location"]]  # followed only if internal
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if response.status_code == 200 and content_type in PARSED_TYPES:
            text = body.decode(response.charset or "utf-8")
            if content_type == "text/html" and (skips := skipped_levels(text)):
                self.skips[url] = skips
            return links_in(text)
        return []

    def bad_links(self):
        return {url: status for url, status in self.status.items() if not 200 <= status < 400}

    def kinds(self):
        return Counter(kind for url in self.status for kind in kinds_of(url))


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker):
    """Seed the site like `make setup`, crawl it once for this module, roll it all back.

    Without the response cache (RESPONSE_CACHE_SECONDS, on with Redis) every page
    is rendered from the database, not answered from an earlier response.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(RESPONSE_CACHE_SECONDS=0),
        transaction.atomic(),
    ):
        cache.clear()
        forget_reference()
        demo_site.load_demo_content()
        # A view that raises is reported as a 500 like any other bad link.
        result = Crawl(Client(raise_request_exception=False)).run()
        transaction.set_rollback(True)
    cache.clear()
    forget_reference()
    return result


def test_every_internal_link_answers_2xx_or_3xx(crawl):
    bad = crawl.bad_links()
    report = "\n".join(
        f"  {status} {url}  (linked from {crawl.referrer[url]})" for url, status in bad.items()
    )
    assert not bad, f"{len(bad)} of {len(crawl.status)} internal links are dead ends:\n{report}"


def test_no_crawled_page_skips_a_heading_level(crawl):
    """tests/test_headings.py checks the kinds of page a crawl cannot reach."""
    report = "\n".join(f"  {url}: {'; '.join(skips)}" for url, skips in crawl.skips.items())
    assert not crawl.skips, f"{len(crawl.skips)} pages skip a heading level:\n{report}"


def test_crawl_reaches_over_a_thousand_links_of_every_kind(crawl):
    kinds = crawl.kinds()
    assert len(crawl.status) > MIN_LINKS, f"only {len(crawl.status)} links: {dict(kinds)}"
    assert not REQUIRED_KINDS - set(kinds), f"no {REQUIRED_KINDS - set(kinds)}: {dict(kinds)}"


def test_crawl_includes_montana_searches(crawl):
    """The searches that once answered 400 are among the links checked."""
    montana = [url for url in crawl.status if re.search(r"[?&]near=MT(&|$)", url)]
    assert montana, "no search with near=MT was reached"


def test_demo_site_loads_what_make_setup_loads():
    """tests/demo_site.py names the fixtures and provider count the Makefile does."""
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    fixtures = re.search(r"^FIXTURES :?= (.+)$", makefile, re.MULTILINE).group(1).split()
    providers = re.search(r"^DEMO_PROVIDERS \??= (\d+)$", makefile, re.MULTILINE).group(1)
    assert fixtures == [*demo_site.REFERENCE_FIXTURES, *demo_site.DEMO_FIXTURES]
    assert int(providers) == demo_site.DEMO_PROVIDERS
