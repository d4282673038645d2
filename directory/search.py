"""The one search: cleaned inputs → a page of clinics and the at-home options.

The search page, the API and the state and city landing pages all call
search(). A search costs the same handful of queries whatever the page size:
the page of clinics (with their total), the at-home options (with theirs), the
sites shown on the cards, and the conditions/treatments/states of every
provider shown (one UNION); the searched place is looked up once per process.
Each list is fetched with a COUNT(*) OVER () column instead of a second COUNT
query, which would repeat the distance computation.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Model, QuerySet, Window
from django.utils.translation import gettext_lazy

from directory.cards import ProviderCard, ShownSite, linked_terms, provider_cards
from directory.gazetteer import SearchedPlace
from directory.models import (
    GreatCircleMiles,
    Location,
    Provider,
    ProviderQuerySet,
    bounding_box_q,
)
from directory.reference import reference

RADIUS_CHOICES = [10, 25, 50, 100, 250]
DEFAULT_RADIUS = 50
PAGE_SIZE = 20
# Further than any real page; keeps OFFSET within a 64-bit integer.
MAX_PAGE_NUMBER = 10**9
# How far the advice on an empty result page looks for the nearest clinic, in
# steps, so the bounding box (and the index) does the work for all but the emptiest.
NEAREST_CLINIC_RADII = (500, 1500, 13000)
# What a card and an API row show of a site.
CARD_SITE_FIELDS = ("id", "provider", "address1", "city", "state", "zip", "latitude", "longitude")
# The orders a patient may ask for (the `sort` parameter); without one, a search
# with a point is nearest first, and the others by city or name.
SORTS = {
    "distance": gettext_lazy("Distance"),
    "price": gettext_lazy("Lowest price"),
    "verified": gettext_lazy("Recently verified"),
    "name": gettext_lazy("Name"),
}


@dataclass(frozen=True)
class SearchQuery:
    """What a search asks for, already validated.

    With a place that is a point (ZIP, city, a patient's position), clinics
    within `radius` miles, nearest first; with a whole state, its clinics by
    city; with `city_slug` too, only the clinics in that city of the state, by
    name; with no place, every clinic by name. At-home options are those for
    the place's state; a name search with no place lists those whose name
    matches, wherever they treat, and no other search without a place has any.
    """

    place: SearchedPlace | None = None
    condition: str | None = None  # a condition's slug
    treatments: tuple[str, ...] = ()  # treatment slugs; any of them
    accepting: bool = False
    radius: int = DEFAULT_RADIUS
    city_slug: str | None = None
    payments: tuple[str, ...] = ()  # payment option slugs; any of them
    max_price: int | None = None  # dollars, for the lowest price per session
    language: str | None = None  # an ISO 639-1 code
    kap: bool = False
    sort: str | None = None  # a key of SORTS; None for the place's own order
    name_words: tuple[str, ...] = ()  # folded words of the name (directory/names.py); all of them


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    page: Page  # of the clinics below, with the count and the page numbers
    clinics: list[ProviderCard]
    at_home: list[ProviderCard]
    at_home_total: int

    @property
    def place(self) -> SearchedPlace | None:
        return self.query.place

    @property
    def radius(self) -> int:
        return self.query.radius

    @property
    def count(self) -> int:
        return self.page.paginator.count


def search(
    query: SearchQuery,
    *,
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
    strict: bool = False,
    at_home_limit: int | None = None,
) -> SearchResults:
    """Run `query`: one page of clinics, and the at-home options for the place's state
    (or, for a name search without a place, every at-home option of that name).

    With strict=False (the HTML pages) a bad or too-high page number gives the
    nearest real page; with strict=True (the API) it raises
    django.core.paginator.InvalidPage. `at_home_limit` keeps only the first
    at-home options (at_home_total still counts them all).
    """
    providers = matching(query)
    clinics, number, paginator = paginate(clinics_for(query, providers), page, page_size, strict)
    at_home: list[Provider] = []
    at_home_total = 0
    if query.place is not None or query.name_words:
        at_home, at_home_total = rows_and_total(
            sorted_as_asked(at_home_for(query, providers), query.sort), 0, at_home_limit
        )
    # One query for the terms of both lists; an at-home card shows no site, even
    # for a provider that is also one of the clinics.
    linked = linked_terms([provider.pk for provider in (*clinics, *at_home)])
    clinic_cards = provider_cards(clinics, shown_sites(clinics, query), linked)
    return SearchResults(
        query,
        Page(clinic_cards, number, paginator),
        clinic_cards,
        provider_cards(at_home, linked=linked),
        at_home_total,
    )


def nearest_clinic(query: SearchQuery) -> ProviderCard | None:
    """The nearest clinic matching `query` however far away, or None; for empty results."""
    if query.place is None or query.place.point is None:
        return None
    providers = matching(query)
    for radius in NEAREST_CLINIC_RADII:
        provider = providers.near(query.place.point, radius).first()
        if provider is not None:
            wider = SearchQuery(place=query.place, radius=radius)
            return provider_cards([provider], shown_sites([provider], wider))[0]
    return None


def matching(query: SearchQuery) -> ProviderQuerySet:
    """Published providers with the name, condition, treatments, intake and facts asked for."""
    providers = Provider.objects.published().for_cards()
    if query.name_words:
        providers = providers.named(query.name_words)
    terms = reference()
    if query.condition:
        condition = terms.condition(query.condition)
        if condition is None:
            return providers.none()
        providers = providers.treating(condition.id)
    if query.treatments:
        ids = [term.id for slug in query.treatments if (term := terms.treatment(slug))]
        providers = providers.offering_any(ids)
    if query.accepting:
        providers = providers.accepting()
    if query.payments:
        providers = providers.paying_with_any(query.payments)
    if query.max_price is not None:
        providers = providers.priced_at_most(query.max_price)
    if query.language:
        providers = providers.speaking(query.language)
    if query.kap:
        providers = providers.offering_kap()
    return providers


def clinics_for(query: SearchQuery, providers: ProviderQuerySet) -> ProviderQuerySet:
    """The clinics among `providers`, in the order asked for or else the place's own."""
    place = query.place
    if place is None:
        clinics = providers.clinics()
    elif place.point is not None:
        clinics = providers.near(place.point, query.radius)
    elif query.city_slug is not None:
        clinics = providers.clinics_in_city(place.state, query.city_slug)
    else:
        clinics = providers.clinics_in_state(place.state)
    return sorted_as_asked(clinics, query.sort)


def at_home_for(query: SearchQuery, providers: ProviderQuerySet) -> ProviderQuerySet:
    """The at-home options among `providers` for the place's state, or anywhere, by name."""
    if query.place is None:
        return providers.at_home_anywhere()
    return providers.at_home_in(query.place.state)


def sorted_as_asked(providers: ProviderQuerySet, sort: str | None) -> ProviderQuerySet:
    """`providers` in the order `sort` names; their own order breaks ties.

    "distance" is the order of a search around a point already (the form allows
    it only with one); at-home options have no distance and stay by name.
    """
    if sort == "price":
        return providers.cheapest_first()
    if sort == "verified":
        return providers.recently_verified_first()
    if sort == "name":
        return providers.order_by("name", "pk")
    return providers


def shown_sites(providers: Sequence[Provider], query: SearchQuery) -> dict[int, ShownSite]:
    """The site each clinic's card shows: nearest the point, or first in the state or city."""
    if not providers:
        return {}
    # Only what a card and an API row show: not the opening hours and notes.
    sites = Location.objects.filter(provider__in=[provider.pk for provider in providers]).only(
        *CARD_SITE_FIELDS
    )
    place = query.place
    found: Iterable[ShownSite]
    if place is not None and place.point is not None:
        near = (
            sites.filter(bounding_box_q(place.point, query.radius))
            .annotate(distance=GreatCircleMiles(place.point))
            .order_by("distance", "pk")
        )
        found = (ShownSite(site, site.distance) for site in near)
    elif place is not None and query.city_slug is not None:
        found = map(ShownSite, sites.filter(state=place.state, city_slug=query.city_slug))
    elif place is not None:
        found = map(ShownSite, sites.filter(state=place.state).order_by("city", "pk"))
    else:
        found = map(ShownSite, sites.order_by("pk"))
    shown: dict[int, ShownSite] = {}
    for site in found:
        shown.setdefault(site.location.provider_id, site)
    return shown


Row = TypeVar("Row", bound=Model)


def rows_and_total(
    queryset: QuerySet[Row], offset: int, limit: int | None
) -> tuple[list[Row], int]:
    """Return (the rows in [offset, offset + limit), how many rows there are in all).

    The total rides along as a window column; only a page past the end needs a
    separate COUNT.
    """
    counted = queryset.annotate(search_total=Window(Count("*")))
    rows = list(counted[offset : None if limit is None else offset + limit])
    if rows:
        return rows, rows[0].search_total  # type: ignore[attr-defined]
    return rows, (queryset.count() if offset else 0)


def paginate(
    queryset: QuerySet[Provider], number: int | str | None, page_size: int, strict: bool
) -> tuple[list[Provider], int, Paginator]:
    """Return (the rows of page `number`, its number, a Paginator that knows the count).

    Paginator.page() (strict) or get_page() semantics, in one query for a real
    page; Paginator itself counts before it fetches.
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
    rows: list[Provider] = []
    if number <= MAX_PAGE_NUMBER:
        rows, paginator.count = rows_and_total(queryset, (number - 1) * page_size, page_size)
    if not rows and number > 1:
        if strict:
            raise EmptyPage(paginator.error_messages["no_results"])
        number = paginator.num_pages  # past the end: the last page
        rows, paginator.count = rows_and_total(queryset, (number - 1) * page_size, page_size)
    return rows, number, paginator
