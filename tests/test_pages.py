"""Every page shares one layout: one <h1>, a skip link, the disclaimer, no other hosts."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.views.defaults import server_error

from tests.cast import austin_clinic

pytestmark = pytest.mark.django_db

CONDITION_SLUGS = [
    "chronic-pain",
    "depression",
    "anxiety",
    "ptsd",
    "ocd",
    "bipolar-depression",
    "addiction",
]


class PageParser(HTMLParser):
    """Collect what the layout tests look at."""

    def __init__(self):
        super().__init__()
        self.h1_count = 0
        self.ids = []
        self.html_lang = None
        self.external = []
        self.option_values = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h1":
            self.h1_count += 1
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "option":
            self.option_values.append(attrs.get("value"))
        # Anything the browser fetches by itself must come from this site.
        fetched = attrs.get("src") if tag in {"script", "img", "iframe"} else None
        if tag == "link" and attrs.get("rel") in {"stylesheet", "icon", "preload"}:
            fetched = attrs.get("href")
        if fetched and re.match(r"^(https?:)?//", fetched):
            self.external.append(fetched)


def parse(html):
    parser = PageParser()
    parser.feed(html)
    return parser


def render_500():
    return server_error(RequestFactory().get("/")).content.decode()


@pytest.fixture
def pages(client):
    provider = austin_clinic()
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    urls = {
        "home": "/",
        "provider": provider.get_absolute_url(),
        "search": "/clinics/?near=78701",
        "state": "/clinics/tx/",
        "city": "/clinics/tx/austin/",
        "condition": "/conditions/ptsd/",
        "articles": "/articles/",
        "article": "/articles/ketamine-for-pain-management/",
        "person": "/people/corisande-okafor-baird/",
        "editorial policy": "/editorial-policy/",
        "report form": f"{provider.get_absolute_url()}report/",
        "suggest form": "/suggest/",
        "article report form": "/articles/ketamine-for-pain-management/report/",
        "saved": "/saved/",
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = response.content.decode()
    return {
        **pages,
        "404": client.get("/no-such-page/").content.decode(),
        "500": render_500(),
    }


def test_every_page_has_exactly_one_h1(pages):
    for name, html in pages.items():
        assert parse(html).h1_count == 1, name


def test_every_page_has_the_layout(pages):
    for name, html in pages.items():
        page = parse(html)
        assert page.html_lang == "en", name
        assert 'href="#main"' in html, name
        assert "main" in page.ids, name
        assert "information, not medical advice" in html, name
        assert 'href="tel:911"' in html, name
        assert 'href="tel:988"' in html, name
        assert len(page.ids) == len(set(page.ids)), f"duplicate ids on {name}"


def test_no_page_fetches_anything_from_another_host(pages):
    for name, html in pages.items():
        assert parse(html).external == [], name


def test_home_has_the_search_form_with_every_condition(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert parse(html).option_values == ["", *sorted(CONDITION_SLUGS)]
    assert '<label for="id_condition">Condition</label>' in html
    assert '<label for="id_near">Location</label>' in html
    assert 'type="submit"' in html


def test_home_sends_no_cookies_to_anonymous_visitors(client):
    assert client.get("/").cookies == {}


def test_home_refuses_writes(client):
    assert client.post("/").status_code == 405


def test_unknown_page_is_a_404_in_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_server_error_page_renders_without_a_request_context():
    html = render_500()
    assert "Something went wrong on our side" in html
    assert "information, not medical advice" in html


def test_fixtures_have_exactly_the_agreed_slugs():
    from directory.models import Condition, Treatment

    call_command("loaddata", "fixtures/conditions.json", verbosity=0)  # loading again is safe
    assert sorted(Condition.objects.values_list("slug", flat=True)) == sorted(CONDITION_SLUGS)
    assert sorted(Treatment.objects.values_list("slug", flat=True)) == [
        "esketamine-nasal-spray",
        "im-injection",
        "iv-infusion",
        "ketamine-assisted-psychotherapy",
        "oral-sublingual",
    ]


def test_footer_credits_geonames(pages):
    assert "GeoNames" in pages["home"]
