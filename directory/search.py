"""The one search: cleaned inputs → a page of clinics and the at-home options.

The search page, the API and the state and city landing pages all call
search(). A search costs the same handful of queries whatever the page size:
the page of clinics (with their total), the at-home options (with theirs; or,
kept from an earlier search of the state, the content version: kept_at_home()),
the sites shown on the cards, and the conditions/treatments/states of every
provider shown (one UNION); the searched place is looked up once per process.
Each list is fetched with a COUNT(*) OVER () column instead of a second COUNT
query, which would repeat the distance computation.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Model,
    OrderBy,
    OuterRef,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.translation import get_language, gettext_lazy

from core.models import ContentVersion
from directory.cards import ProviderCard, ShownSite, linked_terms, provider_cards
from directory.gazetteer import SearchedPlace
from directory.models import (
    CHEAPEST_FIRST,
    PROVIDER_CARD_FIELDS,
    RADIUS_TOLERANCE_MILES,
    RECENTLY_VERIFIED,
    GreatCircleMiles,
    Location,
    LocationQuerySet,
    PointOrder,
    Provider,
    ProviderQuerySet,
    Survey,
    bounding_box_q,
)
from directory.reference import reference

RADIUS_CHOICES = [10, 25, 50, 100, 250]
DEFAULT_RADIUS = 50
PAGE_SIZE = 20
# Further than any real page; keeps OFFSET within a 64-bit integer.
MAX_PAGE_NUMBER = 10**9
# A radius search counts its clinics up to COUNT_CAP ("more than 1,000 clinics"),
# reading at most SURVEY_SITES of their sites (LocationQuerySet.survey): an exact
# total in a big city at a million providers meant reading tens of thousands of rows
# for one figure. A name search with no place counts up to COUNT_CAP too: "clinic"
# alone matched a tenth of a million providers, all read for the total before the
# first 20 by name.
COUNT_CAP = 1000
# How far the advice on an empty result page looks for the nearest clinic: on SQLite
# in steps, so the bounding box (and the index) does the work for all but the
# emptiest; PostgreSQL reads the sites nearest first within the widest at once.
NEAREST_CLINIC_RADII = (500, 1500, 13000)
# A sorted radius search first ranks at most this many sites per provider it needs
# (nearest_per_provider()'s `read`), before it ranks the whole circle.
SITES_READ_PER_PROVIDER = 10
# first_sites() reads at most this many sites per provider it needs before it leaves
# the ranking to SQL. Each becomes a card's two model instances: where many sites
# share a spot (a medical building; the demo's ZIP code centres) ten for each made 400
# instances for a page of 20, 4-6 ms of CPU a search at a million providers.
FIRST_SITES_READ = 3
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


# The orders of the sites of a radius search (nearest_sites(), nearest_per_provider()),
# by the location rows' copies of their provider.
RANKINGS: dict[str | None, tuple[str | OrderBy, ...]] = {
    None: ("distance", "provider_name", "provider_id"),
    "distance": ("distance", "provider_name", "provider_id"),
    "price": (CHEAPEST_FIRST, "distance", "provider_name", "provider_id"),
    "verified": (RECENTLY_VERIFIED, "distance", "provider_name", "provider_id"),
    "name": ("provider_name", "provider_id"),
}
# The orders of a state's sites (state_page()): a provider's first site in them is its
# first by city, and the providers come in clinics_in_state()'s order, sorted as asked
# (sorted_as_asked()) by the copies on the rows.
STATE_RANKINGS: dict[str | None, tuple[str | OrderBy, ...]] = {
    None: ("city", "provider_name", "provider_id", "pk"),
    "price": (CHEAPEST_FIRST, "city", "provider_name", "provider_id", "pk"),
    "verified": (RECENTLY_VERIFIED, "city", "provider_name", "provider_id", "pk"),
    "name": ("provider_name", "provider_id", "city", "pk"),
}
# The order of a name search's sites with no place (name_page()): a provider's first
# site in it is the one its card shows without a place (shown_sites()), its first.
NAME_ORDER = ("provider_name", "provider_id", "pk")
# A radius search by name whose circle holds about NAME_WALK_CIRCLE sites or more (by
# the survey) reads the matching sites in that order, at most NAME_WALK_SITES of them,
# until the page's providers have one in the circle (walked_by_name()).
NAME_WALK_CIRCLE = 2_500
NAME_WALK_SITES = 20_000


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
    at_home: list[Any]  # as search()'s `at_home_as` made them: ProviderCards by default
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

    @property
    def count_capped(self) -> bool:
        """Whether more than `count` clinics match (a radius search, or a name search
        with no place, stops counting at COUNT_CAP: "more than 1,000 clinics")."""
        return getattr(self.page.paginator, "capped", False)


class CountedPaginator(Paginator):
    """A Paginator for a count already known (perhaps capped), whose pages are fetched
    by the caller."""

    def __init__(self, count: int, per_page: int, capped: bool = False) -> None:
        super().__init__([], per_page)
        self.count = count  # Paginator's cached property, set here
        self.capped = capped

    def number(self, number: int | str | None, strict: bool) -> int:
        """A valid page number for `number`: Paginator.page() (strict) or get_page()
        semantics, as paginate()."""
        try:
            return self.validate_number(1 if number in (None, "") else number)
        except PageNotAnInteger:
            if strict:
                raise
            return 1
        except EmptyPage:
            if strict:
                raise
            return 1 if int(number) < 1 else self.num_pages  # type: ignore[arg-type]


@dataclass(frozen=True)
class AtHomeAs:
    """What a caller makes of the at-home options' cards (search()'s `at_home_as`), and
    the name it is kept under in each process: so the API's rows, 73 a search at 100,000
    providers, are built once per save rather than at every search."""

    name: str
    make: Callable[[list[ProviderCard]], list[Any]]


AT_HOME_CARDS = AtHomeAs("cards", list)


def search(
    query: SearchQuery,
    *,
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
    strict: bool = False,
    at_home_limit: int | None = None,
    at_home_as: AtHomeAs = AT_HOME_CARDS,
) -> SearchResults:
    """Run `query`: one page of clinics, and the at-home options for the place's state
    (or, for a name search without a place, every at-home option of that name).

    With strict=False (the HTML pages) a bad or too-high page number gives the
    nearest real page; with strict=True (the API) it raises
    django.core.paginator.InvalidPage. `at_home_limit` keeps only the first
    at-home options (at_home_total still counts them all); `at_home_as` gives them
    as cards unless the caller asks for something else.
    """
    key = at_home_key(query, at_home_limit, at_home_as.name)
    kept = kept_at_home(key)
    at_home: list[Provider] = []
    at_home_total = 0
    if kept is None:
        # matching() only where its providers are read (the ORM takes about 0.7 ms to
        # build them): a search around a point whose options are kept reads none.
        options = sorted_as_asked(at_home_for(query, matching(query)), query.sort)
        # With the version they are read under, for linked_terms() and keep_at_home().
        at_home, at_home_total = rows_and_total(options.with_content_version(), 0, at_home_limit)
        version = at_home[0].content_version if at_home else None  # type: ignore[attr-defined]
    else:
        version = kept.version
    # The clinics after the version, as content is read (core.models.ContentVersion):
    # what their cards draw is kept under it (directory.cards.Linked.drawn).
    sites: dict[int, ShownSite]
    if query.place is not None and query.place.point is not None:
        clinics, sites, number, paginator = nearby(query, page, page_size, strict)
    elif (in_state := state_page(query, page, page_size, strict)) is not None:
        clinics, sites, number, paginator = in_state
    elif (named := name_page(query, page, page_size, strict)) is not None:
        clinics, sites, number, paginator = named
    else:
        cap = COUNT_CAP if query.place is None else None
        clinics, number, paginator = paginate(
            clinics_for(query, matching(query)), page, page_size, strict, cap=cap
        )
        sites = shown_sites(clinics, query)
    # One query for the terms of both lists, if any are not kept under the version
    # just read; an at-home card shows no site, even for a provider that is also one
    # of the clinics.
    linked = linked_terms([provider.pk for provider in (*clinics, *at_home)], version)
    clinic_cards = provider_cards(clinics, sites, linked)
    if kept is None:
        cards = provider_cards(at_home, linked=linked)
        kept = keep_at_home(key, cards, at_home_total, at_home_as, version)
    return SearchResults(
        query, Page(clinic_cards, number, paginator), clinic_cards, kept.options, kept.total
    )


@dataclass(frozen=True)
class KeptAtHome:
    """A search's at-home options (as AtHomeAs made them) and their total, read under
    content version `version`."""

    version: int | None
    options: list[Any]
    total: int


def at_home_key(query: SearchQuery, limit: int | None, form: str) -> str | None:
    """What names a search's at-home options in the "fragments" cache: everything in
    the query but the place's point, radius and city (the options are the state's, or
    a name's anywhere), the limit, the form they are kept in (AtHomeAs.name), and the
    language (which orders the cards' terms); None for a search that has none (no
    place, no name)."""
    if query.place is None and not query.name_words:
        return None
    state = query.place.state if query.place is not None else None
    asked = replace(query, place=None, radius=DEFAULT_RADIUS, city_slug=None)
    digest = hashlib.sha256(repr((state, asked, limit, form)).encode()).hexdigest()
    return f"at-home:{get_language()}:{digest}"


def kept_at_home(key: str | None) -> KeptAtHome | None:
    """The at-home options kept under `key` in this process, if they are still the
    content version's; None when they must be read. A search with no key (no place,
    no name) has none.

    They are the same for every search in a state with the same filters, whatever its
    point, radius or page, and only a save changes them: kept, a search reads the
    version (one query) instead of the options, their total and their terms.
    """
    if key is None:
        return KeptAtHome(None, [], 0)
    kept: KeptAtHome | None = caches["fragments"].get(key)
    if kept is not None and kept.version == ContentVersion.read():
        return kept
    return None


def keep_at_home(
    key: str | None, cards: list[ProviderCard], total: int, form: AtHomeAs, version: int | None
) -> KeptAtHome:
    """`cards` as `form` makes them and `total` as KeptAtHome, kept under `key` in this
    process when they came with `version`, the content version they were read under
    (with_content_version())."""
    kept = KeptAtHome(version, form.make(cards), total)
    if key is not None and version is not None:
        caches["fragments"].set(key, kept)
    return kept


def nearest_clinic(query: SearchQuery) -> ProviderCard | None:
    """The nearest clinic matching `query` however far away, or None; for empty results.

    Its sites are read nearest first: on PostgreSQL the GiST index's order finds one
    site of a matching clinic, and the exact nearest lies within that one's distance,
    so one circle, the widest, is enough there; SQLite widens the circle in steps.
    A query that no clinic anywhere matches (a name mistyped, most often) is answered
    from the providers first: at a million providers, reading every site of the
    country for it, once for each circle, took about two seconds.
    """
    if query.place is None or query.place.point is None:
        return None
    if not matching(query).clinics().exists():
        return None
    point = query.place.point
    postgresql = connection.vendor == "postgresql"
    matched = matching_sites(query)
    for radius in NEAREST_CLINIC_RADII[-1:] if postgresql else NEAREST_CLINIC_RADII:
        sites: LocationQuerySet = sites_near(query, radius, matched)
        if postgresql:
            first = sites.order_by(PointOrder(point)).values_list("distance", flat=True).first()
            if first is None:
                continue
            sites = sites_near(query, first, matched)
        if found := nearest_sites(sites, 1):
            site = found[0]
            return provider_cards(
                [site.provider], {site.provider_id: ShownSite(site, site.distance)}
            )[0]
    return None


def matching(query: SearchQuery, *, condition: bool = True) -> ProviderQuerySet:
    """Published providers with the name, condition, treatments, intake and facts asked for.

    With condition=False, all but the condition: a radius search checks it on the
    location rows (ProviderQuerySet.near).
    """
    providers = Provider.objects.published().for_cards()
    if query.name_words:
        providers = providers.named(query.name_words)
    if query.condition:
        condition_id = condition_of(query)
        if condition_id is None:
            return providers.none()
        if condition:
            providers = providers.treating(condition_id)
    if (ids := treatment_ids(query)) is not None:
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


def condition_of(query: SearchQuery) -> int | None:
    """The id of the query's condition; None without one, or for an unknown slug."""
    condition = reference().condition(query.condition) if query.condition else None
    return condition.id if condition else None


