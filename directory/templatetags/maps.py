"""The site's maps as inclusion tags: {% state_map %}, {% results_map %}, {% locations_map %}.

Each draws a server-side SVG (directory/maps.py) that is a picture of a list
on the same page: the SVG is hidden from assistive technology and its links
are out of the tab order, and the list, with the same links, is the way to use
the page by keyboard or screen reader. Without JavaScript nothing changes.
"""

from collections.abc import Sequence

from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse

from directory.factsheet import Site
from directory.maps import locations_map as build_locations_map
from directory.maps import results_map as build_results_map
from directory.maps import shade_ranges, state_areas
from directory.models import Provider, State
from directory.search import SearchResults

register = template.Library()


@register.inclusion_tag("includes/state_map.html")
def state_map() -> dict[str, object]:
    """The states as a map shaded by their number of providers, and as a list of links.

    One query. A state counts a provider with a clinic there or treating
    patients at home there, as its landing page (/clinics/<state>/) lists
    them; only states with providers are links, on the map and in the list.
    Territories with providers have no shape on the map but are in the list.
    """
    # django-stubs cannot see the annotation with_providers() adds.
    rows = State.objects.with_providers().order_by("name").values("code", "name", "providers")  # type: ignore[misc]
    states = [{**row, "url": reverse("state-landing", args=[row["code"].lower()])} for row in rows]
    by_code = {state["code"]: state for state in states}
    areas = [
        {"area": area, "url": by_code[area.code]["url"] if area.code in by_code else None}
        for area in state_areas({code: state["providers"] for code, state in by_code.items()})
    ]
    return {"areas": areas, "states": states, "legend": shade_ranges()}


@register.inclusion_tag("includes/clinic_map.html")
def results_map(results: SearchResults) -> dict[str, object]:
    """The clinics of this page of results around the searched point; nothing without one."""
    drawn = build_results_map(results)
    if drawn is None or results.place is None:
        return {"map": None}
    count = len(results.clinics)
    first = results.page.start_index()
    which = (
        f"the {count} clinic{pluralize(count)} on this page"
        if first == 1
        else f"clinics {first} to {first + count - 1}"
    )
    caption = (
        f"Map of {which} within {results.radius} miles of {results.place.label} (the orange "
        f"dot; the dashed circle is {results.radius} miles from it), numbered as in the list "
        "below, which has the same clinics."
    )
    return {"map": drawn, "caption": caption, "id": "results-map"}


@register.inclusion_tag("includes/clinic_map.html")
def locations_map(provider: Provider, sites: Sequence[Site]) -> dict[str, object]:
    """A provider's locations, numbered as the Locations list numbers them."""
    drawn = build_locations_map([site.location for site in sites])
    if drawn is None:
        return {"map": None}
    count = len(drawn.markers)
    caption = (
        f"Map of {provider.name}’s {'location' if count == 1 else f'{count} locations'}, "
        "numbered as in the list of locations below."
    )
    return {"map": drawn, "caption": caption, "id": "locations-map"}
