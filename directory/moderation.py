"""Writes of the moderation queue that span models: verifying a listing, filing an item.

Views and the admin call these; they never write Submission or Verification rows
themselves.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from directory.models import Provider, Verification
from directory.submissions import Submission


def provider_verify(
    provider: Provider,
    *,
    method: str,
    by=None,
    note: str = "",
    on: date | None = None,
    submission: Submission | None = None,
) -> Verification:
    """Record that `provider` was verified, and move its last_verified date up to `on`.

    The provider is saved (a history record by `by`, a new version) only when
    its date moves; an older verification entered late is kept as evidence.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        verification = Verification.objects.create(
            provider=provider,
            method=method,
            verified_by=by,
            note=note,
            verified_on=on,
            submission=submission,
        )
        if provider.last_verified is None or provider.last_verified < on:
            provider.last_verified = on
            provider._history_user = by  # type: ignore[attr-defined]  # simple-history
            provider._change_reason = str(verification)  # type: ignore[attr-defined]
            provider.save(update_fields=["last_verified", "updated_at"])
    return verification


def submission_file(submission: Submission) -> Submission:
    """Store what the public sent; it goes live only through an editor."""
    submission.save()
    return submission