def treatment_ids(query: SearchQuery) -> list[int] | None:
    """The ids of the query's treatments that exist; None when it asks for none."""
    if not query.treatments:
        return None
    terms = reference()
    return [term.id for slug in query.treatments if (term := terms.treatment(slug))]


def filters_providers(query: SearchQuery) -> bool:
    """Whether the query filters on the provider beyond its status and condition."""
    return bool(
        query.name_words
        or query.treatments
        or query.accepting
        or query.payments
        or query.max_price is not None
        or query.language
        or query.kap
    )


def sites_near(
    query: SearchQuery, radius: float, matched: LocationQuerySet | None = None
) -> LocationQuerySet:
    """The sites within `radius` of the query's point that it matches: of `matched`, if
    given (matching_sites(query), built once for a search's circles), else built here."""
    assert query.place is not None
    assert query.place.point is not None
    return (matching_sites(query) if matched is None else matched).within(query.place.point, radius)


def matching_sites(query: SearchQuery) -> LocationQuerySet:
    """The sites, anywhere, that the query matches: status and condition checked on the
    location rows, any other filter on their provider (of_matching_providers())."""
    return of_matching_providers(Location.objects.searchable(condition_of(query)), query)


def of_matching_providers(sites: LocationQuerySet, query: SearchQuery) -> LocationQuerySet:
    """`sites` of providers that the query's filters beyond status and condition keep
    (those two are checked on the location rows: Location.objects.searchable()).

    The other filters are checked on the rows' copies too, unless a treatment or
    payment option has no bit there: then on the provider.
    """
    copied = sites.with_copied_facts(
        treatment_ids=treatment_ids(query),
        payments=query.payments,
        accepting=query.accepting,
        max_price=query.max_price,
        kap=query.kap,
        language=query.language,
        name_words=query.name_words,
    )
    if copied is not None:
        return copied
    if filters_providers(query):
        providers = matching(query, condition=False).filter(pk=OuterRef("provider"))
        sites = sites.filter(Exists(providers))
    return sites


