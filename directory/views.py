from django.db.models import Count, Min
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from articles.models import Article
from core.cache import cache_anonymous, private_page, public_page
from directory.filters import RADIUS_CHOICES, ProviderFilter
from directory.models import Condition, Location, Provider, State
from directory.search import attach_terms, search

# A phone screen of at-home cards; ?at_home=all shows every one.
PAGE_SIZE = 20
AT_HOME_SHOWN = 10
CONDITION_AT_HOME_SHOWN = 30


@require_safe
@public_page
@cache_anonymous
def home(request):
    return render(request, "directory/home.html", {"form": ProviderFilter().form})


@require_safe
@private_page
@cache_anonymous
def clinic_search(request):
    filterset = ProviderFilter(request.GET or None)
    context = {"filterset": filterset, "form": filterset.form, "radius_choices": RADIUS_CHOICES}
    if not filterset.is_bound:
        return render(request, "directory/search.html", context)
    if not filterset.is_valid():
        return render(request, "directory/search.html", context, status=400)
    show_all = request.GET.get("at_home") == "all"
    results = search(
        filterset,
        page=request.GET.get("page"),
        page_size=PAGE_SIZE,
        at_home_limit=None if show_all else AT_HOME_SHOWN,
    )
    context["results"] = results
    context["canonical_path"] = landing_path(results.location)
    if not results.count and results.location and results.location.point:
        context["wider_radius"] = next((r for r in RADIUS_CHOICES if r > results.radius), None)
        context["nearest_city"] = filterset.nearest_clinic_location()
    return render(request, "directory/search.html", context)


@require_safe
@public_page
@cache_anonymous
def provider_detail(request, slug):
    provider = get_object_or_404(
        Provider.objects.visible_to(request.user).prefetch_related(
            "locations", "conditions", "treatments", "serves_states"
        ),
        slug=slug,
    )
    return render(request, "directory/provider_detail.html", {"provider": provider})


def landing_path(location):
    """The landing page a search result canonicalises to, where one exists."""
    if location is None or location.kind not in {"state", "city"}:
        return reverse("clinics")
    state = location.state.lower()
    if location.kind == "city":
        city_slug = slugify(location.label.rsplit(",", 1)[0])
        if Location.objects.filter(
            state=location.state, city_slug=city_slug, provider__status=Provider.Status.PUBLISHED
        ).exists():
            return reverse("city-landing", args=[state, city_slug])
    return reverse("state-landing", args=[state])


def get_state(code):
    return get_object_or_404(State, code=code.upper())


@require_safe
@public_page
@cache_anonymous
def state_landing(request, state):
    state = get_state(state)
    filterset = ProviderFilter({"near": state.code})
    filterset.is_valid()
    results = search(filterset, page=request.GET.get("page"), page_size=PAGE_SIZE)
    if not results.count and not results.at_home:
        raise Http404("No providers in this state yet.")
    cities = (
        Location.objects.filter(provider__status=Provider.Status.PUBLISHED, state=state)
        .values("city_slug")
        .annotate(name=Min("city"), providers=Count("provider", distinct=True))
        .order_by("city_slug")
    )
    context = {"state": state, "results": results, "cities": cities}
    return render(request, "directory/state_landing.html", context)


@require_safe
@public_page
@cache_anonymous
def city_landing(request, state, city):
    state = get_state(state)
    clinics = list(
        Provider.objects.published()
        .filter(locations__state=state, locations__city_slug=city)
        .distinct()
        .order_by("name", "pk")
    )
    if not clinics:
        raise Http404("No clinics in this city yet.")
    sites = Location.objects.filter(state=state, city_slug=city).values_list("city", flat=True)
    city_name = sites.first()
    attach_city_locations(clinics, state, city)
    attach_terms(clinics)
    at_home = list(Provider.objects.published().at_home_in(state.code))
    attach_terms(at_home)
    return render(
        request,
        "directory/city_landing.html",
        {
            "state": state,
            "city": city_name,
            "city_slug": city,
            "clinics": clinics,
            "at_home": at_home,
        },
    )


def attach_city_locations(providers, state, city_slug):
    by_provider = {}
    for site in Location.objects.filter(
        provider__in=providers, state=state, city_slug=city_slug
    ).order_by("pk"):
        by_provider.setdefault(site.provider_id, site)
    for provider in providers:
        provider.nearest_location = by_provider.get(provider.pk)


@require_safe
@public_page
@cache_anonymous
def condition_landing(request, slug):
    condition = get_object_or_404(Condition, slug=slug)
    treating = Provider.objects.published().filter(conditions=condition)
    states = (
        Location.objects.filter(provider__in=treating)
        .values("state", "state__name")
        .annotate(clinics=Count("provider", distinct=True))
        .order_by("state__name")
    )
    at_home = treating.filter(serves_states__isnull=False).distinct().order_by("name", "pk")
    at_home_count = at_home.count()
    if not states and not at_home_count:
        raise Http404("No providers treat this condition yet.")
    at_home = list(at_home[:CONDITION_AT_HOME_SHOWN])
    attach_terms(at_home)
    articles = Article.objects.published().filter(conditions=condition).order_by("-published_at")
    return render(
        request,
        "directory/condition_landing.html",
        {
            "condition": condition,
            "states": states,
            "at_home": at_home,
            "at_home_count": at_home_count,
            "articles": articles,
        },
    )
