"""Practice update proposals: the form, what changed, conflicts, the confirmation mail.

Someone at a practice proposes new values for its listing's facts. Nothing here
changes a Provider: a proposal is stored as a Submission (`changes`: each
proposed value, `original`: the value it replaces, both as JSON) and an editor
applies it in the admin (directory/admin_proposals.py) through the admin's own
save path. Values are stored as JSON: a many-to-many field as the sorted list of
its primary keys as strings; everything else as it is (None, bool, int, str).
"""

import copy
import logging
import secrets
import smtplib
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.public_forms import GuardedForm
from directory.filters import OFFERED_LANGUAGES
from directory.forms import check_payment
from directory.models import Language, Provider
from directory.submissions import DETAILS_MAX_LENGTH, Submission

logger = logging.getLogger(__name__)

# The fields a practice may propose, by the groups of the profile and the
# admin (directory/admin.py's fact_fieldsets; a test keeps the two in step).
# Not proposed: the description (editors write it in our own words), the
# *_confirmed dates, status, slug, last_verified and external_id (editors' own);
# sites and opening hours go in the free-text details.
PROPOSAL_GROUPS: list[tuple[str, list[str]]] = [
    ("Name and contact", ["name", "website", "phone", "email"]),
    ("Conditions treated", ["conditions"]),
    (
        "Cost",
        [
            "price_min",
            "price_max",
            "consultation_fee",
            "course_price",
            "price_includes",
            "cancellation_terms",
        ],
    ),
    ("Payment", ["payment_options", "payment_declined"]),
    ("Treatments offered", ["treatments", "rems_certified"]),
    (
        "Who prescribes and supervises",
        [
            "prescriber_types",
            "board_certified",
            "npi",
            "medical_director_name",
            "medical_director_credential",
        ],
    ),
    (
        "Safety and monitoring",
        ["vitals_monitored", "present_throughout", "observation_minutes", "ride_home_required"],
    ),
    (
        "Intake",
        [
            "consultation_required",
            "referral_required",
            "existing_patients_only",
            "consultation_fee_refunded",
        ],
    ),
    ("Psychotherapy", ["kap"]),
    ("Typical course", ["course_sessions", "course_weeks", "course_notes"]),
    (
        "Treatment at home",
        ["serves_states", "in_person_evaluation", "compounded", "sent_home"],
    ),
    ("Access", ["accepting_new_patients", "wait_days", "languages"]),
]
PROPOSAL_FIELDS: list[str] = [name for _, names in PROPOSAL_GROUPS for name in names]

# Many-to-many fields shown as a list of boxes (serves_states: all 56; languages:
# the listing's own and the ones the search offers).
CHECKBOX_FIELDS = [
    "conditions",
    "treatments",
    "payment_options",
    "payment_declined",
    "prescriber_types",
    "serves_states",
    "languages",
]

CONFIRMATION_MAX_AGE = timedelta(days=7)
CONFIRMATION_SALT = "proposal-confirm"

# Mail services anyone can sign up to: an address there proves nothing about
# who works at a practice, even when the practice's own address is there too.
FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "yahoo.com",
        "ymail.com",
        "zoho.com",
    }
)

# The model's help is written for editors; a practice reads these instead.
PUBLIC_HELP = {
    "price_includes": "For example: the infusion, monitoring, a follow-up call. We may shorten it.",
    "cancellation_terms": "We may shorten it.",
    "payment_declined": "Only the ways of paying you do not take at all.",
    "serves_states": (
        "The states where you treat patients at home. None, if you only see them at a clinic."
    ),
    "accepting_new_patients": "",
}

NOTHING_CHANGED = "Change at least one field or tell us what is wrong."


# --- Values as JSON ------------------------------------------------------------


def is_many(field_name: str) -> bool:
    return bool(Provider._meta.get_field(field_name).many_to_many)


def field_label(field_name: str) -> str:
    """The field's name as editors and practices read it ("lowest price per session (USD)")."""
    return str(cast(models.Field, Provider._meta.get_field(field_name)).verbose_name)