def nearby(
    query: SearchQuery, number: int | str | None, page_size: int, strict: bool
) -> tuple[list[Provider], dict[int, ShownSite], int, Paginator]:
    """A page of the clinics around the query's point and the site each card shows,
    with the page's number and a Paginator that knows the count.

    One query surveys the circle (LocationQuerySet.survey): the total, capped at
    COUNT_CAP, and nearest first (the usual order) a radius within which the page's
    providers lie, and which they are when it read all their sites (Survey.picked); a
    second reads those providers' nearest sites (picked_sites()), or else ranks only
    the sites within that radius, nearest per provider (or, by name in a circle that
    holds thousands of sites, walks the name order instead: walked_by_name()). Bad
    page numbers are handled as in paginate().

    Picking the page in the survey spares building, compiling and running the ranking
    query of the circle, which took about a fifth of a search's CPU time.
    """
    assert query.place is not None
    point = query.place.point
    assert point is not None
    # Built once for both circles: building it takes the ORM a few tenths of a millisecond.
    matched = matching_sites(query)
    sites = sites_near(query, query.radius, matched)
    asked = page_or_first(number)
    nearest_first = query.sort in (None, "distance")
    after = (asked - 1) * page_size if nearest_first else None
    survey = sites.survey(point, needed=asked * page_size, after=after)
    paginator = CountedPaginator(survey.providers, page_size)
    if survey.complete:
        pass
    elif survey.providers > COUNT_CAP:
        paginator.count, paginator.capped = COUNT_CAP, True
    else:  # a few providers with most of the sites: count them all
        paginator.count = sites.aggregate(n=Count("provider", distinct=True))["n"]
    number = paginator.number(number, strict)
    radius: float = query.radius
    offset = (number - 1) * page_size
    stop = offset + page_size
    page: Iterable[Any] | None = None  # sites with their distance
    if nearest_first:
        if number != asked:  # a page past the end, shown as the last one
            survey = sites.survey(point, needed=stop, after=offset)
        if survey.picked is not None:
            page = picked_sites(survey.picked, point)
        elif survey.reach is not None:
            radius = min(radius, survey.reach)
    if page is None:
        page = ranked_page(query, survey, radius, matched, offset, stop, paginator.count)
    providers, shown = [], {}
    for site in page:
        providers.append(site.provider)
        shown[site.provider_id] = ShownSite(site, site.distance)
    return providers, shown, number, paginator


