"""The site's maps as inclusion tags: {% state_map %}, {% results_map %}, {% locations_map %}.
Each draws a server-side SVG (directory/maps.py) that is a picture of a list
on the same page: the SVG is hidden from assistive technology and its links
are out of the tab order, and the list, with the same links, is the way to use
the page by keyboard or screen reader. Without JavaScript nothing changes.
"""

from collections.abc import Iterable, Sequence

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from directory.factsheet import Site
from directory.maps import ClinicMap, shade_ranges, state_areas
from directory.maps import locations_map as build_locations_map
from directory.maps import results_map as build_results_map
from directory.models import Provider, State
from directory.search import SearchResults

register = template.Library()


@register.inclusion_tag("includes/state_map.html")
def state_map(states: Iterable[State]) -> dict[str, object]:
    """The states as a map shaded by their number of providers: a picture of the list beside it.

    `states` are State rows annotated with provider_count
    (State.objects.with_provider_counts(), which the home page lists too), so
    the map costs no query of its own. Only states with providers are links,
    as their landing pages 404 at zero; territories have no shape here.
    """
    # provider_count is with_provider_counts()'s annotation, unseen by django-stubs.
    counts = {
        state.code: state.provider_count  # type: ignore[attr-defined]
        for state in states
        if state.provider_count  # type: ignore[attr-defined]
    }
    areas = [
        {
            "area": area,
            "url": reverse("state-landing", args=[area.code.lower()]) if area.providers else None,
        }
        for area in state_areas(counts)
    ]
    return {"areas": areas, "legend": shade_ranges()}


@register.inclusion_tag("includes/clinic_map.html")
def results_map(results: SearchResults) -> dict[str, object]:
    """The clinics of this page of results around the searched point; nothing without one."""
    drawn = build_results_map(results)
    if drawn is None or results.place is None:
        return {"map": None}
    count = len(results.clinics)
    first = results.page.start_index()
    values = {
        "count": count,
        "first": first,
        "last": first + count - 1,
        "radius": results.radius,
        "place": results.place.label,
    }
    if first == 1:
        caption = (
            ngettext(
                "Map of the %(count)s clinic on this page within %(radius)s miles of %(place)s "
                "(the orange dot; the dashed circle is %(radius)s miles from it), numbered as in "
                "the list below, which has the same clinics.",
                "Map of the %(count)s clinics on this page within %(radius)s miles of %(place)s "
                "(the orange dot; the dashed circle is %(radius)s miles from it), numbered as in "
                "the list below, which has the same clinics.",
                count,
            )
            % values
        )
    else:
        caption = (
            gettext(
                "Map of clinics %(first)s to %(last)s within %(radius)s miles of %(place)s "
                "(the orange dot; the dashed circle is %(radius)s miles from it), numbered as in "
                "the list below, which has the same clinics."
            )
            % values
        )
    return {"map": drawn, "caption": caption, "id": "results-map", **marker_svg(drawn)}


@register.inclusion_tag("includes/clinic_map.html")
def locations_map(provider: Provider, sites: Sequence[Site]) -> dict[str, object]:
    """A provider's locations, numbered as the Locations list numbers them."""
    drawn = build_locations_map([site.location for site in sites])
    if drawn is None:
        return {"map": None}
    count = len(drawn.markers)
    caption = ngettext(
        "Map of %(name)s’s location, numbered as in the list of locations below.",
        "Map of %(name)s’s %(count)s locations, numbered as in the list of locations below.",
        count,
    ) % {"name": provider.name, "count": count}
    return {"map": drawn, "caption": caption, "id": "locations-map", **marker_svg(drawn)}


def marker_svg(drawn: ClinicMap) -> dict[str, SafeString]:
    """The markers' SVG, and the leader lines from moved markers to their spots.

    Built here rather than by two loops in the template: there 30 markers were
    ~300 variable lookups, each number localised, at four times the cost.
    The coordinates are SVG numbers, never localised ("213.6").
    """
    leaders = format_html_join(
        "",
        '<line class="clinic-map__leader" x1="{0}" y1="{1}" x2="{2}" y2="{3}"/>'
        '<circle class="clinic-map__spot" cx="{0}" cy="{1}" r="2.5"/>',
        ((m.spot_x, m.spot_y, m.x, m.y) for m in drawn.markers if m.moved),
    )
    markers = format_html_join(
        "",
        '<a class="clinic-map__marker" href="{url}" tabindex="-1" data-number="{number}">'
        "<title>{label}</title>"
        '<circle cx="{x}" cy="{y}" r="{radius}"/>'
        '<text x="{x}" y="{y}" dy="0.35em" text-anchor="middle">{number}</text></a>\n    ',
        (
            {
                "url": m.url,
                "number": m.number,
                "label": m.label,
                "x": m.x,
                "y": m.y,
                "radius": drawn.marker_radius,
            }
            for m in drawn.markers
        ),
    )
    return {"leaders": leaders, "markers": markers}
