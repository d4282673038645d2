"""Writes of the moderation queue that span models: verifying a listing, filing an item.

Views and the admin call these; they never write Submission or Verification rows
themselves.
"""

import logging
from datetime import date
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from core.editors import EDITORS_GROUP
from core.history import record_change
from directory.models import Provider, Verification
from directory.submissions import Submission

logger = logging.getLogger(__name__)


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


def unique_provider_slug(name: str) -> str:
    """A slug for `name` that no provider has yet: "name", else "name-2", "name-3" …"""
    # Room for a "-NN" suffix within the field's 200 characters.
    base = (slugify(name) or "provider")[:190].strip("-")
    taken = set(Provider.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_or_blank(field_name: str, value: str) -> str:
    """`value` as the Provider field would store it, or "" when the field refuses it.

    The public form checked the suggestion, but the draft is an editor's to
    finish: a value the provider form would refuse is left for them to fill.
    """
    if not value:
        return ""
    field = Provider._meta.get_field(field_name)
    assert isinstance(field, models.Field)
    form_field = field.formfield()
    try:
        # The form field first: it reads a bare domain as https://, as for an editor.
        return field.clean(form_field.clean(value) if form_field else value, None)
    except ValidationError:
        return ""


def suggestion_to_draft(submission: Submission, *, by) -> Provider:
    """Make a draft provider from a suggestion, link it to the suggestion and take the item.

    Only what describes the provider is copied (name, website, phone): never the
    suggester's email or what they wrote. The location is for the editor to add.
    """
    if submission.kind != Submission.Kind.SUGGESTION:
        raise ValueError("Only a suggestion becomes a draft provider.")
    name = submission.provider_name.strip() or "Suggested provider"
    with transaction.atomic():
        provider = Provider(
            status=Provider.Status.DRAFT,
            name=name,
            slug=unique_provider_slug(name),
            website=_clean_or_blank("website", submission.website),
            phone=_clean_or_blank("phone", submission.phone),
            description="",
        )
        # One history record, with its author (as the admin's own saves do).
        provider.skip_history_when_saving = True  # type: ignore[attr-defined]  # simple-history
        provider.save()
        record_change(provider, created=True, user=by)
        submission.provider = provider
        submission.status = Submission.Status.IN_PROGRESS
        submission.handled_by = by
        submission.handled_at = timezone.now()
        submission.save(update_fields=["provider", "status", "handled_by", "handled_at"])
    return provider


NOTICE_SUBJECTS = {
    Submission.Kind.REPORT: "New report on ketanet",
    Submission.Kind.SUGGESTION: "New suggested provider on ketanet",
    Submission.Kind.UPDATE: "New practice update on ketanet",
    Submission.Kind.ARTICLE: "New report of a mistake in an article on ketanet",
}


def notify_editors(submission: Submission) -> None:
    """Email the Editors group that `submission` arrived, when MODERATION_NOTIFY_EDITORS is on.

    The mail names the kind and the listing (or the article) and links to the admin; what the
    person typed and their address stay in the admin (health information is
    kept off mail). A mail server that fails is logged, never raised: the item
    is filed whatever happens to the notice.
    """
    if not settings.MODERATION_NOTIFY_EDITORS:
        return
    editors = (
        get_user_model()
        .objects.filter(groups__name=EDITORS_GROUP, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    recipients = list(editors)
    if not recipients:
        return
    url = settings.SITE_URL + reverse("admin:directory_submission_change", args=[submission.pk])
    body = (
        f"{submission.get_kind_display()}: {submission.about}\n\n"
        f"Read it and handle it in the admin:\n{url}\n"
    )
    try:
        send_mail(
            NOTICE_SUBJECTS[Submission.Kind(submission.kind)],
            body,
            None,  # DEFAULT_FROM_EMAIL
            recipients,
            fail_silently=False,
        )
    except (OSError, SMTPException):
        logger.exception("Could not email editors about submission %s", submission.pk)


def submission_file(submission: Submission) -> Submission:
    """Store what the public sent (it goes live only through an editor), then tell editors.

    The notice goes once the row is committed, so a mail server that is slow or
    down never loses an item.
    """
    submission.save()
    transaction.on_commit(lambda: notify_editors(submission))
    return submission