def ranked_page(
    query: SearchQuery,
    survey: Survey,
    radius: float,
    matched: LocationQuerySet,
    offset: int,
    stop: int,
    count: int,
) -> Iterable[Any]:
    """nearby()'s page of sites (of `matched`), ranked from those within `radius`, when
    its survey did not pick them: each provider's nearest, in the order asked for."""
    ranked = sites_near(query, radius, matched)
    page: Iterable[Any] | None = None
    if query.sort in (None, "distance"):
        if survey.few:
            nearest = nearest_sites(ranked, stop)
            page = None if nearest is None else nearest[offset:]
    elif query.sort == "name" and (survey.sites_within(radius) or 0) >= NAME_WALK_CIRCLE:
        page = walked_by_name(query, radius, stop, offset)
    if page is None and query.sort not in (None, "distance"):
        read = stop * SITES_READ_PER_PROVIDER
        page = list(nearest_per_provider(ranked, query.sort, stop, offset, read=read))
        if len(page) < min(stop, count) - offset:  # of too few providers
            page = None
    if page is None:
        page = nearest_per_provider(ranked, query.sort, stop, offset)
    return page


def walked_by_name(
    query: SearchQuery, radius: float, stop: int, offset: int, walk: int = NAME_WALK_SITES
) -> list[Any] | None:
    """The sites nearest_per_provider(sites_near(query, radius), "name", stop, offset)
    ranks, read from all the matching sites in their provider's name order until
    `stop` + 1 providers have one within `radius`, reading at most `walk` of them (the
    index location_name_idx holds their coordinates); None when that is not enough.

    At a million providers a big city's circle holds 30,000 sites, and ranking them
    read them all from the table (about 20 ms); the more of the country's sites the
    circle holds, the sooner the name order reaches the page's providers (about 3,000
    sites for a first page around New York). The walk's own query has no box to
    filter on: PostgreSQL guesses that any box holds a thousandth of the rows, and
    would read the box. A provider's sites are together in that order, so the first
    `stop` providers found before another one are complete.
    """
    assert query.place is not None
    point = query.place.point
    assert point is not None
    sites = matching_sites(query)
    walked = sites.annotate(distance=GreatCircleMiles(point)).order_by(*NAME_ORDER)
    sql, params = walked.values("pk", *NAME_ORDER[:2], "distance")[:walk].query.sql_with_params()
    read = int(FIRST_SITES_READ * (stop + 1))
    # The ORM cannot filter the rows of a query that has a LIMIT of its own; `sql` is
    # its own, with its parameters apart, and `read` a number.
    near = RawSQL(  # noqa: S611
        f"SELECT pk FROM ({sql}) AS walk WHERE distance <= %s "  # noqa: S608
        f"ORDER BY provider_name, provider_id, pk LIMIT {read}",
        (*params, radius + RADIUS_TOLERANCE_MILES),
    )
    found = Location.objects.filter(pk__in=near).annotate(distance=GreatCircleMiles(point))
    nearest: dict[int, Any] = {}
    for site in card_sites(found).order_by(*NAME_ORDER[:2], "distance", "pk"):
        nearest.setdefault(site.provider_id, site)
    if len(nearest) <= stop:
        return None
    return list(nearest.values())[offset:stop]


