import datetime
import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from django import template
from django.template.defaultfilters import date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext, override, pgettext

from core.html import escaped, json_ld, web_url
from directory.cards import ProviderCard
from directory.facts import PAYMENT_OPTIONS
from directory.factsheet import Fact, opening_hours_specification, price_range
from directory.search import SearchResults

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


@register.simple_tag
def fact_items(facts: Iterable[Fact]) -> SafeString:
    """The terms and descriptions (<dt>, <dd>) of a profile's list of facts: an unknown
    fact marked as such, the listing's own English words as English (Fact.lang). One
    tag rather than a loop of them: a profile lists some thirty facts, and their
    lookups in the loop took longer than the HTML (about 0.4 ms of a first draw)."""
    items = []
    for fact in facts:
        unknown = "" if fact.known else ' class="unknown"'
        lang = f' lang="{language}"' if (language := fact.lang) else ""
        items.append(f"<dt>{escaped(fact.label)}</dt><dd{unknown}{lang}>{escaped(fact.shown)}</dd>")
    # Escaped text, and attributes of our own.
    return mark_safe("\n".join(items))  # noqa: S308


def distance_figure(distance: float) -> str:
    """A distance in miles as people read it: 0.4, 12."""
    return f"{distance:.1f}" if distance < 10 else f"{distance:.0f}"


@register.filter
def miles(distance):
    """Format a distance for people: "0.4 mi", "12 mi"."""
    if distance is None:
        return ""
    return gettext("%(distance)s mi") % {"distance": distance_figure(distance)}


class CardText:
    """A result card's fixed words in the active language, escaped for HTML.

    Built once per language (card_text()): each gettext() goes through a thread-local
    (asgiref's Local), and a page of thirty cards asked for the same words 500 times.
    """

    def __init__(self) -> None:
        self.clinic = escaped(gettext("Clinic"))
        self.at_home = escaped(gettext("At-home care"))
        self.accepting = escaped(gettext("Accepting new patients"))
        self.not_accepting = escaped(gettext("Not accepting new patients"))
        self.treats = escaped(gettext("Treats"))
        self.offers = escaped(gettext("Offers"))
        self.per_session = escaped(gettext("Per session"))
        self.takes = escaped(gettext("Takes"))
        self.about = escaped(gettext("About this provider"))
        self.not_verified = escaped(gettext("Not yet verified"))
        # Translated HTML around the provider's {name} (which is escaped when filled in).
        self.website = gettext('Website<span class="visually-hidden"> of {name}</span>')
        self.compare = gettext('Compare<span class="visually-hidden"> {name}</span>')
        self.save = gettext('Save<span class="visually-hidden"> {name}</span>')
        self.payments = {slug: str(label) for slug, label in PAYMENT_OPTIONS.items()}
        self._miles = gettext("%(distance)s mi")
        self._verified = gettext("Verified %(date)s")
        # Translators: a PHP-style date format (Django's "date" filter) for "Verified …".
        self._date_format = pgettext("result card date format", "M j, Y")
        # Filled as cards ask; bounded by the data (a few thousand days, fifty-odd counts).
        self._verified_on: dict[datetime.date, str] = {}
        self._at_home_in: dict[int, str] = {}

    def distance(self, distance: float) -> str:
        """As the miles filter says it."""
        return escaped(self._miles % {"distance": distance_figure(distance)})

    def verified_on(self, day: datetime.date) -> str:
        if (text := self._verified_on.get(day)) is None:
            text = escaped(self._verified % {"date": date(day, self._date_format)})
            self._verified_on[day] = text
        return text

    def at_home_in(self, count: int) -> str:
        if (text := self._at_home_in.get(count)) is None:
            text = escaped(
                ngettext(
                    "Treats patients at home in %(count)s state",
                    "Treats patients at home in %(count)s states",
                    count,
                )
                % {"count": count}
            )
            self._at_home_in[count] = text
        return text


