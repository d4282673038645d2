import re

import phonenumbers
from django import template
from django.template.defaultfilters import date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext

from core.html import json_ld, web_url
from directory.cards import ProviderCard
from directory.facts import PAYMENT_OPTIONS
from directory.factsheet import opening_hours_specification, price_range

register = template.Library()


# The shape normalize_phone() stores: "(512) 555-0100", maybe " ext. 12".
STORED_PHONE = re.compile(r"\((\d{3})\) (\d{3})-(\d{4})(?: ext\. (\d+))?")


@register.filter
def tel_uri(phone):
    """Turn a stored phone number into a tel: link target, e.g. tel:+1-512-555-0100."""
    # A result page has dozens of numbers; parsing each one again is slow.
    if match := STORED_PHONE.fullmatch(phone):
        area, exchange, line, extension = match.groups()
        return f"tel:+1-{area}-{exchange}-{line}" + (f";ext={extension}" if extension else "")
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
    figure = f"{distance:.1f}" if distance < 10 else f"{distance:.0f}"
    return gettext("%(distance)s mi") % {"distance": figure}


@register.simple_tag
def provider_card(
    card: ProviderCard,
    section: str,
    show_distance: bool = False,
    compare: bool = False,
    save: bool = False,
    number: int | None = None,
) -> SafeString:
    """A result card (an <article>) for a ProviderCard from directory.search or .cards.

    `section` keeps ids unique when a provider is listed twice on one page.
    `compare` adds a "Compare" checkbox belonging to the page's
    <form id="compare-form"> (by its form attribute: the cards need not sit
    inside the form), so picking works without JavaScript.
    `save` adds a "Save" toggle, hidden until static/js/saved.js shows it.
    `number` shows the card's number in the list before its name, the number
    of its marker on the page's map.
    Built with format_html rather than a template: a result page shows thirty
    cards, and rendering them through an include took a third of the request.
    """
    provider, site = card.provider, card.site
    url = provider.get_absolute_url()
    card_id = f"provider-{provider.pk}-{section}"
    where = SafeString()
    if card.distance is not None and show_distance:
        where = format_html('<strong class="result__distance">{}</strong> · ', miles(card.distance))
    if site:
        where += format_html("{}, {}, {} {}", site.address1, site.city, site.state_id, site.zip)
    elif card.states:
        count = len(card.states)
        where += format_html(
            "{}",
            ngettext(
                "Treats patients at home in %(count)s state",
                "Treats patients at home in %(count)s states",
                count,
            )
            % {"count": count},
        )
    badges = []
    if site:
        badges.append(("", gettext("Clinic")))
    if card.states:
        badges.append(("", gettext("At-home care")))
    if provider.accepting_new_patients is True:
        badges.append((" badge--yes", gettext("Accepting new patients")))
    elif provider.accepting_new_patients is False:
        badges.append(("", gettext("Not accepting new patients")))
    facts = format_html_join(
        "",
        "<dt>{}</dt><dd>{}</dd>",
        (
            (label, text)
            for label, text in [
                (gettext("Treats"), ", ".join(term.local_name for term in card.conditions)),
                (gettext("Offers"), ", ".join(term.local_name for term in card.treatments)),
                (gettext("Per session"), price_range(provider.price_min, provider.price_max)),
                (
                    gettext("Takes"),
                    ", ".join(str(PAYMENT_OPTIONS[slug]) for slug in card.payment_options),
                ),
            ]
            if text
        ),
    )
    contact = SafeString()
    if provider.phone:
        contact += format_html('<a href="{}">{}</a>\n', tel_uri(provider.phone), provider.phone)
    if website := web_url(provider.website):
        contact += format_html(
            '<a href="{}" rel="noopener nofollow">{}</a>\n',
            website,
            format_html(
                gettext('Website<span class="visually-hidden"> of {name}</span>'),
                name=provider.name,
            ),
        )
    if provider.last_verified:
        # Translators: a PHP-style date format (Django's "date" filter) for "Verified …".
        day = date(provider.last_verified, pgettext("result card date format", "M j, Y"))
        verified = gettext("Verified %(date)s") % {"date": day}
    else:
        verified = gettext("Not yet verified")
    pick = SafeString()
    if compare:
        pick += format_html(
            '<p class="result__compare check"><input type="checkbox" name="p" value="{slug}"'
            ' form="compare-form" id="{id}-compare"><label for="{id}-compare">{label}'
            "</label></p>\n",
            slug=provider.slug,
            id=card_id,
            label=format_html(
                gettext('Compare<span class="visually-hidden"> {name}</span>'), name=provider.name
            ),
        )
    if save:
        pick += format_html(
            '<p class="result__save"><button type="button" class="button button--secondary'
            ' save-toggle" data-save-slug="{slug}" data-save-name="{name}" data-save-url="{url}"'
            ' aria-pressed="false" hidden>{label}</button></p>\n',
            slug=provider.slug,
            name=provider.name,
            url=url,
            label=format_html(
                gettext('Save<span class="visually-hidden"> {name}</span>'), name=provider.name
            ),
        )
    if pick:  # side by side where there is room
        pick = format_html('<div class="result__actions">\n{}</div>\n', pick)
    return format_html(
        '<article class="result" aria-labelledby="{id}">\n'
        '<h3 class="result__name" id="{id}">{number}<a href="{url}">{name}</a></h3>\n'
        '<p class="result__where">{where}</p>\n'
        '<ul class="badges" aria-label="{about}">{badges}</ul>\n'
        '<dl class="result__facts">{facts}</dl>\n'
        '<p class="result__contact">\n{contact}<span class="result__verified">{verified}</span>'
        "</p>\n{pick}</article>",
        id=card_id,
        number=format_html('<span class="result__number">{}.</span> ', number)
        if number is not None
        else "",
        url=url,
        name=provider.name,
        where=where,
        about=gettext("About this provider"),
        badges=format_html_join("", '<li class="badge{}">{}</li>', badges),
        facts=facts,
        contact=contact,
        verified=verified,
        pick=pick,
    )


