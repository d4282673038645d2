"""Script injection: whatever editors type renders inert on every public page, feed and API.

Each payload of tests/xss_corpus.py goes into every text field an editor can
write, on published objects; then every page that shows them is parsed and
checked for live markup: a <script> that is not ours, an on* attribute, a
javascript:/data: URL, a JSON-LD block something could break out of. The
payloads must also come back as text or data, so "inert" never means "dropped".
"""

import json
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles.feeds import xml_text
from articles.models import Article, Citation
from directory.gazetteer import MAX_QUERY_LENGTH
from directory.models import Location, Provider
from tests.admin_forms import form_data
from tests.xss_corpus import (
    CONDITION,
    MARKUP_URLS,
    PAYLOADS,
    SCRIPT_URLS,
    STATE,
    ZIP,
    build_payload_site,
    inspect,
    script_url,
    strings_in,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_ELEMENTS = {
    "feed", "title", "link", "id", "updated", "subtitle", "entry", "published", "author", "name",
    "summary",
}  # fmt: skip
FEED_LENGTH = 20
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# (payload, field, page) triples seen rendered inert, for the figure.
TRIED = set()


@pytest.fixture(scope="module", autouse=True)
def _report_tried():
    yield
    payloads = {payload for payload, _, _ in TRIED}
    fields = {field for _, field, _ in TRIED}
    pages = {page for _, _, page in TRIED}
    print(
        f"\nXSS: {len(TRIED)} payload×field×page combinations rendered inert "
        f"({len(payloads)} payloads, {len(fields)} fields, {len(pages)} pages)"
    )


@pytest.fixture
def site():
    return build_payload_site("xss")


def parse_xml(content):
    return ET.fromstring(content)  # noqa: S314 - our own feed and sitemaps, not untrusted input


def fetch(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def inert_page(client, url, status=200, allow=()):
    """Fetch an HTML page and check it could run none of the payloads; return its inspection."""
    page = inspect(fetch(client, url, status).content.decode(), allow)
    page.url = url
    page.strings = "\n".join([*page.text, *page.attribute_values])
    page.data = list(strings_in(page.json_ld()))
    return page


def shown(page, values, kinds=("text",)):
    """Record and return the fields whose exact value the page shows as text (or data)."""
    found = []
    for (payload, field), value in values.items():
        if value and (
            ("text" in kinds and value in page.strings) or ("data" in kinds and value in page.data)
        ):
            TRIED.add((payload, field, page.url))
            found.append(field)
    return found


def json_ld_urls(data):
    """The values of JSON-LD's URL-valued properties, anywhere in `data`."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in {"url", "sameAs", "item", "@id"} and isinstance(value, str):
                yield value
            else:
                yield from json_ld_urls(value)
    elif isinstance(data, list):
        for value in data:
            yield from json_ld_urls(value)


def provider_values(site):
    return {
        (name, field): value
        for name, provider in site.providers
        for field, value in site.provider_values(provider).items()
    }


def article_values(site):
    return {
        (name, field): value
        for name, article in site.articles
        for field, value in site.article_values(article).items()
    }


@pytest.mark.parametrize(
    "html",
    [
        "<p><script>alert(1)</script></p>",
        "<img src=x onerror=alert(1)>",
        '<a href=" java&#x09;script:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<iframe src="data:text/html,x"></iframe>',
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>',
        '<script type="application/ld+json">{"a": "<!--"}</script>',
        '<script src="//elsewhere.example/x.js"></script>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ],
)
def test_the_inspection_catches_live_markup(html):
    with pytest.raises(AssertionError):
        inspect(f"<!doctype html><title>x</title>{html}")


# --- Directory pages ---------------------------------------------------------------


def test_provider_pages_show_every_field_as_text_and_json_ld_data(client, site):
    for name, provider in site.providers:
        page = inert_page(client, provider.get_absolute_url())
        values = site.provider_values(provider)
        fields = shown(page, {(name, field): value for field, value in values.items()})
        expected = {field for field, value in values.items() if value}
        assert set(fields) == expected, (name, expected - set(fields))

        graph = next(block for block in page.json_ld() if "@graph" in block)["@graph"]
        address = graph[0]["address"]
        assert graph[0]["name"] == provider.name, name
        assert address["addressLocality"] == values["location.city"], name
        assert address["streetAddress"] == ", ".join(
            filter(None, [values["location.address1"], values["location.address2"]])
        )
        assert shown(page, {(name, "json-ld.name"): provider.name}, kinds=("data",))


def test_compare_pages_show_every_fact_as_text(client, site):
    # A column names its provider and city; the street address, the description
    # and the note on hours are on the profile only.
    profile_only = {
        "provider.description", "location.address1", "location.address2", "location.hours",
    }  # fmt: skip
    for start in range(0, len(site.providers), 4):
        batch = site.providers[start : start + 4]
        if len(batch) < 2:
            batch = [site.providers[0], *batch]
        url = "/compare/?" + urlencode([("p", provider.slug) for _, provider in batch])
        page = inert_page(client, url)
        for name, provider in batch:
            values = site.provider_values(provider)
            values = {field: value for field, value in values.items() if field not in profile_only}
            fields = shown(page, {(name, field): value for field, value in values.items()})
            assert set(fields) == {field for field, value in values.items() if value}, name


def test_search_results_and_at_home_lists_show_names_and_addresses_as_text(client, site):
    names = set()
    for number in range(1, 4):
        page = inert_page(client, f"/clinics/?near={ZIP}&radius=25&at_home=all&page={number}")
        names.update(shown(page, provider_values(site)))
    assert {"provider.name", "location.address1", "location.city"} <= names


def test_state_city_and_condition_landing_pages_are_inert(client, site):
    state = inert_page(client, f"/clinics/{STATE.lower()}/")
    assert shown(state, provider_values(site))
    inert_page(client, f"/clinics/{STATE.lower()}/?page=2")
    cities = set(
        Location.objects.filter(provider__slug__startswith="xss-").values_list(
            "city_slug", flat=True
        )
    )
    for city_slug in cities - {""}:
        page = inert_page(client, f"/clinics/{STATE.lower()}/{city_slug}/")
        assert shown(page, provider_values(site)), city_slug
    condition = inert_page(client, f"/conditions/{CONDITION}/")
    assert "provider.name" in shown(condition, provider_values(site))
    assert "article.title" in shown(condition, article_values(site))


def test_empty_search_suggests_the_payload_city_as_text(client, site):
    # Ketchikan, Alaska: nothing within 10 miles; the nearest clinic is in Wyoming.
    page = inert_page(client, "/clinics/?near=99950&radius=10")
    assert "location.city" in shown(page, provider_values(site))


def test_home_page_is_inert(client, site):
    inert_page(client, "/")


def test_api_returns_payloads_as_json_strings(client, site):
    found = set()
    for params in (f"near={ZIP}&radius=25&page_size=100", f"near={STATE}&page_size=100"):
        response = fetch(client, f"/api/providers/?{params}")
        assert response["Content-Type"].startswith("application/json")
        data = json.loads(response.content)
        strings = set(strings_in(data))
        for (payload, field), value in provider_values(site).items():
            if value in strings:
                TRIED.add((payload, field, f"/api/providers/?{params}"))
                found.add(field)
    assert {"provider.name", "location.address1", "location.city"} <= found


def test_sitemaps_parse_as_xml(client, site):
    index = parse_xml(fetch(client, "/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert len(sections) >= 5
    locations = []
    for section in sections:
        root = parse_xml(fetch(client, section.removeprefix("http://testserver")).content)
        locations += [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    for _, provider in site.providers:
        assert f"http://testserver{provider.get_absolute_url()}" in locations
    assert all(not script_url(location) and "<" not in location for location in locations)


# --- Articles ------------------------------------------------------------------------


def test_article_pages_show_payloads_as_text_and_the_body_sanitised(client, site):
    for name, article in site.articles:
        page = inert_page(client, article.get_absolute_url())
        values = {(name, field): value for field, value in site.article_values(article).items()}
        # Bios and credentials are on the person's page; the rest is on the article's.
        expected = {field for (_, field), value in values.items() if value} - {"person.bio"}
        assert set(shown(page, values)) >= expected - {"person.credentials"}, name
        TRIED.add((name, "article.body", page.url))

        medical = next(b for b in page.json_ld() if b["@type"] == "MedicalWebPage")
        assert medical["headline"] == article.title
        assert medical["description"] == article.summary
        assert medical["citation"][0]["name"] == article.citations.all()[0].text
        assert medical["author"]["name"] == article.author.name
        shown(page, {(name, "json-ld.headline"): article.title}, kinds=("data",))


def test_person_pages_show_name_and_bio_as_text(client, site):
    for name, article in site.articles:
        person = article.author
        page = inert_page(client, person.get_absolute_url())
        values = {(name, "person.name"): person.name, (name, "person.bio"): person.bio}
        values[(name, "article.title")] = article.title
        assert set(shown(page, values)) == {"person.name", "person.bio", "article.title"}, name


def test_article_index_shows_titles_and_summaries_as_text(client, site):
    for url in ("/articles/", f"/articles/?condition={CONDITION}"):
        page = inert_page(client, url)
        assert {"article.title", "article.summary"} <= set(shown(page, article_values(site)))


def test_atom_feed_parses_and_carries_payloads_as_text(client, site):
    """Titles are Atom text; summaries are Atom "html", so they must be escaped as HTML too."""
    articles = Article.objects.filter(pk__in=[article.pk for _, article in site.articles])
    for start in range(0, len(site.articles), FEED_LENGTH):
        batch = site.articles[start : start + FEED_LENGTH]
        articles.exclude(pk__in=[article.pk for _, article in batch]).update(status="draft")
        articles.filter(pk__in=[article.pk for _, article in batch]).update(status="published")
        cache.clear()
        feed = parse_xml(fetch(client, "/articles/feed/").content)
        entries = {entry.find(f"{ATOM}title").text: entry for entry in feed.iter(f"{ATOM}entry")}
        assert len(entries) == len(batch)
        for name, article in batch:
            entry = entries[xml_text(article.title)]
            summary = entry.find(f"{ATOM}summary")
            assert summary.get("type") == "html"
            inspect(summary.text)
            assert unescape(summary.text) == xml_text(article.summary), name
            assert entry.find(f"{ATOM}author/{ATOM}name").text == xml_text(article.author.name)
            for field in ("article.title", "article.summary", "person.name"):
                TRIED.add((name, field, f"/articles/feed/ ({start})"))
        # Whatever the payload, the feed's own markup is the only markup.
        assert {element.tag.removeprefix(ATOM) for element in feed.iter()} <= ATOM_ELEMENTS


# --- Editors' admin ----------------------------------------------------------------


def test_admin_lists_and_forms_render_payloads_inert(editor_client, site):
    for url in (
        "/admin/directory/provider/",
        "/admin/articles/article/",
        "/admin/articles/person/",
    ):
        inert_page(editor_client, url, allow={"svg"})
    for name, provider in site.providers:
        page = inert_page(
            editor_client,
            reverse("admin:directory_provider_change", args=[provider.pk]),
            allow={"svg"},
        )
        shown(page, {(name, f"admin {f}"): v for f, v in site.provider_values(provider).items()})
    for name, article in site.articles:
        page = inert_page(
            editor_client,
            reverse("admin:articles_article_change", args=[article.pk]),
            allow={"svg"},
        )
        assert shown(page, {(name, "admin article.body"): article.body}), name
        person = reverse("admin:articles_person_change", args=[article.author_id])
        inert_page(editor_client, person, allow={"svg"})


# --- Script URLs: refused by validation, and inert even if stored ---------------------


@pytest.mark.parametrize("url", SCRIPT_URLS.values(), ids=SCRIPT_URLS.keys())
def test_models_refuse_script_urls(url):
    provider = Provider(name="X", slug="x", website=url)
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert "website" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        Citation(position=1, text="X", url=url).full_clean(exclude=["article"])
    assert "url" in error.value.message_dict


@pytest.mark.parametrize("url", SCRIPT_URLS.values(), ids=SCRIPT_URLS.keys())
def test_admin_form_refuses_a_script_website(editor_client, url):
    add = reverse("admin:directory_provider_add")
    data = form_data(editor_client.get(add), "provider_form")
    data.update({"name": "Script Site", "slug": "script-site", "status": "draft", "website": url})
    data.update({"locations-TOTAL_FORMS": "0"})
    response = editor_client.post(add, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["website"] == ["Enter a valid URL."]
    assert not Provider.objects.filter(slug="script-site").exists()


@pytest.mark.parametrize("url", MARKUP_URLS.values(), ids=MARKUP_URLS.keys())
def test_valid_web_addresses_with_markup_render_escaped_in_links(client, url):
    provider = Provider(name="Markup Site", slug="markup-site", website=url, status="published")
    provider.full_clean()
    provider.save()
    page = inert_page(client, provider.get_absolute_url())
    assert url in page.attribute_values


def test_script_urls_written_past_validation_are_not_links(client, site):
    """Defence in depth: a javascript: website or source in the database never becomes a link."""
    urls = list(SCRIPT_URLS.values())
    for index, (_, provider) in enumerate(site.providers):
        Provider.objects.filter(pk=provider.pk).update(website=urls[index % len(urls)])
    for index, (_, article) in enumerate(site.articles):
        Citation.objects.filter(article=article).update(url=urls[index % len(urls)])
    cache.clear()

    pages = [provider.get_absolute_url() for _, provider in site.providers]
    pages += [article.get_absolute_url() for _, article in site.articles]
    pages += [f"/clinics/?near={ZIP}&radius=25&at_home=all", f"/clinics/{STATE.lower()}/"]
    for url in pages:
        page = inert_page(client, url)
        assert not any(script_url(value) for value in json_ld_urls(page.json_ld())), url


# --- Payloads in the address bar -----------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_search_queries_are_echoed_inert(client, payload):
    near = quote(payload[:MAX_QUERY_LENGTH])
    page = inert_page(client, f"/clinics/?near={near}", status=400)
    assert payload[:MAX_QUERY_LENGTH].strip() in page.strings
    response = fetch(client, f"/api/providers/?near={near}", status=400)
    assert "near" in json.loads(response.content)["errors"]