def json_value(value: Any) -> Any:
    """A form's or a model's value as stored in a proposal."""
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(item.pk if isinstance(item, models.Model) else item) for item in value)
    return value


def current_value(provider: Provider, field_name: str) -> Any:
    """The listing's value of `field_name` now, as stored in a proposal."""
    if is_many(field_name):
        return json_value(getattr(provider, field_name).values_list("pk", flat=True))
    return getattr(provider, field_name)


def proposal_changes(
    provider: Provider, cleaned_data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes, original): each proposed field that differs from the listing, new and old."""
    changes: dict[str, Any] = {}
    original: dict[str, Any] = {}
    for name in PROPOSAL_FIELDS:
        if name not in cleaned_data:
            continue
        proposed = json_value(cleaned_data[name])
        now = current_value(provider, name)
        if proposed != now:
            changes[name] = proposed
            original[name] = now
    return changes, original


def conflicts(submission: Submission, provider: Provider) -> list[str]:
    """The proposed fields the listing changed since: now neither as proposed nor as it was."""
    found = []
    for name, proposed in submission.changes.items():
        if name not in PROPOSAL_FIELDS:
            continue
        now = current_value(provider, name)
        if now != submission.original.get(name) and now != proposed:
            found.append(name)
    return found


# --- Whose address -------------------------------------------------------------


def practice_domains(provider: Provider) -> set[str]:
    """The domains of the listing's website and email, free mail services left out."""
    domains = set()
    if provider.website:
        host = urlsplit(provider.website if "//" in provider.website else f"//{provider.website}")
        if host.hostname:
            domains.add(host.hostname.lower().removeprefix("www."))
    if "@" in provider.email:
        domains.add(provider.email.rsplit("@", 1)[1].lower())
    return domains - FREE_MAIL_DOMAINS


def email_belongs_to_practice(email: str, provider: Provider) -> bool:
    """Is `email` the listing's own address, or at its website's or email's domain?"""
    email = email.strip().lower()
    if not email or "@" not in email:
        return False
    if provider.email and email == provider.email.strip().lower():
        return True
    return email.rsplit("@", 1)[1] in practice_domains(provider)


# --- The confirmation mail -----------------------------------------------------


def confirmation_token(submission: Submission) -> str:
    return signing.dumps([submission.pk, submission.confirmation_nonce], salt=CONFIRMATION_SALT)


def read_confirmation_token(token: str) -> tuple[int, str]:
    """(submission pk, nonce) from a link's token.

    Raises signing.SignatureExpired after CONFIRMATION_MAX_AGE and
    signing.BadSignature when it is not one of ours.
    """
    payload = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    try:
        pk, nonce = payload
        return int(pk), str(nonce)
    except (TypeError, ValueError):
        raise signing.BadSignature("Not a confirmation token.") from None


def confirmation_mail(submission: Submission, link: str) -> tuple[str, str]:
    """(subject, plain-text body) of the mail asking the practice to confirm."""
    provider = submission.provider
    labels = [field_label(name) for name in submission.changes]
    if labels:
        what = "changes to " + ", ".join(labels[:6]) + (" and more" if len(labels) > 6 else "")
    else:
        what = "a note about the listing"
    subject = f"Please confirm the update to {provider} on ketanet"
    body = (
        f"Hello {submission.submitter_name},\n\n"
        f"Someone using this address proposed {what} for the listing of {provider} on "
        "ketanet.\n\n"
        "If that was you, please confirm it by opening this link:\n\n"
        f"{link}\n\n"
        f"The link works once and for {CONFIRMATION_MAX_AGE.days} days. An editor reviews "
        "every update before it appears on the site.\n\n"
        "If this wasn't you, ignore this message: nothing changes without an editor, "
        "and we will not write again about it.\n\n"
        "ketanet\n"
    )
    return subject, body