MENTAL_HEALTH = {"depression", "anxiety", "ptsd", "ocd", "bipolar-depression", "addiction"}


@register.simple_tag(takes_context=True)
def provider_json_ld(context, provider):
    """schema.org MedicalClinic data for a provider: one node per physical site.

    Only what is confirmed: an unknown fact is left out, never given as false.
    The provider's relations are prefetched (directory.factsheet.FACT_RELATIONS).
    """
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
    if web_url(provider.website):
        base["sameAs"] = provider.website
    if price := price_range(provider.price_min, provider.price_max):
        base["priceRange"] = price
    if accepted := [option.name for option in provider.payment_options.all()]:
        base["paymentAccepted"] = ", ".join(accepted)
    if languages := [
        {"@type": "Language", "name": language.name, "alternateName": language.slug}
        for language in provider.languages.all()
    ]:
        # availableLanguage belongs to a ContactPoint; knowsLanguage to the organisation.
        base["knowsLanguage"] = languages
        contact = {"@type": "ContactPoint", "contactType": "patient enquiries"}
        if provider.phone:
            contact["telephone"] = provider.phone
        base["contactPoint"] = {**contact, "availableLanguage": languages}
    if provider.npi:
        base["identifier"] = {"@type": "PropertyValue", "propertyID": "NPI", "value": provider.npi}
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
            if location.opening_hours:
                node["openingHoursSpecification"] = opening_hours_specification(
                    location.opening_hours
                )
            if amenities := [
                {"@type": "LocationFeatureSpecification", "name": name, "value": value}
                for name, value in [
                    ("Wheelchair accessible", location.wheelchair_accessible),
                    ("Private treatment room", location.private_room),
                ]
                if value is not None
            ]:
                node["amenityFeature"] = amenities
        nodes.append(node)
    return json_ld({"@context": "https://schema.org", "@graph": nodes})
