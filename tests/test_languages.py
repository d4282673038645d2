"""English and Spanish: the addresses, the language switch, hreflang, formats, cookies.

English stays at the site's original addresses and Spanish lives under /es/; the
language comes from the address only (never Accept-Language or a cookie).
"""

import re
from datetime import date
from html import unescape

import pytest
from django.core.paginator import Paginator
from django.utils import formats, translation

from directory.models import Provider
from ketanet.sitemaps import LanguagePairs
from tests.cast import at_home_service, austin_clinic, round_rock_clinic
from tests.every_page import every_kind_of_page

pytestmark = pytest.mark.django_db


def lang(html):
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def alternates(html):
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def switch(html):
    """(address, language) of the language switch."""
    href, code = re.search(
        r'<a class="language-switch" href="([^"]+)" hreflang="([^"]+)"', html
    ).groups()
    return unescape(href), code


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_kind_of_page_has_its_language_alternates_and_a_switch(client, language):
    other = "es" if language == "en" else "en"
    for page in every_kind_of_page(client, language):
        assert lang(page.html) == language, page.name
        if page.name == "500":  # rendered without a request: nothing to link
            continue
        assert switch(page.html)[1] == other, page.name
        found = alternates(page.html)
        if page.status == 404 or (language, page.name) == ("es", "guide"):
            # Nothing to pair a missing page with, nor an article not translated yet
            # (tests/articles/test_translations.py).
            assert found == {}, page.name
            continue
        assert set(found) == {"en", "es", "x-default"}, page.name
        assert found["x-default"] == found["en"], page.name
        assert not found["en"].startswith("http://testserver/es/"), page.name
        assert found["es"].startswith("http://testserver/es/"), page.name


def test_english_pages_keep_their_addresses_and_ignore_the_browser_language(client):
    austin_clinic()
    for url in ["/", "/clinics/?near=78701", "/articles/", "/providers/austin-ketamine-clinic/"]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
        assert response.status_code == 200, url
        assert lang(response.content.decode()) == "en", url
        assert response["Content-Language"] == "en"
        # No guess, so shared caches need not keep a copy per browser language.
        assert "Accept-Language" not in response.get("Vary", "")


def test_a_language_cookie_does_not_change_the_page(client):
    client.cookies["django_language"] = "es"
    assert lang(client.get("/").content.decode()) == "en"
    del client.cookies["django_language"]
    client.cookies["django_language"] = "en"
    assert lang(client.get("/es/").content.decode()) == "es"


def test_spanish_pages_are_under_es(client):
    response = client.get("/es/clinics/")
    assert response.status_code == 200
    assert lang(response.content.decode()) == "es"
    assert response["Content-Language"] == "es"
    assert switch(response.content.decode()) == ("/clinics/", "en")


def test_the_switch_keeps_the_search_both_ways(client):
    austin_clinic()
    query = "?near=78701&radius=250&condition=depression"
    english = client.get("/clinics/" + query).content.decode()
    assert switch(english) == ("/es/clinics/" + query, "es")
    spanish = client.get("/es/clinics/" + query)
    assert spanish.status_code == 200
    assert "Austin Ketamine Clinic" in spanish.content.decode()
    assert switch(spanish.content.decode()) == ("/clinics/" + query, "en")


def test_the_switch_keeps_an_article_search_and_a_comparison(client):
    austin_clinic()
    round_rock_clinic()
    html = client.get("/articles/?q=nasal+spray").content.decode()
    assert switch(html) == ("/es/articles/?q=nasal+spray", "es")
    query = "?p=austin-ketamine-clinic&p=round-rock-ketamine-clinic"
    html = client.get("/compare/" + query).content.decode()
    assert switch(html) == ("/es/compare/" + query, "es")


def test_the_switch_drops_queries_that_pages_do_not_read(client):
    austin_clinic()
    html = client.get("/saved/?p=austin-ketamine-clinic").content.decode()
    assert switch(html) == ("/es/saved/", "es")
    html = client.get("/providers/austin-ketamine-clinic/?utm_source=x").content.decode()
    assert switch(html) == ("/es/providers/austin-ketamine-clinic/", "es")


def test_the_switch_on_a_missing_page_goes_to_the_other_home_page(client):
    assert switch(client.get("/no-such-page/").content.decode()) == ("/es/", "es")
    assert switch(client.get("/es/no-such-page/").content.decode()) == ("/", "en")


