"""notify_editors: one short mail to the Editors group about a new item, never its content."""

import logging
import socket

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from core.editors import EDITORS_GROUP
from directory.moderation import notify_editors
from directory.submissions import Submission
from tests import cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(django_user_model):
    group = Group.objects.get(name=EDITORS_GROUP)
    people = [
        ("ana", "ana@ketanet.example", True),
        ("ben", "ben@ketanet.example", True),
        ("cy", "", True),  # no address
        ("dee", "dee@ketanet.example", False),  # no longer active
    ]
    for username, email, active in people:
        user = django_user_model.objects.create_user(
            username=username, email=email, is_active=active, is_staff=True
        )
        user.groups.add(group)
    django_user_model.objects.create_user(username="outsider", email="out@ketanet.example")


@pytest.fixture
def report():
    return Submission.objects.create(
        kind=Submission.Kind.REPORT,
        provider=cast.austin_clinic(),
        problem="other",
        details="My infusion made me feel unwell",
        email="patient@example.com",
    )


def test_one_mail_to_active_editors_with_the_kind_listing_and_admin_link(settings, editors, report):
    settings.MODERATION_NOTIFY_EDITORS = True
    settings.SITE_URL = "https://ketanet.example"
    notify_editors(report)
    [message] = mail.outbox
    assert message.subject == "New report on ketanet"
    assert sorted(message.to) == ["ana@ketanet.example", "ben@ketanet.example"]
    assert "Report of a problem: Austin Ketamine Clinic" in message.body
    url = f"https://ketanet.example/admin/directory/submission/{report.pk}/change/"
    assert url in message.body


def test_the_mail_carries_nothing_the_person_typed(settings, editors, report):
    settings.MODERATION_NOTIFY_EDITORS = True
    notify_editors(report)
    [message] = mail.outbox
    assert "unwell" not in message.body
    assert "patient@example.com" not in message.body
    assert "patient@example.com" not in message.to


def test_a_suggestion_names_the_suggested_provider(settings, editors):
    settings.MODERATION_NOTIFY_EDITORS = True
    suggestion = Submission.objects.create(
        kind=Submission.Kind.SUGGESTION, provider_name="Hill Country Ketamine"
    )
    notify_editors(suggestion)
    [message] = mail.outbox
    assert message.subject == "New suggested provider on ketanet"
    assert "Suggested provider: Hill Country Ketamine" in message.body


def test_an_article_report_names_the_article(settings, editors):
    settings.MODERATION_NOTIFY_EDITORS = True
    report = Submission.objects.create(
        kind=Submission.Kind.ARTICLE,
        page="/articles/ketamine-for-ptsd/",
        page_title="Ketamine for PTSD",
        problem="fact",
        details="The second study was withdrawn",
    )
    notify_editors(report)
    [message] = mail.outbox
    assert message.subject == "New report of a mistake in an article on ketanet"
    assert "Report of a mistake in an article: Ketamine for PTSD" in message.body
    assert "listing" not in message.body
    assert "withdrawn" not in message.body


def test_no_mail_when_notices_are_off(settings, editors, report):
    settings.MODERATION_NOTIFY_EDITORS = False
    notify_editors(report)
    assert mail.outbox == []


def test_an_unreachable_mail_server_is_logged_not_raised(settings, editors, report, caplog):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.MODERATION_NOTIFY_EDITORS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with caplog.at_level(logging.ERROR, logger="directory.moderation"):
        notify_editors(report)
    assert f"Could not email editors about submission {report.pk}" in caplog.text
