"""Spanish translations of articles: their own records, publishing rules, pages, the
staleness notice, and the Spanish index, glossary and condition pages.

Uses the shipped library (fixtures/articles.json): five articles have a Spanish
translation (pain, depression, PTSD, cost, choosing a provider); the others do not.
"""

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from articles.models import Article, ArticleTranslation, Person, TranslationCitation

pytestmark = pytest.mark.django_db

TRANSLATED = [
    "ketamine-for-pain-management",
    "ketamine-for-depression",
    "ketamine-for-ptsd",
    "ketamine-cost-and-insurance",
    "choosing-a-ketamine-provider",
]


@pytest.fixture
def library():
    call_command(
        "loaddata",
        "fixtures/conditions.json",
        "fixtures/people.json",
        "fixtures/articles.json",
        verbosity=0,
    )


def html_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def visible(html):
    """The page's text, tags removed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def alternates(html):
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


# ---------------------------------------------------------------- publishing rules


def draft_translation(**fields):
    article = Article.objects.get(slug="ketamine-for-ocd")
    return ArticleTranslation.objects.create(
        **{
            "article": article,
            "title": "Ketamina para el TOC",
            "summary": "Lo que se sabe.",
            "key_points": "Los estudios son pequeños.",
            "body": "La ketamina puede calmar algunos síntomas por poco tiempo [cite:1].",
            "translator": Person.objects.get(slug="ximena-arrieta-lindqvist"),
            "reviewer": Person.objects.get(slug="rosaura-penhallow-ibarra"),
            "last_reviewed": date(2026, 12, 1),
        }
        | fields
    )


def publish(text):
    text.status = ArticleTranslation.Status.PUBLISHED
    text.full_clean()


def test_every_shipped_translation_meets_the_publishing_rules(library):
    texts = ArticleTranslation.objects.select_related("article")
    assert sorted(t.article.slug for t in texts) == sorted(TRANSLATED)
    for text in texts:
        text.full_clean()  # published: every rule holds
        reading, findings = text.check_content()
        assert findings == [], text.article.slug
        assert reading.fernandez_huerta >= 60
        assert text.citations.count() >= 5
        assert text.translator.role == Person.Role.TRANSLATOR
        assert text.reviewer.role == Person.Role.MEDICAL_REVIEWER


def test_a_translation_is_published_only_with_translator_reviewer_date_and_citations(library):
    text = draft_translation(translator=None, reviewer=None, last_reviewed=None)
    with pytest.raises(ValidationError) as error:
        publish(text)
    assert set(error.value.message_dict) >= {"translator", "reviewer", "last_reviewed", "body"}
    assert (
        "An article is published only with at least one citation."
        in (error.value.message_dict["body"])
    )


def test_a_hard_spanish_text_is_not_published(library):
    text = draft_translation(
        body=(
            "La administración intravenosa de ketamina en concentraciones subanestésicas "
            "proporciona analgesia complementaria perioperatoria significativamente "
            "superior en determinadas poblaciones quirúrgicas especialmente seleccionadas "
            "[cite:1]."
        )
    )
    TranslationCitation.objects.create(translation=text, position=1, text="X.", pmid="123")
    with pytest.raises(ValidationError) as error:
        publish(text)
    assert any("Fernández Huerta" in m for m in error.value.message_dict["body"])


def test_a_spanish_claim_is_not_published(library):
    text = draft_translation(summary="La ketamina cura el TOC.")
    TranslationCitation.objects.create(translation=text, position=1, text="X.", pmid="123")
    with pytest.raises(ValidationError) as error:
        publish(text)
    assert "summary" in error.value.message_dict


def test_a_plain_translation_with_its_citation_is_published(library):
    text = draft_translation()
    TranslationCitation.objects.create(translation=text, position=1, text="X.", pmid="123")
    publish(text)
    text.save()
    assert text.published_at is not None
    assert text.next_review == date(2027, 12, 1)


def test_only_published_translations_of_published_articles_are_public(library):
    pain = ArticleTranslation.objects.get(article__slug="ketamine-for-pain-management")
    assert pain in ArticleTranslation.objects.published()
    Article.objects.filter(slug="ketamine-for-pain-management").update(status="draft")
    assert pain not in ArticleTranslation.objects.published()
    Article.objects.filter(slug="ketamine-for-pain-management").update(status="published")
    ArticleTranslation.objects.filter(pk=pain.pk).update(
        published_at=timezone.now() + timedelta(days=1)
    )
    assert pain not in ArticleTranslation.objects.published()


# ---------------------------------------------------------------- pages


def test_the_spanish_page_is_the_translation_with_its_own_people_and_references(client, library):
    html = html_of(client, "/es/articles/ketamine-for-pain-management/")
    text = ArticleTranslation.objects.get(article__slug="ketamine-for-pain-management")
    assert '<html lang="es">' in html
    assert f"<h1>{text.title}</h1>" in html
    assert "Ximena Arrieta-Lindqvist" in html
    assert "Rosaura Penhallow-Ibarra" in html
    # Its own references, each English one marked as such for readers and screen readers.
    references = html[html.index('id="references-heading"') :]
    assert references.count('<span lang="en">') == text.citations.filter(in_english=True).count()
    assert "(en inglés)" in references
    # Rendered in the text's language: its markers' labels too.
    assert 'aria-label="Referencia 1"' in html
    assert 'aria-label="Reference 1"' not in html
    assert alternates(html) == {
        "en": "http://testserver/articles/ketamine-for-pain-management/",
        "es": "http://testserver/es/articles/ketamine-for-pain-management/",
        "x-default": "http://testserver/articles/ketamine-for-pain-management/",
    }
    [data] = [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        if '"MedicalWebPage"' in block
    ]
    assert data["inLanguage"] == "es-US"
    assert data["translator"]["name"] == "Ximena Arrieta-Lindqvist"
    assert data["translationOfWork"]["@id"].endswith("/articles/ketamine-for-pain-management/")


def test_the_english_page_is_unchanged(client, library):
    html = html_of(client, "/articles/ketamine-for-pain-management/")
    assert "<h1>Ketamine for Pain Management</h1>" in html
    assert "Ximena" not in html


def test_a_stale_translation_says_when_the_english_changed(client, library):
    text = ArticleTranslation.objects.get(article__slug="ketamine-for-ptsd")
    html = html_of(client, "/es/articles/ketamine-for-ptsd/")
    assert "La versión en inglés se actualizó" not in html
    english = Article.objects.get(slug="ketamine-for-ptsd")
    english.revised_on = text.last_reviewed + timedelta(days=4)
    english.save()  # as an editor does: the page's kept text is drawn again
    html = html_of(client, "/es/articles/ketamine-for-ptsd/")
    day = text.last_reviewed + timedelta(days=4)
    with translation.override("es"):
        from django.utils.formats import date_format

        written = date_format(day, "DATE_FORMAT")
    assert f"La versión en inglés se actualizó el {written}" in visible(html)
    assert 'href="/articles/ketamine-for-ptsd/" hreflang="en"' in html


def test_an_untranslated_article_says_so_and_links_the_english(client, library):
    html = html_of(client, "/es/articles/ketamine-for-ocd/")
    assert '<html lang="es">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'href="/articles/ketamine-for-ocd/" hreflang="en" lang="en"' in html
    assert "todavía no está en español" in visible(html)
    # Not a translation of the English page: no hreflang pair, canonical to the English.
    assert alternates(html) == {}
    assert '<link rel="canonical" href="http://testserver/articles/ketamine-for-ocd/">' in html
    # OCD is a mental-health condition: the crisis box is there in Spanish too.
    assert 'id="crisis"' in html


def test_an_editor_sees_a_draft_translation_and_the_public_does_not(client, admin_client, library):
    ArticleTranslation.objects.filter(article__slug="ketamine-for-ptsd").update(status="draft")
    assert "todavía no está en español" in visible(
        html_of(client, "/es/articles/ketamine-for-ptsd/")
    )
    html = html_of(admin_client, "/es/articles/ketamine-for-ptsd/")
    assert '<meta name="robots" content="noindex">' in html
    assert "Ketamina para el TEPT" in html


def test_the_spanish_article_page_queries_are_pinned(client, library, django_assert_num_queries):
    client.get("/es/articles/ketamine-for-ptsd/")  # warm the reference cache
    caches["fragments"].clear()
    # Drawing the page: the content version, the translation with its article, then
    # what the kept blocks show (conditions, corrections, related articles and their
    # translations, references).
    with django_assert_num_queries(7):
        client.get("/es/articles/ketamine-for-ptsd/")
    # Once drawn, the content version: the page is kept under it.
    with django_assert_num_queries(1):
        client.get("/es/articles/ketamine-for-ptsd/")


# ---------------------------------------------------------------- lists


def test_the_spanish_index_lists_translations_first_and_marks_the_english(client, library):
    html = html_of(client, "/es/articles/")
    for text in ArticleTranslation.objects.all():
        assert f'<a href="/es/articles/{text.article.slug}/">{text.title}</a>' in html
    english = '<a href="/articles/ketamine-for-ocd/" hreflang="en"><span lang="en">Ketamine for'
    assert english in html
    conditions = html[html.index('id="conditions-heading"') : html.index('id="guides-heading"')]
    assert conditions.index("/es/articles/") < conditions.index('hreflang="en"')


def test_the_spanish_search_finds_spanish_words(client, library):
    html = html_of(client, "/es/articles/?q=dolor")
    assert '<a href="/es/articles/ketamine-for-pain-management/">' in html
    assert "/es/articles/?q=dolor" not in alternates(html).get("es", "")  # canonical, no query
    html = html_of(client, "/es/articles/?q=" + "x" * 101, status=400)
    assert '<html lang="es">' in html


def test_the_spanish_glossary_and_glossary_links(client, library):
    html = html_of(client, "/es/glossary/")
    assert '<html lang="es">' in html
    assert "Esketamina" in html
    pain = html_of(client, "/es/articles/ketamine-for-pain-management/")
    assert 'href="/es/glossary/#' in pain
    assert 'href="/glossary/#' not in pain


def test_the_spanish_condition_page_leads_with_the_spanish_article(client, library):
    from tests.cast import austin_clinic

    austin_clinic()
    html = html_of(client, "/es/conditions/depression/")
    text = ArticleTranslation.objects.get(article__slug="ketamine-for-depression")
    assert text.title in html
    assert "Depresión" in html


def test_a_person_page_lists_translations_in_spanish(client, library):
    html = html_of(client, "/es/people/ximena-arrieta-lindqvist/")
    assert "traductora ficticia" in html
    assert html.count('href="/es/articles/ket') + html.count('href="/es/articles/cho') == 5


def test_the_spanish_feed_lists_the_translations(client, library):
    xml = html_of(client, "/es/articles/feed/")
    for text in ArticleTranslation.objects.all():
        assert f"<title>{text.title}</title>" in xml
    assert "<title>Ketamine for OCD</title>" not in xml
    assert "<title>Ketamine for OCD" in html_of(client, "/articles/feed/")