@lru_cache
def card_text(language: str | None) -> CardText:
    # The month names of verified_on() are read in the active language: the same key.
    with override(language):
        return CardText()


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
    Built as one string, each value escaped once, rather than with a template (an
    include per card took a third of the request) or format_html calls (a dozen a
    card cost a page 10 ms); and drawn once (drawn_card()) for as long as its
    provider and site stay as they are, but for its number and distance.
    """
    language = get_language()
    text = card_text(language)
    # A card kept from a search is in its language only, but one made here may be drawn in two.
    key = (card.site.pk if card.site else None, language)
    if (drawn := card.drawn.get(key)) is None:
        drawn = card.drawn[key] = drawn_card(card, language)
    url, name, slug, body = drawn
    card_id = f"provider-{card.provider.pk}-{escaped(section)}"
    shown_number = (
        f'<span class="result__number">{escaped(number)}.</span> ' if number is not None else ""
    )
    distance = ""
    if card.distance is not None and show_distance:
        distance = f'<strong class="result__distance">{text.distance(card.distance)}</strong> · '
    pick = ""
    if compare:
        pick += (
            '<p class="result__compare check"><input type="checkbox" name="p"'
            f' value="{slug}" form="compare-form" id="{card_id}-compare">'
            f'<label for="{card_id}-compare">{text.compare.format(name=name)}</label></p>\n'
        )
    if save:
        pick += (
            '<p class="result__save"><button type="button" class="button button--secondary'
            f' save-toggle" data-save-slug="{slug}" data-save-name="{name}"'
            f' data-save-url="{url}" aria-pressed="false" hidden>'
            f"{text.save.format(name=name)}</button></p>\n"
        )
    if pick:  # side by side where there is room
        pick = f'<div class="result__actions">\n{pick}</div>\n'
    return mark_safe(  # noqa: S308 - every value above is escaped, the words are ours
        f'<article class="result" aria-labelledby="{card_id}">\n'
        f'<h3 class="result__name" id="{card_id}">{shown_number}<a href="{url}">{name}</a></h3>\n'
        f'<p class="result__where">{distance}{body}{pick}</article>'
    )


@register.simple_tag
def clinic_items(results: SearchResults) -> SafeString:
    """The search page's clinic cards, each an item of its list, numbered from the page's
    first as the map's markers are when the search has a point: one tag rather than
    a loop of them, whose arguments took the page longer to look up than the cards
    took to draw."""
    numbered = results.place is not None and results.place.point is not None
    first = results.page.start_index()
    items = (
        provider_card(
            card,
            "clinic",
            show_distance=True,
            compare=True,
            save=True,
            number=first + index if numbered else None,
        )
        for index, card in enumerate(results.clinics)
    )
    return mark_safe("".join(f"<li>{item}</li>" for item in items))  # noqa: S308 - cards' HTML


def drawn_card(card: ProviderCard, language: str | None) -> tuple[str, str, str, str]:
    """What provider_card() draws of the card's provider and site in `language`, the same
    in every search until either changes, and kept as long (ProviderCard.drawn): the
    provider's address, name and slug, escaped, and the card's HTML from the site's
    address to the date verified."""
    text = card_text(language)
    provider, site = card.provider, card.site
    name = escaped(provider.name)
    where = ""
    if site:
        where = (
            f"{escaped(site.address1)}, {escaped(site.city)},"
            f" {escaped(site.state_id)} {escaped(site.zip)}"
        )
    elif card.states:
        where = text.at_home_in(len(card.states))
    badges = ""
    if site:
        badges += f'<li class="badge">{text.clinic}</li>'
    if card.states:
        badges += f'<li class="badge">{text.at_home}</li>'
    if provider.accepting_new_patients is True:
        badges += f'<li class="badge badge--yes">{text.accepting}</li>'
    elif provider.accepting_new_patients is False:
        badges += f'<li class="badge">{text.not_accepting}</li>'
    facts = "".join(
        f"<dt>{label}</dt><dd>{escaped(value)}</dd>"
        for label, value in [
            (text.treats, ", ".join(term.name_in(language) for term in card.conditions)),
            (text.offers, ", ".join(term.name_in(language) for term in card.treatments)),
            (text.per_session, price_range(provider.price_min, provider.price_max)),
            (text.takes, ", ".join(text.payments[slug] for slug in card.payment_options)),
        ]
        if value
    )
    contact = ""
    if provider.phone:
        phone = provider.phone
        contact += f'<a href="{escaped(tel_uri(phone))}">{escaped(phone)}</a>\n'
    if website := web_url(provider.website):
        contact += (
            f'<a href="{escaped(website)}" rel="noopener nofollow">'
            f"{text.website.format(name=name)}</a>\n"
        )
    if provider.last_verified:
        verified = text.verified_on(provider.last_verified)
    else:
        verified = text.not_verified
    body = (
        f"{where}</p>\n"
        f'<ul class="badges" aria-label="{text.about}">{badges}</ul>\n'
        f'<dl class="result__facts">{facts}</dl>\n'
        f'<p class="result__contact">\n{contact}<span class="result__verified">{verified}</span>'
        "</p>\n"
    )
    return escaped(provider.get_absolute_url()), name, escaped(provider.slug), body


MENTAL_HEALTH = {"depression", "anxiety", "ptsd", "ocd", "bipolar-depression", "addiction"}


@register.simple_tag(takes_context=True)
def provider_json_ld(context, provider):
    """schema.org MedicalClinic data for a provider: one node per physical site.

    Only what is confirmed: an unknown fact is left out, never given as false.
    The provider's relations are prefetched (directory.factsheet.load_facts).
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