def picked_sites(picked: Sequence[tuple[int, float]], point: tuple[float, float]) -> list[Any]:
    """The nearest site to `point` of each provider a survey picked (Survey.picked:
    provider ids and miles), in its order, with its distance and its provider's card
    columns; a provider with no site that near any more is left out.

    Every filter of a search but the circle is a copy of the provider's facts on each of
    its sites (SEARCH_COPIES), so its nearest site is the one its card shows. A provider
    closed since the survey is left out too.
    """
    if not picked:
        return []
    within = max(miles for _, miles in picked) + RADIUS_TOLERANCE_MILES
    sites = (
        Location.objects.searchable()
        .filter(provider__in=[provider for provider, _ in picked])
        .annotate(distance=GreatCircleMiles(point))
        .filter(distance__lte=within)
    )
    nearest: dict[int, Any] = {}
    # Picked in Python: ordering the few rows in SQL cost more to compile (0.1-0.2 ms).
    for site in card_sites(sites).order_by():
        best = nearest.get(site.provider_id)
        if best is None or (site.distance, site.pk) < (best.distance, best.pk):
            nearest[site.provider_id] = site
    return [nearest[provider] for provider, _ in picked if provider in nearest]


def page_or_first(number: int | str | None) -> int:
    """The page number asked for, if it is one; else 1."""
    try:
        return max(1, int(number or 1))
    except (TypeError, ValueError):
        return 1


