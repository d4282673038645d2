import phonenumbers
from django import template

from ketanet.templatetags.site import json_ld

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


MENTAL_HEALTH = {"depression", "anxiety", "ptsd", "ocd", "bipolar-depression", "addiction"}


@register.simple_tag(takes_context=True)
def provider_json_ld(context, provider):
    """schema.org MedicalClinic data for a provider: one node per physical site."""
    request = context["request"]
    url = request.build_absolute_uri(provider.get_absolute_url())
    conditions = [condition.slug for condition in provider.conditions.all()]
    base = {
        "@type": "MedicalClinic",
        "name": provider.name,
        "url": url,
        "isAcceptingNewPatients": provider.accepting_new_patients,
        "availableService": [
            {"@type": "MedicalTherapy", "name": treatment.name}
            for treatment in provider.treatments.all()
        ],
    }
    if provider.accepting_new_patients is None:
        del base["isAcceptingNewPatients"]
    if MENTAL_HEALTH.intersection(conditions):
        base["medicalSpecialty"] = "https://schema.org/Psychiatric"
    if provider.phone:
        base["telephone"] = provider.phone
    if provider.website:
        base["sameAs"] = provider.website
    states = [state.name for state in provider.serves_states.all()]
    if states:
        base["areaServed"] = [{"@type": "State", "name": name} for name in states]
    nodes = []
    for location in provider.locations.all() or [None]:
        node = dict(base)
        if location is not None:
            node["@id"] = f"{url}#location-{location.pk}"
            node["address"] = {
                "@type": "PostalAddress",
                "streetAddress": ", ".join(filter(None, [location.address1, location.address2])),
                "addressLocality": location.city,
                "addressRegion": location.state_id,
                "postalCode": location.zip,
                "addressCountry": "US",
            }
            if location.has_coordinates:
                node["geo"] = {
                    "@type": "GeoCoordinates",
                    "latitude": location.latitude,
                    "longitude": location.longitude,
                }
            if location.phone:
                node["telephone"] = location.phone
        nodes.append(node)
    return json_ld({"@context": "https://schema.org", "@graph": nodes})
