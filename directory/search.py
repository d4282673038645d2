"""Run a validated ProviderFilter: one page of clinics and the at-home options.

A search costs the same handful of queries whatever the page size: the place,
the count, the page, the at-home list, the nearest locations and the
conditions/treatments/states of every provider shown (one UNION).
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import CharField, Value
from django.db.models.functions import Cast

from directory.models import Location, Provider, bounding_box_q, distance_miles
from directory.reference import reference


@dataclass
class SearchResults:
    location: object  # gazetteer.Located or None
    radius: int
    page: object  # django.core.paginator.Page of Providers
    at_home: list
    at_home_total: int

    @property
    def count(self):
        return self.page.paginator.count

    @property
    def clinics(self):
        return self.page.object_list


def search(filterset, *, page=1, page_size=20, strict=False, at_home_limit=None):
    """Return SearchResults for a valid `filterset`.

    With strict=False (the HTML page) a bad or too-high page number gives the
    nearest real page; with strict=True (the API) it raises
    django.core.paginator.InvalidPage. `at_home_limit` keeps only the first
    at-home options (at_home_total still counts them all).
    """
    paginator = Paginator(filterset.qs, page_size)
    page_obj = paginator.page(page) if strict else paginator.get_page(page)
    clinics = list(page_obj.object_list)
    page_obj.object_list = clinics
    at_home = list(filterset.at_home_qs)
    at_home_total = len(at_home)
    at_home = at_home[:at_home_limit]
    radius = filterset.form.cleaned_data["radius"]
    attach_nearest_locations(clinics, filterset.location, radius)
    attach_terms(clinics + at_home)
    return SearchResults(filterset.location, radius, page_obj, at_home, at_home_total)


def attach_nearest_locations(providers, location, radius):
    """Set `provider.nearest_location` (and its `distance` when there is a point)."""
    if not providers:
        return
    locations = Location.objects.filter(provider__in=[p.pk for p in providers])
    if location is not None and location.point is not None:
        locations = locations.filter(bounding_box_q(location.point, radius)).annotate(
            distance=distance_miles(location.point)
        )
        order = ("distance", "pk")
    elif location is not None:
        locations = locations.filter(state=location.state)
        order = ("city", "pk")
    else:
        order = ("pk",)
    nearest = {}
    for site in locations.order_by(*order):
        nearest.setdefault(site.provider_id, site)
    for provider in providers:
        provider.nearest_location = nearest.get(provider.pk)


def attach_terms(providers):
    """Set `conditions_list`, `treatments_list` (Terms by name) and `states_list` (codes)."""
    if not providers:
        return
    ids = [provider.pk for provider in providers]
    links = [
        Provider.conditions.through.objects.filter(provider_id__in=ids).values_list(
            "provider_id", Value("c"), Cast("condition_id", CharField())
        ),
        Provider.treatments.through.objects.filter(provider_id__in=ids).values_list(
            "provider_id", Value("t"), Cast("treatment_id", CharField())
        ),
        Provider.serves_states.through.objects.filter(provider_id__in=ids).values_list(
            "provider_id", Value("s"), "state_id"
        ),
    ]
    terms = reference()
    conditions, treatments = terms.condition_by_id(), terms.treatment_by_id()
    found = {pk: {"c": [], "t": [], "s": []} for pk in ids}
    for provider_id, kind, value in links[0].union(*links[1:], all=True):
        found[provider_id][kind].append(value)
    for provider in providers:
        mine = found[provider.pk]
        provider.conditions_list = sorted(
            (conditions[int(pk)] for pk in mine["c"] if int(pk) in conditions),
            key=lambda term: term.name,
        )
        provider.treatments_list = sorted(
            (treatments[int(pk)] for pk in mine["t"] if int(pk) in treatments),
            key=lambda term: term.name,
        )
        provider.states_list = sorted(mine["s"])