def send_confirmation(submission: Submission) -> bool:
    """Mail the work email a single-use link confirming the proposal; False if mail failed.

    Every call makes a new link: the nonce is rotated (and saved) first, so an
    older link stops working. A failure is logged and leaves the item as it is
    (confirmation_sent_at unchanged) for an editor to resend.
    """
    submission.confirmation_nonce = secrets.token_urlsafe(16)
    if submission.confirmation != Submission.Confirmation.CONFIRMED:
        submission.confirmation = Submission.Confirmation.AWAITING
    submission.save(update_fields=["confirmation_nonce", "confirmation"])
    link = settings.SITE_URL + reverse("proposal-confirm", args=[confirmation_token(submission)])
    subject, body = confirmation_mail(submission, link)
    try:
        send_mail(subject, body, None, [submission.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send the confirmation mail of submission %s", submission.pk)
        return False
    submission.confirmation_sent_at = timezone.now()
    submission.save(update_fields=["confirmation_sent_at"])
    return True


# --- The form --------------------------------------------------------------------


class UnknownYesNo(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Not confirmed"), ("true", "Yes"), ("false", "No")]


class UpdateForm(GuardedForm, forms.ModelForm):
    """A practice's proposed facts, who proposes them, and anything else to tell us.

    Validates as the editors' form does (the model's validators and clean(),
    ProviderForm's payment rule) on a copy of the listing: it never saves.
    After is_valid(), `changes` and `original` hold what differs.
    """

    form_name = "update"

    your_name = forms.CharField(label="Your name", max_length=200)
    your_role = forms.CharField(
        label="Your role at the practice",
        max_length=200,
        help_text="For example: office manager, medical director.",
    )
    work_email = forms.EmailField(
        label="Your work email",
        max_length=254,  # Submission.email's column
        help_text=(
            "If it is the practice’s address on file, or at the practice’s own website, "
            "we send it a link to confirm this update."
        ),
    )
    details = forms.CharField(
        label="Anything else",
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        help_text=(
            "Anything else, such as a new address or opening hours "
            f"(at most {DETAILS_MAX_LENGTH} characters)."
        ),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": DETAILS_MAX_LENGTH}),
    )

    class Meta:
        model = Provider
        fields = PROPOSAL_FIELDS
        widgets = dict.fromkeys(CHECKBOX_FIELDS, forms.CheckboxSelectMultiple)

    def __init__(self, *args, provider: Provider, **kwargs):
        # The form validates on a copy: ModelForm writes cleaned values onto its
        # instance, and the listing itself must stay as stored.
        self.listing = provider
        kwargs["instance"] = copy.copy(provider)
        super().__init__(*args, **kwargs)
        self.changes: dict[str, Any] = {}
        self.original: dict[str, Any] = {}
        for name, field in self.fields.items():
            field.help_text = PUBLIC_HELP.get(name, field.help_text)
            if isinstance(field, forms.NullBooleanField):
                field.widget = UnknownYesNo()
            elif isinstance(field, forms.TypedChoiceField) and field.choices:
                field.choices = [("", "Not confirmed"), *cast(list, field.choices)[1:]]
        spoken = provider.languages.values_list("pk", flat=True)
        languages = self.fields["languages"]
        assert isinstance(languages, forms.ModelMultipleChoiceField)
        languages.queryset = Language.objects.filter(pk__in=[*OFFERED_LANGUAGES, *spoken]).order_by(
            "name"
        )

    def clean(self):
        cleaned_data = super().clean()
        check_payment(self, cleaned_data)
        return cleaned_data

    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]  # the model's validators and clean(), on the copy
        if self.errors:
            return
        # The model's cleaning normalises (a phone in its display format, a
        # website with its scheme): propose what would be saved.
        for name in PROPOSAL_FIELDS:
            if name in self.cleaned_data and not is_many(name):
                self.cleaned_data[name] = getattr(self.instance, name)
        self.changes, self.original = proposal_changes(self.listing, self.cleaned_data)
        if not self.changes and not self.cleaned_data.get("details"):
            self.add_error(None, forms.ValidationError(NOTHING_CHANGED, code="nothing"))

    def save(self, commit=True):
        raise NotImplementedError(
            "A proposal is filed as a Submission, never saved on the listing."
        )

    def groups(self):
        """(legend, bound fields) per fact group, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in PROPOSAL_GROUPS]
