"""purge_moderation: items past their retention go; the verifications made from them stay."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from directory.models import Verification
from directory.moderation import provider_verify
from directory.submissions import Submission
from tests import cast

pytestmark = pytest.mark.django_db


def item(days_ago, **fields):
    submission = Submission.objects.create(kind=Submission.Kind.REPORT, **fields)
    created = timezone.now() - timedelta(days=days_ago)
    Submission.objects.filter(pk=submission.pk).update(created_at=created)
    return submission


def purge(*args):
    out = io.StringIO()
    call_command("purge_moderation", *args, stdout=out)
    return out.getvalue().strip()


def test_deletes_only_items_older_than_the_retention(settings):
    settings.MODERATION_RETENTION_DAYS = 365
    old = item(400, status=Submission.Status.NEW)  # open or not, it goes
    item(366, status=Submission.Status.RESOLVED)
    kept = [item(364), item(0)]
    assert purge() == "Deleted 2 moderation items older than 365 days."
    assert set(Submission.objects.all()) == set(kept)
    assert not Submission.objects.filter(pk=old.pk).exists()


def test_dry_run_counts_and_deletes_nothing():
    item(400)
    assert purge("--dry-run") == "Would delete 1 moderation item older than 365 days."
    assert Submission.objects.count() == 1


def test_days_overrides_the_setting():
    item(40)
    item(20)
    assert purge("--days", "30") == "Deleted 1 moderation item older than 30 days."
    assert Submission.objects.count() == 1


def test_keeps_the_verifications_made_from_purged_items(editor):
    provider = cast.austin_clinic()
    report = item(400, provider=provider)
    verification = provider_verify(provider, method="phone", by=editor, submission=report)
    purge()
    verification.refresh_from_db()
    assert verification.submission is None
    assert Verification.objects.get() == verification


@pytest.mark.parametrize("days", ["0", "-5"])
def test_refuses_a_retention_below_one_day(days):
    item(400)
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        purge("--days", days)
    assert Submission.objects.count() == 1
