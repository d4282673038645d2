"""Model fields that validate and normalise what editors and imports type."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext as _
from stdnum import luhn

# Older migrations import WebsiteField from here; it lives in the shared app.
from core.fields import WebsiteField  # noqa: F401

zip_validator = RegexValidator(
    r"^[0-9]{5}(-[0-9]{4})?\Z", "Enter a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789)."
)


def normalize_phone(value):
    """Return a U.S. phone number in one display format, "(512) 555-0100 ext. 12"."""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a U.S. phone number with area code, e.g. (512) 555-0100."), code="invalid"
        )
    if number.country_code != 1:
        raise ValidationError(_("Enter a U.S. phone number (+1)."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


class PhoneField(models.CharField):
    """A U.S. phone number, stored in its display format."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def clean(self, value, model_instance):
        # Model.full_clean() stores what clean() returns, so every way in
        # (admin, import, shell) saves the same format.
        value = super().clean(value, model_instance)
        return normalize_phone(value) if value else value


def validate_npi(value):
    """A National Provider Identifier: 10 digits whose last is a Luhn check digit.

    CMS defines the check digit over the number prefixed with 80840 (the health
    industry's card-issuer prefix).
    """
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise ValidationError(_("An NPI is exactly 10 digits."), code="invalid")
    if not luhn.is_valid("80840" + value):
        raise ValidationError(
            _("This NPI's check digit is wrong; check it against the NPI registry."), code="invalid"
        )
