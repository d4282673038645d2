"""Reports of a wrong listing and suggestions of a missing provider: the public's forms.

Both go to the moderation queue (directory/submissions.py) and change nothing
a patient sees until an editor acts. Neither asks anything about health.
"""

from django import forms
from django.core.validators import URLValidator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views.generic import TemplateView

from core.public_forms import GuardedForm, PublicFormView
from directory.fields import normalize_phone
from directory.models import Provider
from directory.moderation import submission_file
from directory.states import STATES
from directory.submissions import DETAILS_MAX_LENGTH, LISTING_PROBLEMS, Submission

EMAIL_HELP = gettext_lazy(
    "Optional, only if you would like a reply. Erased as soon as we have dealt with it."
)
# English here (tests compare with it); translated where it is shown.
DETAILS_REQUIRED = gettext_noop("Tell us what is wrong, in a few words.")


def details_field(*, label, help_text, required_message="") -> forms.CharField:
    """The free-text box of a public form; required only when given the message to show.

    `label`, `help_text` and `required_message` are lazy translations (import time).
    """
    return forms.CharField(
        label=label,
        required=bool(required_message),
        max_length=DETAILS_MAX_LENGTH,
        help_text=format_lazy("{} {}", help_text, gettext_lazy("Up to 2,000 characters.")),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": required_message} if required_message else None,
    )


def email_field() -> forms.EmailField:
    return forms.EmailField(
        label=gettext_lazy("Your email address"),
        required=False,
        max_length=254,
        help_text=EMAIL_HELP,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReportForm(GuardedForm):
    form_name = "report"

    problem = forms.ChoiceField(
        label=gettext_lazy("What is wrong?"),
        choices=LISTING_PROBLEMS,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what is wrong with this listing.")},
    )
    details = details_field(
        label=gettext_lazy("Details"),
        help_text=gettext_lazy(
            "What you found, and the right details if you know them "
            "(for example the working phone number). Please leave out anything about your health."
        ),
    )
    email = email_field()

    def clean(self):
        cleaned_data = super().clean()
        if (
            cleaned_data.get("problem") == Submission.Problem.OTHER
            and not cleaned_data.get("details", "").strip()
        ):
            self.add_error("details", gettext(DETAILS_REQUIRED))
        return cleaned_data


class SuggestionForm(GuardedForm):
    form_name = "suggest"

    name = forms.CharField(
        label=gettext_lazy("Name of the clinic or service"),
        max_length=200,
        error_messages={"required": gettext_lazy("Give the name of the clinic or service.")},
    )
    website = forms.URLField(
        label=gettext_lazy("Website"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    city = forms.CharField(label=gettext_lazy("City"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[
            ("", gettext_lazy("Choose a state")),
            *sorted(STATES.items(), key=lambda item: item[1]),
        ],
        error_messages={
            "required": gettext_lazy("Choose the state it is in (or treats patients in).")
        },
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    details = details_field(
        label=gettext_lazy("Anything else we should know"),
        help_text=gettext_lazy("For example the treatments it offers, or how you know of it."),
    )
    email = email_field()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        return normalize_phone(phone) if phone else ""

    def clean_city(self) -> str:
        return self.cleaned_data["city"].strip()


class ReportView(PublicFormView):
    form_class = ReportForm
    template_name = "directory/report.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.provider = get_object_or_404(Provider.objects.published(), slug=kwargs["slug"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(provider=self.provider, **kwargs)

    def file(self, form):
        return submission_file(
            Submission(
                kind=Submission.Kind.REPORT,
                provider=self.provider,
                problem=form.cleaned_data["problem"],
                details=form.cleaned_data["details"].strip(),
                email=form.cleaned_data["email"],
            )
        )

    def get_success_url(self):
        return reverse("provider-report-sent", args=[self.provider.slug])


class SuggestionView(PublicFormView):
    form_class = SuggestionForm
    template_name = "directory/suggest.html"

    def file(self, form):
        data = form.cleaned_data
        return submission_file(
            Submission(
                kind=Submission.Kind.SUGGESTION,
                provider_name=data["name"].strip(),
                website=data["website"],
                city=data["city"],
                state=data["state"],
                phone=data["phone"],
                details=data["details"].strip(),
                email=data["email"],
            )
        )

    def get_success_url(self):
        return reverse("suggest-sent")


class ReportSentView(TemplateView):
    template_name = "directory/report_sent.html"

    def get_context_data(self, **kwargs):
        provider = get_object_or_404(Provider.objects.published(), slug=kwargs["slug"])
        return super().get_context_data(provider=provider, **kwargs)
