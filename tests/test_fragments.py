"""Fragments kept per process (templates' {% cache ... using="fragments" %}).

An article page's text and references are drawn once per process and content
version (core.models.ContentVersion): any save of something a page shows counts the
version up, in the database, so every process draws the page again on its next
request, with or without Redis.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Person
from core.cache import bump_content_version
from core.models import ContentVersion
from tests.articles.test_pages import cast  # noqa: F401 - the fixture these tests use

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cast")]

PAGE = "/articles/pain-basics/"


def test_a_kept_article_page_costs_one_query_and_is_the_same_page(
    client, django_assert_num_queries
):
    drawn = client.get(PAGE).content
    with django_assert_num_queries(1):  # the content version: the page is kept under it
        kept = client.get(PAGE).content
    assert kept == drawn


def test_a_kept_page_holds_nothing_of_the_visitor_who_drew_it(client):
    first = client.get(PAGE, {"from": "newsletter-4711"})
    assert "newsletter-4711" not in first.text
    assert client.get(PAGE).content == first.content
    assert "https://testserver/articles/pain-basics/" in client.get(PAGE, secure=True).text


def test_a_page_not_yet_published_is_not_kept(client):
    # Scheduled for tomorrow: not found, and nothing kept, so it shows once its time
    # comes (here: moved to yesterday without a save, as the clock would).
    Article.objects.filter(slug="pain-basics").update(
        published_at=timezone.now() + timedelta(days=1)
    )
    assert client.get(PAGE).status_code == 404
    Article.objects.filter(slug="pain-basics").update(
        published_at=timezone.now() - timedelta(days=1)
    )
    assert client.get(PAGE).status_code == 200


def test_editors_are_not_served_the_readers_page(client, admin_client):
    # Kept for readers, then made a draft without a save (no new version): readers
    # still get the kept page, an editor gets the page drawn for them, with the banner.
    client.get(PAGE)
    Article.objects.filter(slug="pain-basics").update(status=Article.Status.DRAFT)
    assert "readers cannot see this page" not in client.get(PAGE).text
    assert "readers cannot see this page" in admin_client.get(PAGE).text


def test_saving_the_article_shows_the_change_at_once(client):
    client.get(PAGE)
    main = Article.objects.get(slug="pain-basics")
    main.title = "Ketamine for pain: what we know"
    main.save()
    assert "Ketamine for pain: what we know" in client.get(PAGE).text


def test_unpublishing_a_related_article_takes_its_link_away(client):
    assert 'href="/articles/safety/"' in client.get(PAGE).text
    safety = Article.objects.get(slug="safety")
    safety.status = Article.Status.DRAFT
    safety.published_at = None
    safety.save()
    assert 'href="/articles/safety/"' not in client.get(PAGE).text


def test_renaming_the_reviewer_shows_on_the_page(client):
    client.get(PAGE)
    basil = Person.objects.get(slug="basil-marsh")
    basil.name = "Basil Marsh-Okafor"
    basil.save()
    assert "Basil Marsh-Okafor" in client.get(PAGE).text


def test_a_change_made_with_update_shows_once_the_version_is_counted_up(client):
    # QuerySet.update() sends no signal: admin actions and imports count the version
    # up themselves, as here.
    client.get(PAGE)
    Article.objects.filter(slug="pain-basics").update(title="Renamed in bulk")
    bump_content_version()
    assert "Renamed in bulk" in client.get(PAGE).text


def test_another_process_sees_the_change(client):
    # A process that kept the page, then a save in another process (seen here only as
    # the database's version moving on): the page is drawn again.
    client.get(PAGE)
    Article.objects.filter(slug="pain-basics").update(title="Saved elsewhere")
    ContentVersion.bump()
    assert "Saved elsewhere" in client.get(PAGE).text


def test_the_draft_banner_is_not_kept_for_readers(client, admin_client):
    # An editor's preview of a draft and the public page share a kept block; the
    # banner that only editors see is outside it.
    main = Article.objects.get(slug="pain-basics")
    main.status = Article.Status.DRAFT
    main.save()
    assert "readers cannot see this page" in admin_client.get(PAGE).text
    main.status = Article.Status.PUBLISHED
    main.save()
    assert "readers cannot see this page" not in client.get(PAGE).text
    assert "readers cannot see this page" not in admin_client.get(PAGE).text


def test_the_version_counts_up_and_survives_an_emptied_table():
    ContentVersion.objects.all().delete()
    ContentVersion.bump()
    first = ContentVersion.objects.get().value
    ContentVersion.bump()
    assert ContentVersion.objects.get().value == first + 1


def test_the_header_and_footer_are_kept_per_language(client):
    # Whichever language draws them first, each language keeps its own.
    for path, shown, not_shown in [
        ("/es/saved/", "Buscar tratamiento", "Find treatment"),
        ("/saved/", "Find treatment", "Buscar tratamiento"),
        ("/es/saved/", "Cómo escribimos y revisamos", "How we write and review"),
    ]:
        html = client.get(path).text
        assert shown in html
        assert not_shown not in html
