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
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import (
    get_language,
    gettext,
    gettext_lazy,
    gettext_noop,
    ngettext,
    pgettext_lazy,
)

from core.public_forms import GuardedForm
from directory.facts import LANGUAGES, PAYMENT_OPTIONS, PRESCRIBER_TYPES
from directory.filters import OFFERED_LANGUAGES
from directory.forms import check_payment
from directory.gazetteer import fold
from directory.models import Condition, Language, PaymentOption, PrescriberType, Provider, Treatment
from directory.submissions import DETAILS_MAX_LENGTH, Submission

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# The fields a practice may propose, by the groups of the profile and the
# admin (directory/admin.py's fact_fieldsets; a test keeps the two in step).
# Not proposed: the description (editors write it in our own words), the
# *_confirmed dates, status, slug, last_verified and external_id (editors' own);
# sites and opening hours go in the free-text details.
# The legends are shown to the practice, so translated (lazily: read per request).
PROPOSAL_GROUPS: "list[tuple[StrOrPromise, list[str]]]" = [
    (gettext_lazy("Name and contact"), ["name", "website", "phone", "email"]),
    (gettext_lazy("Conditions treated"), ["conditions"]),
    (
        gettext_lazy("Cost"),
        [
            "price_min",
            "price_max",
            "consultation_fee",
            "course_price",
            "price_includes",
            "cancellation_terms",
        ],
    ),
    (gettext_lazy("Payment"), ["payment_options", "payment_declined"]),
    (gettext_lazy("Treatments offered"), ["treatments", "rems_certified"]),
    (
        gettext_lazy("Who prescribes and supervises"),
        [
            "prescriber_types",
            "board_certified",
            "npi",
            "medical_director_name",
            "medical_director_credential",
        ],
    ),
    (
        gettext_lazy("Safety and monitoring"),
        ["vitals_monitored", "present_throughout", "observation_minutes", "ride_home_required"],
    ),
    (
        gettext_lazy("Intake"),
        [
            "consultation_required",
            "referral_required",
            "existing_patients_only",
            "consultation_fee_refunded",
        ],
    ),
    (gettext_lazy("Psychotherapy"), ["kap"]),
    (gettext_lazy("Typical course"), ["course_sessions", "course_weeks", "course_notes"]),
    (
        gettext_lazy("Treatment at home"),
        ["serves_states", "in_person_evaluation", "compounded", "sent_home"],
    ),
    (gettext_lazy("Access"), ["accepting_new_patients", "wait_days", "languages"]),
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

# The model's names and help are written for editors (the admin keeps them, in
# English); a practice reads these instead, in the page's language. The English
# labels are the model's verbose names as a form shows them.
PUBLIC_LABELS: "dict[str, StrOrPromise]" = {
    "name": gettext_lazy("Name"),
    "website": gettext_lazy("Website"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
    "conditions": gettext_lazy("Conditions"),
    "price_min": gettext_lazy("Lowest price per session (USD)"),
    "price_max": gettext_lazy("Highest price per session (USD)"),
    "consultation_fee": gettext_lazy("Consultation fee (USD)"),
    "course_price": gettext_lazy("Price of a typical course (USD)"),
    "price_includes": gettext_lazy("What the price includes"),
    "cancellation_terms": gettext_lazy("Cancellation and refunds"),
    "payment_options": gettext_lazy("Payment accepted"),
    "payment_declined": gettext_lazy("Payment not accepted"),
    "treatments": gettext_lazy("Treatments"),
    "rems_certified": gettext_lazy("Spravato REMS-certified"),
    "prescriber_types": gettext_lazy("Prescribers"),
    "board_certified": gettext_lazy("Prescribers board-certified"),
    "npi": gettext_lazy("NPI"),
    "medical_director_name": gettext_lazy("Medical director name"),
    "medical_director_credential": gettext_lazy("Medical director credential"),
    "vitals_monitored": gettext_lazy("Vital signs monitored"),
    "present_throughout": gettext_lazy("Who is present throughout"),
    "observation_minutes": gettext_lazy("Observation after a dose (minutes)"),
    "ride_home_required": gettext_lazy("Ride home required"),
    "consultation_required": gettext_lazy("Consultation required"),
    "referral_required": gettext_lazy("Referral or records required"),
    "existing_patients_only": gettext_lazy("Existing patients only"),
    # The fact sheet's wording speaks to a patient ("if you are not a candidate").
    "consultation_fee_refunded": pgettext_lazy(
        "practice update form", "Consultation fee refunded if not a candidate"
    ),
    "kap": gettext_lazy("Ketamine-assisted psychotherapy"),
    "course_sessions": gettext_lazy("Sessions in a typical course"),
    "course_weeks": gettext_lazy("Weeks a course takes"),
    "course_notes": gettext_lazy("About the course"),
    "serves_states": gettext_lazy("At-home care in"),
    "in_person_evaluation": gettext_lazy("In-person evaluation first"),
    "compounded": gettext_lazy("Compounded medicine"),
    "sent_home": gettext_lazy("What is sent home"),
    "accepting_new_patients": gettext_lazy("Accepting new patients"),
    "wait_days": gettext_lazy("Days until a first appointment"),
    "languages": gettext_lazy("Languages spoken"),
}

# Help for a practice: the model's own (for editors) is never shown.
PUBLIC_HELP: "dict[str, StrOrPromise]" = {
    "phone": gettext_lazy("Saved as (512) 555-0100."),
    "price_includes": gettext_lazy(
        "For example: the infusion, monitoring, a follow-up call. We may shorten it."
    ),
    "cancellation_terms": gettext_lazy("We may shorten it."),
    "payment_declined": gettext_lazy("Only the ways of paying you do not take at all."),
    "rems_certified": gettext_lazy(
        "Certified to give esketamine (Spravato) under the FDA's REMS program."
    ),
    "npi": gettext_lazy(
        "The practice's or the medical director's 10-digit National Provider Identifier."
    ),
    "vitals_monitored": gettext_lazy("Blood pressure, heart rate, oxygen."),
    "course_notes": gettext_lazy("e.g. maintenance sessions."),
    "sent_home": gettext_lazy("e.g. a blood-pressure monitor."),
    "serves_states": gettext_lazy(
        "The states where you treat patients at home. None, if you only see them at a clinic."
    ),
    "accepting_new_patients": "",
}

# English here (tests compare with it); translated where it is raised.
NOTHING_CHANGED = gettext_noop("Change at least one field or tell us what is wrong.")


# --- Values as JSON ------------------------------------------------------------


def is_many(field_name: str) -> bool:
    return bool(Provider._meta.get_field(field_name).many_to_many)


def field_label(field_name: str) -> str:
    """The field's name as editors read it ("lowest price per session (USD)"), in English."""
    return str(cast(models.Field, Provider._meta.get_field(field_name)).verbose_name)


def public_field_label(field_name: str) -> str:
    """The field's name for a practice inside a sentence, in the active language.

    English keeps the model's name as it is ("lowest price per session (USD)",
    "NPI"); another language lowers the form label's first letter unless it
    starts an abbreviation ("NPI", "REMS").
    """
    english = field_label(field_name)
    label = str(PUBLIC_LABELS.get(field_name, english))
    if label == capfirst(english):
        return english
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


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
    """(subject, plain-text body) of the mail asking the practice to confirm.

    In the active language: the practice's when it sends the form, English when
    an editor resends the link from the admin.
    """
    provider = submission.provider
    labels = [public_field_label(name) for name in submission.changes]
    names = {"provider": provider, "fields": ", ".join(labels[:6])}
    if len(labels) > 6:
        proposed = gettext(
            "Someone using this address proposed changes to %(fields)s and more for the "
            "listing of %(provider)s on ketanet."
        )
    elif labels:
        proposed = gettext(
            "Someone using this address proposed changes to %(fields)s for the listing of "
            "%(provider)s on ketanet."
        )
    else:
        proposed = gettext(
            "Someone using this address proposed a note about the listing for the listing of "
            "%(provider)s on ketanet."
        )
    days = CONFIRMATION_MAX_AGE.days
    subject = gettext("Please confirm the update to %(provider)s on ketanet") % names
    paragraphs = [
        gettext("Hello %(name)s,") % {"name": submission.submitter_name},
        proposed % names,
        gettext("If that was you, please confirm it by opening this link:"),
        link,
        ngettext(
            "The link works once and for %(days)s day. An editor reviews every update "
            "before it appears on the site.",
            "The link works once and for %(days)s days. An editor reviews every update "
            "before it appears on the site.",
            days,
        )
        % {"days": days},
        gettext(
            "If this wasn't you, ignore this message: nothing changes without an editor, "
            "and we will not write again about it."
        ),
        "ketanet",
    ]
    return subject, "\n\n".join(paragraphs) + "\n"


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
        self.choices = [
            ("unknown", gettext_lazy("Not confirmed")),
            ("true", gettext_lazy("Yes")),
            ("false", gettext_lazy("No")),
        ]


def payment_label(option: PaymentOption) -> str:
    return str(PAYMENT_OPTIONS.get(option.slug, option.name))


def prescriber_label(prescriber: PrescriberType) -> str:
    return str(PRESCRIBER_TYPES.get(prescriber.slug, prescriber.name))


def language_label(language: Language) -> str:
    return str(LANGUAGES.get(language.slug, language.name))


def local_name_label(term: Condition | Treatment) -> str:
    return term.local_name


# The boxes' labels in the page's language (the tables hold the English names).
CHOICE_LABELS = {
    "conditions": local_name_label,
    "treatments": local_name_label,
    "payment_options": payment_label,
    "payment_declined": payment_label,
    "prescriber_types": prescriber_label,
    "languages": language_label,
}
# Lists in alphabetical order: the database's (by English name) on an English
# page, by the translated label on another (payment options and prescribers keep
# their fixed order, states their names).
ALPHABETICAL_FIELDS = {"conditions", "treatments", "languages"}


class LocalOrderIterator(forms.models.ModelChoiceIterator):
    """A list's choices by their label in the page's language, accents aside."""

    def __iter__(self):
        choices = super().__iter__()
        if get_language() == "en":
            yield from choices
        else:
            yield from sorted(choices, key=lambda choice: fold(str(choice[1])))


def details_help() -> str:
    """The update form's help for its free text, in the active language."""
    return gettext(
        "Anything else, such as a new address or opening hours (at most %(count)s characters)."
    ) % {"count": DETAILS_MAX_LENGTH}


class UpdateForm(GuardedForm, forms.ModelForm):
    """A practice's proposed facts, who proposes them, and anything else to tell us.

    Validates as the editors' form does (the model's validators and clean(),
    ProviderForm's payment rule) on a copy of the listing: it never saves.
    After is_valid(), `changes` and `original` hold what differs.
    """

    form_name = "update"

    your_name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    your_role = forms.CharField(
        label=gettext_lazy("Your role at the practice"),
        max_length=200,
        help_text=gettext_lazy("For example: office manager, medical director."),
    )
    work_email = forms.EmailField(
        label=gettext_lazy("Your work email"),
        max_length=254,  # Submission.email's column
        help_text=gettext_lazy(
            "If it is the practice’s address on file, or at the practice’s own website, "
            "we send it a link to confirm this update."
        ),
    )
    details = forms.CharField(
        label=gettext_lazy("Anything else"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        help_text=lazy(details_help, str)(),
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
            field.label = PUBLIC_LABELS.get(name, field.label)
            field.help_text = PUBLIC_HELP.get(name, field.help_text)
            if name in CHOICE_LABELS:
                assert isinstance(field, forms.ModelMultipleChoiceField)
                field.label_from_instance = CHOICE_LABELS[name]  # type: ignore[method-assign,assignment]
                if name in ALPHABETICAL_FIELDS:
                    field.iterator = LocalOrderIterator
                    field.widget.choices = field.choices
            if isinstance(field, forms.NullBooleanField):
                field.widget = UnknownYesNo()
            elif isinstance(field, forms.TypedChoiceField) and field.choices:
                field.choices = [("", gettext("Not confirmed")), *cast(list, field.choices)[1:]]
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
            self.add_error(None, forms.ValidationError(gettext(NOTHING_CHANGED), code="nothing"))

    def save(self, commit=True):
        raise NotImplementedError(
            "A proposal is filed as a Submission, never saved on the listing."
        )

    def groups(self):
        """(legend, bound fields) per fact group, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in PROPOSAL_GROUPS]
