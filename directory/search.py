"""Run a validated ProviderFilter: one page of clinics and the at-home options.

A search costs the same handful of queries whatever the page size: the place,
the page of clinics (with their total), the at-home options (with theirs), the
nearest locations and the conditions/treatments/states of every provider shown
(one UNION). Each list is fetched with a COUNT(*) OVER () column instead of a
second COUNT query, which would repeat the distance computation.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Window

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
    page_obj = paginate(filterset.qs, page, page_size, strict=strict)
    at_home, at_home_total = rows_and_total(filterset.at_home_qs, 0, at_home_limit)
    clinics = page_obj.object_list
    radius = filterset.form.cleaned_data["radius"]
    attach_nearest_locations(clinics, filterset.location, radius)
    attach_terms(clinics + at_home)
    return SearchResults(filterset.location, radius, page_obj, at_home, at_home_total)


def rows_and_total(queryset, offset, limit):
    """Return (the rows in [offset, offset + limit), how many rows there are in all).

    The total rides along as a window column; only a page past the end needs a
    separate COUNT.
    """
    counted = queryset.annotate(search_total=Window(Count("*")))
    rows = list(counted[offset : None if limit is None else offset + limit])
    if rows:
        return rows, rows[0].search_total
    return rows, (queryset.count() if offset else 0)


# Further than any real page; keeps OFFSET within a 64-bit integer.
MAX_PAGE_NUMBER = 10**9


def paginate(queryset, number, page_size, *, strict):
    """Paginator.page() (strict) or get_page() for `queryset`, in one query for a real page.

    (Paginator itself counts before it fetches.)
    """
    paginator = Paginator(queryset, page_size)
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(number)
        number = int(number or 1)
    except (TypeError, ValueError) as error:
        if strict:
            raise PageNotAnInteger(paginator.error_messages["invalid_page"]) from error
        number = 1
    if number < 1:
        if strict:
            raise EmptyPage(paginator.error_messages["min_page"])
        number = 1
    rows = []
    if number <= MAX_PAGE_NUMBER:
        rows, paginator.count = rows_and_total(queryset, (number - 1) * page_size, page_size)
    if not rows and number > 1:
        if strict:
            raise EmptyPage(paginator.error_messages["no_results"])
        number = paginator.num_pages  # past the end: the last page
        rows, paginator.count = rows_and_total(queryset, (number - 1) * page_size, page_size)
    return Page(rows, number, paginator)


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
    terms = reference()
    conditions, treatments = terms.condition_by_id(), terms.treatment_by_id()
    found = {pk: ([], [], []) for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(terms_sql(len(ids)), ids * 3)
        for provider_id, condition_id, treatment_id, state_id in cursor:
            mine = found[provider_id]
            if condition_id is not None:
                mine[0].append(conditions.get(condition_id))
            elif treatment_id is not None:
                mine[1].append(treatments.get(treatment_id))
            else:
                mine[2].append(state_id)
    by_name = lambda term: term.name  # noqa: E731
    for provider in providers:
        mine_conditions, mine_treatments, mine_states = found[provider.pk]
        # A term added since the reference cache was filled is left out until it refreshes.
        provider.conditions_list = sorted(filter(None, mine_conditions), key=by_name)
        provider.treatments_list = sorted(filter(None, mine_treatments), key=by_name)
        provider.states_list = sorted(mine_states)


@lru_cache
def terms_sql(count):
    """One UNION over the three link tables for `count` providers.

    Written out rather than built with the ORM: the three querysets and their
    casts cost a search more Python than everything else it asks the database.
    """
    placeholders = ", ".join(["%s"] * count)
    branches = [
        (Provider.conditions.through, "condition_id", "NULL", "NULL"),
        (Provider.treatments.through, "NULL", "treatment_id", "NULL"),
        (Provider.serves_states.through, "NULL", "NULL", "state_id"),
    ]
    # Only table names from the models and placeholders go into the text.
    return " UNION ALL ".join(
        f"SELECT provider_id, {condition}, {treatment}, {state} FROM {model._meta.db_table}"  # noqa: S608
        f" WHERE provider_id IN ({placeholders})"
        for model, condition, treatment, state in branches
    )
