"""robots.txt and the sitemap: what search engines are asked to crawl."""

import re

import pytest

from tests.cast import at_home_service, austin_clinic, draft_provider

pytestmark = pytest.mark.django_db


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return re.findall(r"<loc>([^<]+)</loc>", response.content.decode())


def test_robots_txt_keeps_crawlers_out_of_api_and_points_at_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    # The admin's path may be a secret (DJANGO_ADMIN_URL): robots.txt never names it.
    assert not any("admin" in line for line in lines)
    assert "Disallow: /api/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_sitemap_index_lists_every_section(client):
    sections = locations(client, "/sitemap.xml")
    assert {url.rsplit("/", 1)[1] for url in sections} == {
        "sitemap-pages.xml",
        "sitemap-articles.xml",
        "sitemap-providers.xml",
        "sitemap-states.xml",
        "sitemap-cities.xml",
        "sitemap-conditions.xml",
    }


def test_sitemap_lists_published_providers_and_existing_landing_pages_only(client):
    austin_clinic()
    at_home_service()
    draft_provider()
    providers = locations(client, "/sitemap-providers.xml")
    # Every page in English, then in Spanish (/es/).
    assert providers == [
        "http://testserver/providers/austin-ketamine-clinic/",
        "http://testserver/es/providers/austin-ketamine-clinic/",
        "http://testserver/providers/lone-star-ketamine-at-home/",
        "http://testserver/es/providers/lone-star-ketamine-at-home/",
    ]
    # Texas has a clinic and at-home care, Ohio only at-home care; nothing else exists.
    assert locations(client, "/sitemap-states.xml") == [
        "http://testserver/clinics/oh/",
        "http://testserver/es/clinics/oh/",
        "http://testserver/clinics/tx/",
        "http://testserver/es/clinics/tx/",
    ]
    assert locations(client, "/sitemap-cities.xml") == [
        "http://testserver/clinics/tx/austin/",
        "http://testserver/es/clinics/tx/austin/",
    ]
    conditions = locations(client, "/sitemap-conditions.xml")
    assert "http://testserver/conditions/ptsd/" in conditions
    assert "http://testserver/conditions/ocd/" not in conditions
    for url in providers + conditions + locations(client, "/sitemap-states.xml"):
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_sitemap_lists_published_articles(client):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    articles = locations(client, "/sitemap-articles.xml")
    assert "http://testserver/articles/ketamine-for-pain-management/" in articles
    # The five translations in Spanish too; an untranslated article's Spanish page only
    # points to the English one, so it is left out.
    assert "http://testserver/es/articles/ketamine-for-pain-management/" in articles
    assert "http://testserver/es/articles/ketamine-for-ocd/" not in articles
    assert len(articles) == 14 + 5
    xml = client.get("/sitemap-articles.xml").content.decode()
    assert (
        '<xhtml:link rel="alternate" hreflang="es" '
        'href="http://testserver/es/articles/ketamine-for-pain-management/"/>'
    ) in xml


def canonical(html):
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


def test_every_page_has_a_canonical_link_without_its_query(client):
    provider = austin_clinic()
    html = client.get(provider.get_absolute_url() + "?utm_source=x").content.decode()
    assert canonical(html) == "http://testserver/providers/austin-ketamine-clinic/"


@pytest.mark.parametrize(
    ("query", "landing"),
    [
        ("near=TX&radius=25", "/clinics/tx/"),
        ("near=Austin%2C+TX&condition=ptsd", "/clinics/tx/austin/"),
        ("near=Round+Rock%2C+TX", "/clinics/tx/"),  # no clinic in Round Rock: its state
        ("near=78701", "/clinics/"),
    ],
)
def test_search_results_canonicalise_to_their_landing_page(client, query, landing):
    austin_clinic()
    html = client.get(f"/clinics/?{query}").content.decode()
    assert canonical(html) == f"http://testserver{landing}"


def test_content_pages_may_be_cached_briefly_by_anyone(client):
    provider = austin_clinic()
    for url in [
        "/",
        provider.get_absolute_url(),
        "/clinics/tx/",
        "/articles/",
        "/editorial-policy/",
    ]:
        response = client.get(url)
        assert response["Cache-Control"] == "public, max-age=300", url


def test_searches_are_cached_only_by_the_patients_own_browser(client):
    austin_clinic()
    for url in ["/clinics/?near=78701&condition=ptsd", "/api/providers/?near=78701"]:
        response = client.get(url)
        assert response["Cache-Control"] == "private, max-age=300", url


SCHEMA_TYPES = {
    "MedicalClinic", "MedicalWebPage", "BreadcrumbList", "ListItem", "PostalAddress",
    "GeoCoordinates", "MedicalTherapy", "State", "Person", "MedicalCondition", "CreativeWork",
}  # fmt: skip


def schema_types(node):
    """Every @type in a JSON-LD tree."""
    if isinstance(node, dict):
        found = {node["@type"]} if "@type" in node else set()
        return found.union(*(schema_types(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(schema_types(value) for value in node))
    return set()


def test_every_json_ld_block_parses_and_uses_known_schema_org_types(client):
    import json

    from django.core.management import call_command

    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    provider = austin_clinic()
    at_home_service()
    urls = [
        provider.get_absolute_url(),
        "/clinics/tx/",
        "/clinics/tx/austin/",
        "/conditions/ptsd/",
        "/articles/ketamine-for-pain-management/",
    ]
    for url in urls:
        html = client.get(url).content.decode()
        blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        assert blocks, url
        for block in blocks:
            data = json.loads(block)
            assert data["@context"] == "https://schema.org", url
            assert schema_types(data) <= SCHEMA_TYPES, url
        assert "BreadcrumbList" in html, url
