"""One page of every kind the public sees, rendered over a small cast, for site-wide checks.

tests/test_headings.py checks their outlines and tests/test_html_valid.py runs
them through the Nu HTML Checker. tests/test_links.py crawls the demo site as
well, but a crawl reaches only what is linked: not a 400, a 404, a form sent
back with its errors or a comparison.
"""

from dataclasses import dataclass

from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests.cast import at_home_service, austin_clinic, round_rock_clinic
from tests.directory.test_provider_page import fully_confirmed_clinic


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    status: int
    html: str


def every_kind_of_page(client: Client, language: str = "en") -> list[Page]:
    """Create the cast and articles, then fetch each kind of page, checking its status:
    the English pages, or with language="es" the same pages under /es/."""
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    austin = austin_clinic()
    bayou = fully_confirmed_clinic()
    round_rock_clinic()
    at_home_service()
    gets = [
        ("home", "/", 200),
        ("results", "/clinics/?near=78701&radius=250", 200),
        ("results for a condition", "/clinics/?near=Austin%2C+TX&condition=depression", 200),
        ("search form", "/clinics/", 200),
        ("empty results", "/clinics/?near=10001&radius=10&condition=ptsd", 200),
        ("unknown location", "/clinics/?near=Springfeld", 400),
        ("provider", bayou.get_absolute_url(), 200),
        ("provider, few facts", austin.get_absolute_url(), 200),
        ("state", "/clinics/tx/", 200),
        ("city", "/clinics/tx/austin/", 200),
        ("condition", "/conditions/depression/", 200),
        ("articles", "/articles/", 200),
        ("article", "/articles/ketamine-for-pain-management/", 200),
        ("article with the crisis box", "/articles/ketamine-for-ptsd/", 200),
        ("guide", "/articles/ketamine-routes-compared/", 200),
        ("article search", "/articles/?q=nasal+spray", 200),
        ("article search, nothing found", "/articles/?q=zzzz&condition=ocd", 200),
        ("article search, too long", "/articles/?q=" + "x" * 101, 400),
        ("glossary", "/glossary/", 200),
        ("person", "/people/corisande-okafor-baird/", 200),
        ("editorial policy", "/editorial-policy/", 200),
        ("compare", f"/compare/?p={austin.slug}&p={bayou.slug}", 200),
        ("compare, too few", f"/compare/?p={austin.slug}", 400),
        ("report form", f"{austin.get_absolute_url()}report/", 200),
        ("suggest form", "/suggest/", 200),
        ("update form", f"{austin.get_absolute_url()}update/", 200),
        ("report sent", f"{austin.get_absolute_url()}report/sent/", 200),
        ("suggestion sent", "/suggest/sent/", 200),
        ("update sent", f"{austin.get_absolute_url()}update/sent/?email=sent", 200),
        ("article report form", "/articles/ketamine-for-ptsd/report/", 200),
        ("article report sent", "/articles/ketamine-for-ptsd/report/sent/", 200),
        ("404", "/no-such-page/", 404),
    ]
    posts = [
        ("report form with errors", f"{austin.get_absolute_url()}report/"),
        ("suggest form with errors", "/suggest/"),
        ("update form with errors", f"{austin.get_absolute_url()}update/"),
        ("article report form with errors", "/articles/ketamine-for-ptsd/report/"),
    ]
    prefix = "" if language == "en" else f"/{language}"
    pages = [fetch(client, name, prefix + url, status) for name, url, status in gets]
    for name, url in posts:
        url = prefix + url
        response = client.post(url, {})
        assert response.status_code == 400, (name, response.status_code)
        pages.append(Page(name, url, response.status_code, response.content.decode()))
    # Rendered as LocaleMiddleware leaves it: the language of the address asked for.
    with translation.override(language):
        error = server_error(RequestFactory().get(prefix + "/"))
    pages.append(Page("500", prefix + "/", error.status_code, error.content.decode()))
    return pages


def fetch(client: Client, name: str, url: str, status: int) -> Page:
    response = client.get(url)
    assert response.status_code == status, (name, url, response.status_code)
    return Page(name, url, status, response.content.decode())
