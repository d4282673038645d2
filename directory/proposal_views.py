"""“Is this your practice?”: the update form, its thank-you page and the confirmation link."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.public_forms import PublicFormView
from directory.models import Provider
from directory.moderation import submission_file
from directory.proposals import (
    CONFIRMATION_MAX_AGE,
    UpdateForm,
    email_belongs_to_practice,
    read_confirmation_token,
    send_confirmation,
)
from directory.submissions import Submission

# The thank-you page's ?email=: what became of the confirmation mail.
MAIL_SENT, MAIL_FAILED, MAIL_NONE = "sent", "failed", "none"


class ProviderUpdateView(PublicFormView):
    """A published listing's update form; filing stores a Submission, then mails the link."""

    form_class = UpdateForm
    template_name = "directory/provider_update.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # 404 before anything else.
        self.provider = get_object_or_404(Provider.objects.published(), slug=kwargs["slug"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "provider": self.provider}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            provider=self.provider,
            retention_months=round(settings.MODERATION_RETENTION_DAYS / 30.4),
            max_age_days=CONFIRMATION_MAX_AGE.days,
            **kwargs,
        )

    def file(self, form: UpdateForm) -> Submission:
        data = form.cleaned_data
        qualifies = email_belongs_to_practice(data["work_email"], self.provider)
        submission = submission_file(
            Submission(
                kind=Submission.Kind.UPDATE,
                provider=self.provider,
                submitter_name=data["your_name"],
                submitter_role=data["your_role"],
                email=data["work_email"],
                details=data.get("details", ""),
                changes=form.changes,
                original=form.original,
                confirmation=(
                    Submission.Confirmation.AWAITING
                    if qualifies
                    else Submission.Confirmation.UNCONFIRMED
                ),
            )
        )
        # Saved first (requests are not wrapped in a transaction): a mail server
        # that fails cannot lose the item, and an editor can resend the link.
        self.mail = MAIL_NONE
        if qualifies:
            self.mail = MAIL_SENT if send_confirmation(submission) else MAIL_FAILED
        return submission

    def get_success_url(self):
        url = reverse("provider-update-sent", args=[self.provider.slug])
        return f"{url}?email={self.mail}"


@require_safe
def provider_update_sent(request, slug):
    provider = get_object_or_404(Provider.objects.published(), slug=slug)
    mail = request.GET.get("email")
    context = {
        "provider": provider,
        "mail": mail if mail in {MAIL_SENT, MAIL_FAILED} else MAIL_NONE,
        "max_age_days": CONFIRMATION_MAX_AGE.days,
    }
    return render(request, "directory/provider_update_sent.html", context)


@never_cache
@require_safe
def proposal_confirm(request, token):
    """Follow the link from the confirmation mail: the proposal is confirmed by the practice.

    The link works once (its nonce is cleared) and for CONFIRMATION_MAX_AGE.
    """
    try:
        pk, nonce = read_confirmation_token(token)
    except signing.SignatureExpired:
        return confirm_page(request, "expired", status=400)
    except signing.BadSignature:
        return confirm_page(request, "invalid", status=400)
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .filter(pk=pk, kind=Submission.Kind.UPDATE)
            .select_related("provider")
            .first()
        )
        if submission is None:
            return confirm_page(request, "invalid", status=400)
        if submission.confirmation == Submission.Confirmation.CONFIRMED:
            return confirm_page(request, "already", submission)
        if not submission.is_open:
            return confirm_page(request, "closed", submission, status=410)
        if not submission.confirmation_nonce or not constant_time_compare(
            nonce, submission.confirmation_nonce
        ):
            # A newer mail replaced this link.
            return confirm_page(request, "replaced", submission, status=400)
        submission.confirmation = Submission.Confirmation.CONFIRMED
        submission.confirmed_at = timezone.now()
        submission.confirmation_nonce = ""
        submission.save(update_fields=["confirmation", "confirmed_at", "confirmation_nonce"])
    return confirm_page(request, "confirmed", submission)


def confirm_page(request, state, submission=None, status=200):
    context = {
        "state": state,
        "provider": submission.provider if submission else None,
        "max_age_days": CONFIRMATION_MAX_AGE.days,
    }
    return render(request, "directory/proposal_confirm.html", context, status=status)
