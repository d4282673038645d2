"""The site's maps as inclusion tags: {% state_map %}, {% results_map %}, {% locations_map %}.
Each draws a server-side SVG (directory/maps.py) that is a picture of a list
on the same page: the SVG is hidden from assistive technology and its links
are out of the tab order, and the list, with the same links, is the way to use
the page by keyboard or screen reader. Without JavaScript nothing changes.
"""

from collections.abc import Iterable, Sequence

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from core.html import escaped
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
    ~300 variable lookups, each number localised, at four times the cost; and as
    f-strings with each value escaped once rather than with format_html_join
    (a third of the map's cost). The coordinates are SVG numbers, never
    localised ("213.6").
    """
    leaders = "".join(
        f'<line class="clinic-map__leader" x1="{m.spot_x}" y1="{m.spot_y}" x2="{m.x}" y2="{m.y}"/>'
        f'<circle class="clinic-map__spot" cx="{m.spot_x}" cy="{m.spot_y}" r="2.5"/>'
        for m in drawn.markers
        if m.moved
    )
    radius = drawn.marker_radius
    markers = "".join(
        f'<a class="clinic-map__marker" href="{escaped(m.url)}" tabindex="-1"'
        f' data-number="{m.number}"><title>{escaped(m.label)}</title>'
        f'<circle cx="{m.x}" cy="{m.y}" r="{radius}"/>'
        f'<text x="{m.x}" y="{m.y}" dy="0.35em" text-anchor="middle">{m.number}</text></a>\n    '
        for m in drawn.markers
    )
    # Only numbers (floats and ints, formatted by Python) and escaped text above.
    return {"leaders": mark_safe(leaders), "markers": mark_safe(markers)}  # noqa: S308
