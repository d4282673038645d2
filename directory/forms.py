"""The editors' forms for providers and their sites: fields that read what editors type."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history_admin import VersionedForm
from directory.facts import (
    PAYMENT_OPTIONS,
    HoursError,
    OpeningRange,
    format_hours,
    parse_hours,
)
from directory.models import Location, Verification

HOURS_HELP = (
    "One line: days, then 24-hour times. "
    "E.g. “Mon-Fri 08:00-17:00; Sat 09:00-12:00, 13:00-15:00”. "
    "Days are Mon, Tue, Wed, Thu, Fri, Sat, Sun; a comma gives a day a second range. "
    "Leave empty if not confirmed."
)


class OpeningHoursField(forms.CharField):
    """A site's opening hours as one line of text, stored as a list of OpeningRange.

    The text is directory.facts' format: format_hours() writes it, parse_hours()
    reads it back, so what an editor sees is what they can type.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", HOURS_HELP)
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "vLargeTextField"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # The stored list on a fresh form; the editor's own text when re-shown with an error.
        if isinstance(value, list):
            return format_hours(value)
        return value

    def to_python(self, value) -> list[OpeningRange]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return parse_hours(text)
        except HoursError as error:
            raise ValidationError(str(error), code="invalid") from None

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


class LocationForm(forms.ModelForm):
    opening_hours = OpeningHoursField()

    class Meta:
        model = Location
        fields = [
            "address1",
            "address2",
            "city",
            "state",
            "zip",
            "latitude",
            "longitude",
            "phone",
            "opening_hours",
            "hours",
            "wheelchair_accessible",
            "private_room",
        ]
        widgets = {"hours": forms.Textarea(attrs={"rows": 2, "cols": 60})}


def check_payment(form: forms.BaseForm, cleaned_data: dict) -> None:
    """Add an error to payment_declined for each option also in payment_options."""
    accepted = cleaned_data.get("payment_options")
    declined = cleaned_data.get("payment_declined")
    if accepted is not None and declined is not None:
        declined_slugs = {option.pk for option in declined}
        both = [
            str(PAYMENT_OPTIONS.get(option.pk, option.name))  # in the page's language
            for option in accepted
            if option.pk in declined_slugs
        ]
        if both:
            form.add_error(
                "payment_declined",
                ValidationError(
                    _(
                        "%(options)s cannot be both accepted and not accepted; "
                        "keep each option in one list, or in neither if it is not confirmed."
                    ),
                    code="payment_both",
                    params={"options": ", ".join(both)},
                ),
            )


class ProviderForm(VersionedForm):
    """The provider change form: refuses a payment option both accepted and declined."""

    def clean(self):
        cleaned_data = super().clean()
        check_payment(self, cleaned_data)
        return cleaned_data


def not_in_future(day):
    if day is not None and day > timezone.localdate():
        raise ValidationError("A verification cannot be dated in the future.")
    return day


class VerificationForm(forms.ModelForm):
    """A new row of the provider's verifications inline (ProviderAdmin saves it)."""

    class Meta:
        model = Verification
        fields = ["verified_on", "method", "note"]

    def clean_verified_on(self):
        return not_in_future(self.cleaned_data["verified_on"])


class RecordVerificationForm(forms.Form):
    """How and when the providers chosen in the admin's changelist were verified."""

    # No default: the editor says how, rather than accepting the first choice unread.
    method = forms.ChoiceField(
        label="How", choices=[("", "Choose how you checked"), *Verification.Method.choices]
    )
    note = forms.CharField(
        label="What you checked",
        max_length=Verification._meta.get_field("note").max_length,
        required=False,
        help_text=Verification._meta.get_field("note").help_text,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )
    verified_on = forms.DateField(
        label="Verified on",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Not after today.",
    )

    def clean_verified_on(self):
        return not_in_future(self.cleaned_data["verified_on"])