def nearest_sites(sites: LocationQuerySet, count: int) -> list[Any] | None:
    """Each provider's nearest of `sites`, with its provider's card columns, for the
    `count` providers with the nearest sites, in nearest_per_provider()'s order; None
    when the first FIRST_SITES_READ * `count` sites are of fewer providers.

    Picked from the sites in order rather than ranked in SQL: for the sites within
    a survey's reach, the window and the subquery the ORM wraps around it cost more
    than they save (about 2 ms a search). A provider's first site in this order is
    its nearest, and the providers come in the order of those. A chain with many
    sites near the point would fill the rows: then the caller ranks in SQL.
    """
    return first_sites(sites, (*RANKINGS[None], "pk"), count)


def first_sites(
    sites: LocationQuerySet, order: Sequence[str | OrderBy], count: int
) -> list[Any] | None:
    """Each provider's first site of `sites` in `order` (of the rows' own columns), with
    its provider's card columns, for the first `count` providers, in the order of those
    sites; None when the first FIRST_SITES_READ * `count` sites are of fewer providers
    (and there may be more).

    The rows are picked in a subquery and only they are joined with their providers:
    thousands of sites on one spot (a ZIP code's centre) were all joined before the
    sort, the planner expecting a few hundred.
    """
    limit = count * FIRST_SITES_READ
    picked = sites.order_by(*order).values("pk")[:limit]
    rows = list(card_sites(sites.filter(pk__in=picked)).order_by(*order))
    first: dict[int, Any] = {}
    for site in rows:
        first.setdefault(site.provider_id, site)
        if len(first) == count:
            return list(first.values())
    return None if len(rows) == limit else list(first.values())


