"""Fragments kept per process (templates' {% cache ... using="fragments" %}).

An article page's text and references, and whole article and profile pages for
readers (core.cache.kept_for_readers), are drawn once per process and content
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
from directory.models import NOTICE_AFTER_DAYS, PaymentOption, Provider
from tests.articles.test_pages import cast  # noqa: F401 - the fixture these tests use
from tests.cast import austin_clinic, draft_provider, round_rock_clinic
from tests.directory.test_provider_page import facts_of, groups_of

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


# --- A provider's profile ------------------------------------------------------------


def test_a_kept_profile_costs_one_query_and_is_the_same_page(client, django_assert_num_queries):
    austin, _ = austin_clinic(), round_rock_clinic()
    drawn = client.get(austin.get_absolute_url()).content
    with django_assert_num_queries(1):  # the content version: the page is kept under it
        kept = client.get(austin.get_absolute_url()).content
    assert kept == drawn
    assert "Round Rock Infusion Center" in kept.decode()  # the clinics to compare with


def test_a_profile_kept_under_an_older_version_is_drawn_again_then_kept(
    client, django_assert_num_queries
):
    austin, _ = austin_clinic(), round_rock_clinic()
    client.get(austin.get_absolute_url())
    Provider.objects.filter(pk=austin.pk).update(phone="(512) 555-0142")
    ContentVersion.bump()  # a save in another process
    with django_assert_num_queries(6):  # the version, then the page's five
        assert "(512) 555-0142" in client.get(austin.get_absolute_url()).text
    with django_assert_num_queries(1):
        assert "(512) 555-0142" in client.get(austin.get_absolute_url()).text


def test_a_change_to_the_profile_or_a_clinic_nearby_shows_at_once(client):
    austin, round_rock = austin_clinic(), round_rock_clinic()
    client.get(austin.get_absolute_url())
    austin.phone = "(512) 555-0199"
    austin.save()
    assert "(512) 555-0199" in client.get(austin.get_absolute_url()).text
    site = round_rock.locations.get()
    site.address1 = "7 Moved Street"
    site.save()
    round_rock.name = "Round Rock Renamed Clinic"
    round_rock.save()
    assert "Round Rock Renamed Clinic" in client.get(austin.get_absolute_url()).text


def test_a_change_to_a_profiles_links_shows_at_once(client):
    austin = austin_clinic()
    client.get(austin.get_absolute_url())
    austin.save()  # as the admin, an import and an applied proposal do: the provider first
    austin.payment_options.set(PaymentOption.objects.filter(slug="self-pay"))
    html = client.get(austin.get_absolute_url()).text
    assert facts_of(groups_of(html)["Payment"])["Accepted"] == "Self-pay"


def test_a_profile_unpublished_with_a_save_goes_from_the_public_at_once(client):
    austin = austin_clinic()
    client.get(austin.get_absolute_url())
    austin.status = Provider.Status.DRAFT
    austin.save()
    assert client.get(austin.get_absolute_url()).status_code == 404


def test_editors_are_drawn_the_profile_with_their_banner(client, editor):
    draft = draft_provider()
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(editor)
    assert "patients cannot see this page" in client.get(draft.get_absolute_url()).text


def test_the_notice_to_call_ahead_follows_the_day_not_only_saves(client, settings):
    # The same instant is one day on American Samoa and the next (or the one after)
    # on Kiritimati. Verified exactly NOTICE_AFTER_DAYS days before Samoa's day: no
    # notice there yet; a day later, with no save in between, the kept page is not
    # served and the notice shows.
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    today = timezone.localdate()
    austin = austin_clinic()
    austin.last_verified = today - timedelta(days=NOTICE_AFTER_DAYS)
    austin.save()
    assert "call ahead" not in client.get(austin.get_absolute_url()).text
    settings.TIME_ZONE = "Pacific/Kiritimati"
    assert "call ahead to check the details" in client.get(austin.get_absolute_url()).text
