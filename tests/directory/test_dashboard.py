"""The editors' dashboard on the admin's front page: open items, their age, stale listings."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from directory.dashboard import moderation_dashboard
from directory.submissions import Submission
from tests import cast
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

Kind, Status = Submission.Kind, Submission.Status


def item(kind=Kind.REPORT, days_ago=0, **fields):
    submission = Submission.objects.create(kind=kind, **fields)
    created = timezone.now() - timedelta(days=days_ago, minutes=1)
    Submission.objects.filter(pk=submission.pk).update(created_at=created)
    return submission


def test_counts_open_items_by_kind_and_the_oldest_ones_age():
    item(days_ago=3)
    item(days_ago=1)
    item(Kind.SUGGESTION, provider_name="New", status=Status.IN_PROGRESS)
    item(Kind.UPDATE, status=Status.RESOLVED, days_ago=30)  # closed: not counted
    item(Kind.ARTICLE, page="/articles/ketamine-for-ptsd/", page_title="Ketamine for PTSD")
    dashboard = moderation_dashboard()
    counts = {row.kind: row.count for row in dashboard.open_by_kind}
    assert counts == {"report": 2, "suggestion": 1, "update": 0, "article": 1}
    assert dashboard.open_total == 4
    assert dashboard.oldest_open_age == "3\xa0days"  # timesince keeps the two together


def test_an_empty_queue_has_no_oldest_item():
    dashboard = moderation_dashboard()
    assert dashboard.open_total == 0
    assert (dashboard.oldest_open_at, dashboard.oldest_open_age) == (None, "")
    assert dashboard.most_reported == []


def test_counts_published_listings_not_verified_in_twelve_months():
    today = timezone.localdate()
    make_provider(name="Old", last_verified=today - timedelta(days=400))
    make_provider(name="Never")
    make_provider(name="Recent", last_verified=today - timedelta(days=30))
    make_provider(name="Old draft", status="draft", last_verified=today - timedelta(days=400))
    assert moderation_dashboard().unverified_published == 2


def test_lists_the_five_listings_with_the_most_open_reports():
    providers = [make_provider(name=f"Clinic {n}") for n in range(7)]
    for n, provider in enumerate(providers):
        for _ in range(n):
            item(provider=provider)
    item(provider=providers[0], status=Status.RESOLVED)  # closed: not counted
    item(Kind.UPDATE, provider=providers[1])  # an update is not a report
    top = moderation_dashboard().most_reported
    assert [(row.name, row.open_reports) for row in top] == [
        ("Clinic 6", 6), ("Clinic 5", 5), ("Clinic 4", 4), ("Clinic 3", 3), ("Clinic 2", 2),
    ]  # fmt: skip


def test_front_page_shows_the_dashboard_to_editors_with_links(editor_client):
    austin = cast.austin_clinic()
    item(provider=austin, days_ago=2)
    html = editor_client.get(reverse("admin:index")).content.decode()
    queue = reverse("admin:directory_submission_changelist")
    assert 'id="moderation-dashboard"' in html
    assert f'<a href="{queue}?queue=open&amp;kind__exact=report">Report of a problem</a>' in html
    assert "<td>1 open</td>" in html
    assert "2\xa0days</span> old" in html
    providers = reverse("admin:directory_provider_changelist")
    assert f'href="{providers}?status__exact=published&amp;verified=notice"' in html
    assert f"provider__id__exact={austin.pk}" in html
    # The links lead to working, filtered lists.
    response = editor_client.get(queue, {"queue": "open", "provider__id__exact": austin.pk})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    response = editor_client.get(providers, {"status__exact": "published", "verified": "notice"})
    assert response.status_code == 200


def test_front_page_has_no_dashboard_for_staff_who_cannot_see_the_queue(client, django_user_model):
    staff = django_user_model.objects.create_user(username="sid", password="x" * 20, is_staff=True)
    client.force_login(staff)
    html = client.get(reverse("admin:index")).content.decode()
    assert "moderation-dashboard" not in html


def test_dashboard_queries_do_not_grow_with_items(editor_client, django_assert_max_num_queries):
    def add(count):
        for n in range(count):
            provider = make_provider(name=f"Clinic {Submission.objects.count()}")
            item(provider=provider, days_ago=n)
            item(Kind.SUGGESTION, provider_name=f"Suggested {n}")

    add(2)
    editor_client.get(reverse("admin:index"))  # warm per-process caches
    with CaptureQueriesContext(connection) as few:
        editor_client.get(reverse("admin:index"))
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get(reverse("admin:index"))
    with django_assert_max_num_queries(3):
        moderation_dashboard()