def test_switching_language_sets_no_cookie(client):
    austin_clinic()
    for url in [
        "/",
        "/es/",
        "/clinics/?near=78701",
        "/es/clinics/?near=78701",
        "/jsi18n/",
        "/es/jsi18n/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Set-Cookie" not in response.headers, url
    assert not client.cookies


def test_the_api_has_one_address_and_stays_english(client):
    austin_clinic()
    assert client.get("/es/api/providers/?near=78701").status_code == 404
    english = client.get("/api/providers/?near=78701")
    spanish = client.get("/api/providers/?near=78701", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 200
    assert spanish.json() == english.json()
    # Its errors too.
    bad = client.get("/api/providers/?near=78701&radius=7", HTTP_ACCEPT_LANGUAGE="es")
    assert bad.status_code == 400
    assert bad.json() == client.get("/api/providers/?near=78701&radius=7").json()


def test_the_script_messages_follow_the_page_language(client):
    english = client.get("/jsi18n/")
    spanish = client.get("/es/jsi18n/")
    assert english.status_code == spanish.status_code == 200
    assert english["Content-Type"].startswith("text/javascript")
    assert "public" in spanish["Cache-Control"]


def test_spanish_dates_and_numbers_follow_us_government_sites():
    day = date(2026, 12, 1)
    with translation.override("es"):
        assert formats.date_format(day, "DATE_FORMAT") == "1 de diciembre de 2026"
        assert formats.number_format(12500, force_grouping=True) == "12,500"
        assert formats.number_format(1234.5, 2, force_grouping=True) == "1,234.50"
    with translation.override("en"):
        assert formats.date_format(day, "DATE_FORMAT") == "December 1, 2026"
        assert formats.number_format(12500, force_grouping=True) == "12,500"


def test_conditions_have_spanish_names_on_spanish_pages_only():
    from directory.models import Condition

    ptsd = Condition.objects.get(slug="ptsd")
    assert ptsd.local_name == "PTSD"
    with translation.override("es"):
        assert ptsd.local_name == "Trastorno de estrés postraumático (TEPT)"
        assert ptsd.local_description.startswith(ptsd.description_es[:20])
        ptsd.name_es = ""
        assert ptsd.local_name == "PTSD"  # no translation yet: the English


def test_the_sitemap_pairs_each_page_with_its_translation(client):
    austin_clinic()
    xml = client.get("/sitemap-providers.xml").content.decode()
    for code, url in [
        ("en", "http://testserver/providers/austin-ketamine-clinic/"),
        ("es", "http://testserver/es/providers/austin-ketamine-clinic/"),
        ("x-default", "http://testserver/providers/austin-ketamine-clinic/"),
    ]:
        assert f'<xhtml:link rel="alternate" hreflang="{code}" href="{url}"/>' in xml


def test_sitemap_pages_read_the_providers_a_page_at_a_time(django_assert_num_queries):
    made = [austin_clinic(), round_rock_clinic(), at_home_service()]
    pairs = LanguagePairs(Provider.objects.order_by("pk"), ["en", "es"])
    assert pairs.count() == 6
    assert pairs[1:4] == [(made[0], "es"), (made[1], "en"), (made[1], "es")]
    pages = Paginator(pairs, 4)
    assert pages.num_pages == 2
    with django_assert_num_queries(1):
        assert pages.page(2).object_list == [(made[2], "en"), (made[2], "es")]


def test_the_spanish_search_offers_the_language_filter_first(client):
    english = client.get("/clinics/").content.decode()
    spanish = client.get("/es/clinics/").content.decode()
    # English: under "More filters", after the name. Spanish: before the name, unfolded.
    assert english.index('name="q"') < english.index('name="language"')
    assert english.index("<details") < english.index('name="language"')
    assert spanish.index('name="language"') < spanish.index('name="q"')
    assert spanish.index('name="language"') < spanish.index("<details")
    assert spanish.count('name="language"') == 1


def test_se_habla_espanol_comes_from_the_listing_languages(client):
    spoken = austin_clinic(languages=["en", "es"])
    english_only = round_rock_clinic(languages=["en"])
    assert "Se habla español" in client.get(f"/es/providers/{spoken.slug}/").content.decode()
    assert "Se habla español" not in (
        client.get(f"/es/providers/{english_only.slug}/").content.decode()
    )


def test_form_errors_are_in_spanish_on_spanish_pages(client):
    austin_clinic()
    search = client.get("/es/clinics/?near=Springfeld")
    assert search.status_code == 400
    assert "No encontramos &quot;Springfeld&quot;" in search.content.decode()
    english = client.get("/clinics/?near=Springfeld").content.decode()
    assert "We couldn&#x27;t find &quot;Springfeld&quot;" in english
    report = client.post("/es/providers/austin-ketamine-clinic/report/", {})
    assert report.status_code == 400
    html = report.content.decode()
    assert "Todavía no se envió: por favor, revise el formulario." in html
    assert "Elija qué está mal en esta ficha." in html