def state_page(
    query: SearchQuery, number: int | str | None, page_size: int, strict: bool
) -> tuple[list[Provider], dict[int, ShownSite], int, Paginator] | None:
    """A page of a state's clinics in the order asked for: by city (as
    ProviderQuerySet.clinics_in_state), by price, when verified or name (STATE_RANKINGS);
    with the site each card shows, the page's number and a Paginator that knows the
    count. None for any other list (a city's, a deep page), or when the state's first
    sites are of too few providers: then the caller groups every clinic.

    Read from the state's sites in that order, as nearest_sites() reads a circle: a
    provider's first site in it is its first by city, and the providers come in the
    order of those. Grouping every site of a big state to order its providers took
    most of a second at a million providers; this reads a few hundred rows, and the
    count of providers comes in the same query, from the index of (state, city). Bad
    page numbers are handled as in paginate().
    """
    place = query.place
    if place is None or place.point is not None or query.city_slug:
        return None
    if (order := STATE_RANKINGS.get(query.sort)) is None:
        return None
    sites = matching_sites(query).filter(state=place.state)
    providers = sites.order_by().values("state").annotate(n=Count("provider", distinct=True))
    return sites_page(sites, order, Subquery(providers.values("n")), number, page_size, strict)


def name_page(
    query: SearchQuery, number: int | str | None, page_size: int, strict: bool
) -> tuple[list[Provider], dict[int, ShownSite], int, Paginator] | None:
    """A page of a name search with no place, by name (its usual order), as state_page()
    reads a state's: from the matching sites in their provider's name order (the
    index location_name_idx holds them with every copy the search filters on), with
    the count capped at COUNT_CAP. None for another order, a deep page, or when the
    first sites are of too few providers: then the caller reads the providers.
    """
    if query.place is not None or query.sort not in (None, "name"):
        return None
    sites = matching_sites(query)
    # The name comes with the provider so that the distinct rows come in the index's
    # order and the count stops at the cap, rather than after grouping every match.
    providers = sites.values("provider_name", "provider").distinct()
    total = CappedCount(providers, COUNT_CAP)
    return sites_page(sites, NAME_ORDER, total, number, page_size, strict, COUNT_CAP)


def sites_page(
    sites: LocationQuerySet,
    order: Sequence[str | OrderBy],
    total: Subquery,
    number: int | str | None,
    page_size: int,
    strict: bool,
    cap: int | None = None,
) -> tuple[list[Provider], dict[int, ShownSite], int, Paginator] | None:
    """Page `number` of the providers of `sites`, each shown with its first site in
    `order`, with the page's number and a Paginator that knows the count: `total`, of
    providers (capped at `cap`, if given), which the database works out once. None for
    a deep page, or when the first sites are of too few providers (first_sites()).
    Bad page numbers are handled as in paginate().
    """
    asked = page_or_first(number)
    if asked * page_size > COUNT_CAP:  # a deep page: group them all (paginate())
        return None
    page = first_sites(sites.annotate(search_total=total), order, asked * page_size)
    if page is None:
        return None
    # Fewer providers than asked for are all there are: a page past the end is in `page`.
    paginator = CountedPaginator(page[0].search_total if page else 0, page_size)
    if cap is not None and paginator.count > cap:
        paginator.count, paginator.capped = cap, True
    number = paginator.number(number, strict)
    page = page[(number - 1) * page_size : number * page_size]
    clinics = [site.provider for site in page]
    return clinics, {site.provider_id: ShownSite(site) for site in page}, number, paginator


def card_sites(sites: LocationQuerySet) -> LocationQuerySet:
    """`sites` with only the columns a card shows of them and of their provider."""
    return sites.select_related("provider").only(
        *CARD_SITE_FIELDS, *(f"provider__{name}" for name in PROVIDER_CARD_FIELDS)
    )


