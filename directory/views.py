from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from core.cache import cache_anonymous, kept_for_readers, private_page, public_page
from directory.cards import provider_cards
from directory.compare import CompareForm, compare_candidates
from directory.factsheet import compare, fact_sheet, load_facts, safety_notes
from directory.filters import SearchForm, in_local_order
from directory.freshness import provider_freshness
from directory.gazetteer import SearchedPlace
from directory.models import Condition, Location, Provider, State
from directory.search import RADIUS_CHOICES, AtHomeAs, SearchQuery, nearest_clinic, search
from directory.templatetags.directory_tags import provider_card

# A phone screen of at-home cards; ?at_home=all shows every one.
AT_HOME_SHOWN = 10
CONDITION_AT_HOME_SHOWN = 30
# The search page's at-home cards, kept in each process as the page shows them: the
# same for every search of a state (or a name) with the same filters, so drawn once
# per save rather than at every search (about 0.5 ms of a search's CPU).
AT_HOME_CARDS_HTML = AtHomeAs(
    "html", lambda cards: [provider_card(card, "home", compare=True, save=True) for card in cards]
)


@require_safe
@public_page
@cache_anonymous
def home(request):
    context = {
        "form": SearchForm(),
        "conditions": in_local_order(Condition.objects.with_provider_counts()),
        # A list: the map and the list of states both read it.
        "states": list(State.objects.with_provider_counts()),
    }
    return render(request, "directory/home.html", context)


@require_safe
@private_page
@cache_anonymous
def clinic_search(request):
    form = SearchForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    if not form.is_bound:
        return render(request, "directory/search.html", context)
    if not form.is_valid():
        return render(request, "directory/search.html", context, status=400)
    show_all = request.GET.get("at_home") == "all"
    query = form.search_query()
    results = search(
        query,
        page=request.GET.get("page"),
        at_home_limit=None if show_all else AT_HOME_SHOWN,
        at_home_as=AT_HOME_CARDS_HTML,
    )
    context["results"] = results
    # A landing page lists every provider of its place, not the ones of a name: a name
    # search's canonical is the search page itself (noindex, like every search).
    named = bool(query.name_words)
    context["canonical_path"] = reverse("clinics") if named else landing_path(results.place)
    if not results.count and results.place and results.place.point:
        context["wider_radius"] = next((r for r in RADIUS_CHOICES if r > results.radius), None)
        context["nearest"] = nearest_clinic(query)
    return render(request, "directory/search.html", context)


@require_safe
@public_page
@cache_anonymous
def provider_detail(request, slug):
    """A provider's profile. For readers it is kept per process until a save
    (core.cache.kept_for_readers), so a kept page costs one query, the version; the
    notice to call ahead depends on the day too."""
    return kept_for_readers(
        request,
        f"provider-page:{slug}:{timezone.localdate()}",
        lambda: draw_provider(request, slug),
    )


# Built once per process, as a class-based view's `queryset` is: building its two
# subqueries took about 0.8 ms of each first draw of a profile.
PROFILES = Provider.objects.with_verification_method().with_content_version()


def draw_provider(request, slug) -> tuple[int, HttpResponse]:
    """The profile, drawn, with the content version: read with the provider, before
    the rest of what the page shows, so a first draw costs no query for it."""
    provider = get_object_or_404(PROFILES.visible_to(request.user), slug=slug)
    load_facts([provider])
    context = {
        "provider": provider,
        "sheet": fact_sheet(provider),
        "freshness": provider_freshness(provider),
    }
    if provider.status == Provider.Status.PUBLISHED:
        context["compare_with"] = compare_candidates(provider)
    version = provider.content_version or 0  # type: ignore[attr-defined]
    return version, render(request, "directory/provider_detail.html", context)


# Any two to four slugs make a page: like a search, only the visitor's browser keeps it.
@require_safe
@private_page
@cache_anonymous
def compare_providers(request):
    form = CompareForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "back": form.given_providers()}
        status = 404 if form.not_found else 400
        return render(request, "directory/compare.html", context, status=status)
    columns = form.columns()
    sheets = [column.sheet for column in columns]
    context = {"columns": columns, "groups": compare(sheets), "notes": safety_notes(sheets)}
    return render(request, "directory/compare.html", context)


# The same page for everyone: the list itself lives in the visitor's browser
# (localStorage, read by static/js/saved.js) and never reaches the server.
@require_safe
@public_page
@cache_anonymous
def saved_providers(request):
    return render(request, "directory/saved.html")


def landing_path(place):
    """The landing page a search result canonicalises to, where one exists."""
    if place is None or place.kind not in {"state", "city"}:
        return reverse("clinics")
    state = place.state.lower()
    if place.kind == "city":
        city_slug = slugify(place.label.rsplit(",", 1)[0])
        if Location.objects.published().filter(state=place.state, city_slug=city_slug).exists():
            return reverse("city-landing", args=[state, city_slug])
    return reverse("state-landing", args=[state])


def get_state(code):
    return get_object_or_404(State, code=code.upper())


@require_safe
@public_page
@cache_anonymous
def state_landing(request, state):
    state = get_state(state)
    place = SearchedPlace.whole_state(state.code)
    results = search(SearchQuery(place=place), page=request.GET.get("page"))
    if not results.count and not results.at_home:
        raise Http404("No providers in this state yet.")
    cities = Location.objects.published().filter(state=state).cities()
    context = {"state": state, "results": results, "cities": cities}
    return render(request, "directory/state_landing.html", context)


@require_safe
@public_page
@cache_anonymous
def city_landing(request, state, city):
    state = get_state(state)
    query = SearchQuery(place=SearchedPlace.whole_state(state.code), city_slug=city)
    results = search(query, page=request.GET.get("page"))
    if not results.count:
        raise Http404("No clinics in this city yet.")
    site = results.clinics[0].site  # in this city: the query asked for it
    context = {
        "state": state,
        "city": site.city if site else city,
        "city_slug": city,
        "results": results,
    }
    return render(request, "directory/city_landing.html", context)


@require_safe
@public_page
@cache_anonymous
def condition_landing(request, slug):
    condition = get_object_or_404(Condition, slug=slug)
    treating = Provider.objects.published().treating(condition.pk)
    states = Location.objects.filter(provider__in=treating).states()
    at_home = treating.at_home_anywhere()
    at_home_count = at_home.count()
    if not states and not at_home_count:
        raise Http404("No providers treat this condition yet.")
    context = {
        "condition": condition,
        "states": states,
        "at_home": provider_cards(list(at_home.for_cards()[:CONDITION_AT_HOME_SHOWN])),
        "at_home_count": at_home_count,
    }
    return render(request, "directory/condition_landing.html", context)
