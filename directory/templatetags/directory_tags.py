import phonenumbers
from django import template

register = template.Library()


@register.filter
def tel_uri(phone):
    """Turn a stored phone number into a tel: link target, e.g. tel:+1-512-555-0100."""
    try:
        number = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)


@register.filter
def miles(distance):
    """Format a distance for people: "0.4 mi", "12 mi"."""
    if distance is None:
        return ""
    if distance < 10:
        return f"{distance:.1f} mi"
    return f"{distance:.0f} mi"