def nearest_per_provider(
    sites: LocationQuerySet,
    sort: str | None,
    stop: int,
    start: int = 0,
    read: int | None = None,
) -> LocationQuerySet:
    """Each provider's nearest of `sites`, with its provider's card columns, in the
    order `sort` names (nearest first by default; then by name), from the `start`-th
    to before the `stop`-th.

    Ranked by the rows' copies of their provider in a subquery, so that only the
    page's sites are joined with their providers: at a million providers a big city's
    circle holds ten thousand. With `read`, only the first `read` sites in that order
    (each provider's nearest first, since the copies are the same on all its sites)
    are ranked: a top-N sort of the circle instead of a window over all of it. That
    is the whole answer when they are of `stop` providers or more; a caller that gets
    fewer rows than it expects asks again without `read`.
    """
    nearest_first = Window(
        RowNumber(), partition_by=F("provider"), order_by=[F("distance").asc(), F("pk").asc()]
    )
    order = RANKINGS[sort]
    candidates = sites
    if read is not None:
        in_order = dict.fromkeys((*order, "distance", "pk"))
        candidates = sites.filter(pk__in=sites.order_by(*in_order).values("pk")[:read])
    ranked = candidates.annotate(nearest=nearest_first).filter(nearest=1)
    page = ranked.order_by(*order).values("pk")[start:stop]
    return card_sites(sites.filter(pk__in=page)).order_by(*order)


def clinics_for(query: SearchQuery, providers: ProviderQuerySet) -> ProviderQuerySet:
    """The clinics among `providers`, in the order asked for or else the place's own
    (a search around a point: nearby())."""
    place = query.place
    if place is None:
        clinics = providers.clinics()
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


class CappedCount(Subquery):
    """How many rows `queryset` has, counting no further than `cap` + 1 (one more than
    the cap says that there are more): a column that the database works out once.
    `queryset` selects what is counted (values("pk"); distinct() values to count those)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any], cap: int) -> None:
        super().__init__(queryset.order_by()[: cap + 1])


def count_of(queryset: QuerySet[Any], cap: int | None) -> int:
    """How many rows `queryset` has, counting no further than `cap` + 1 (if given)."""
    return queryset.count() if cap is None else queryset[: cap + 1].count()


def rows_and_total(
    queryset: QuerySet[Row], offset: int, limit: int | None, cap: int | None = None
) -> tuple[list[Row], int]:
    """Return (the rows in [offset, offset + limit), how many rows there are in all,
    counting no further than `cap` + 1 if given).

    The total rides along as a column (a window over every row, or a capped count
    worked out once); only a page past the end needs a separate COUNT. With `cap`
    (a name search with no place) the page's ids are found in a subquery, so that
    PostgreSQL can walk an index that holds all the filters read (Provider's
    provider_name_idx) and fetch only the page's rows.
    """
    stop = None if limit is None else offset + limit
    if cap is None:
        counted = queryset.annotate(search_total=Window(Count("*")))[offset:stop]
    else:
        page = queryset.filter(pk__in=queryset.values("pk")[offset:stop])
        counted = page.annotate(search_total=CappedCount(queryset.values("pk"), cap))
    rows = list(counted)
    if rows:
        return rows, rows[0].search_total  # type: ignore[attr-defined]
    return rows, (count_of(queryset, cap) if offset else 0)


def paginate(
    queryset: QuerySet[Provider],
    number: int | str | None,
    page_size: int,
    strict: bool,
    cap: int | None = None,
) -> tuple[list[Provider], int, Paginator]:
    """Return (the rows of page `number`, its number, a Paginator that knows the count).

    Paginator.page() (strict) or get_page() semantics, in one query for a real
    page; Paginator itself counts before it fetches. With `cap`, the count stops
    there (the paginator says it is capped) and so do the pages.
    """
    paginator = CountedPaginator(0, page_size)
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
        rows, total = rows_and_total(queryset, (number - 1) * page_size, page_size, cap)
    else:
        total = count_of(queryset, cap)
    if cap is not None and total > cap:
        paginator.count, paginator.capped = cap, True
    else:
        paginator.count = total
    if number > 1 and (not rows or number > paginator.num_pages):
        if strict:
            raise EmptyPage(paginator.error_messages["no_results"])
        number = paginator.num_pages  # past the end: the last page
        rows, _ = rows_and_total(queryset, (number - 1) * page_size, page_size, cap)
    return rows, number, paginator
