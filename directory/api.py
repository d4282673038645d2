"""GET /api/providers/: the search as JSON, with the same inputs as /clinics/;
GET /api/providers/<slug>/: one published provider with every fact and site;
GET /api/places/?q=: places starting with what a patient typed (the type-ahead).

The response is defined once, as TypedDicts: the view builds its rows as those
dicts (mypy checks them), and the OpenAPI document is generated from the same
types, so the two cannot drift. (Plain dicts rather than DRF serializers: a
serializer per row costs more than the query.)
"""

from datetime import date
from typing import Any, Literal, TypedDict

from django.core.paginator import InvalidPage
from django.forms import Form
from django.utils.decorators import method_decorator
from drf_spectacular.plumbing import resolve_type_hint
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from core.cache import private_page, public_page
from core.html import web_url
from directory.cards import ProviderCard, provider_cards
from directory.facts import DAYS, FACT_GROUPS, LANGUAGES, PAYMENT_OPTIONS
from directory.filters import MAX_PAGE_SIZE, MAX_PRICE_LIMIT, PageForm, PlaceQueryForm, SearchForm
from directory.gazetteer import MAX_QUERY_LENGTH, SearchedPlace
from directory.models import Location, Provider
from directory.names import MAX_NAME_QUERY_LENGTH, MAX_NAME_WORDS
from directory.search import PAGE_SIZE, RADIUS_CHOICES, SORTS, AtHomeAs, search
from directory.typeahead import MAX_SUGGESTIONS, Suggestion, suggest_places

# --- The response: one definition for the rows sent and the OpenAPI document ----


class PlaceRow(TypedDict):
    """The searched place."""

    query: str
    label: str
    latitude: float | None
    longitude: float | None
    state: str


class SiteRow(TypedDict):
    """The clinic site nearest the searched place."""

    address1: str
    city: str
    state: str
    zip: str
    latitude: float | None
    longitude: float | None


class ProviderSummary(TypedDict):
    """What every view of a provider carries. Null (or an empty list) is "not confirmed yet"."""

    id: int
    slug: str
    name: str
    url: str
    conditions: list[str]
    treatments: list[str]
    serves_states: list[str]
    accepting_new_patients: bool | None
    phone: str
    website: str
    price_min: int | None  # lowest price per session, USD
    price_max: int | None
    payment_options: list[str]  # slugs of the payment options accepted
    languages: list[str]  # ISO 639-1 codes of the languages staff speak
    kap: Literal["in-house", "partner", "not-offered"] | None
    rems_certified: bool | None
    last_verified: str | None  # ISO date


class ProviderRow(ProviderSummary):
    """A clinic or at-home service in a search."""

    distance_miles: float | None
    nearest_location: SiteRow | None


class OpeningRow(TypedDict):
    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    opens: str  # HH:MM, 24-hour, local time
    closes: str


class LocationRow(TypedDict):
    """A site where the provider sees patients."""

    address1: str
    address2: str
    city: str
    state: str
    zip: str
    latitude: float | None
    longitude: float | None
    phone: str
    opening_hours: list[OpeningRow]  # empty when not confirmed yet
    hours_note: str
    wheelchair_accessible: bool | None
    private_room: bool | None


class ProviderDetail(ProviderSummary):
    """One provider with every fact. Null (or an empty list or string) is "not confirmed yet"."""

    description: str
    email: str
    consultation_fee: int | None
    course_price: int | None
    price_includes: str
    cancellation_terms: str
    payment_declined: list[str]  # slugs of the options it confirmed it does not take
    prescriber_types: list[str]
    board_certified: bool | None
    npi: str
    medical_director: str
    medical_director_credential: str
    vitals_monitored: bool | None
    present_throughout: Literal["physician", "advanced-practice", "nurse", "remote", "none"] | None
    observation_minutes: int | None
    ride_home_required: bool | None
    consultation_required: bool | None
    referral_required: bool | None
    existing_patients_only: bool | None
    consultation_fee_refunded: bool | None
    course_sessions: int | None
    course_weeks: int | None
    course_notes: str
    in_person_evaluation: bool | None
    compounded: bool | None
    sent_home: str
    wait_days: int | None
    confirmed: dict[str, str | None]  # fact group → ISO date it was last confirmed
    locations: list[LocationRow]


class SearchResponse(TypedDict):
    """Clinics matched (count, on every page), this page of them, and every at-home option."""

    count: int
    # True when more clinics match than `count` says: a radius search, or a name search
    # with no place, stops counting at 1,000 (directory.search.COUNT_CAP), and pages
    # stop there too.
    count_capped: bool
    location: PlaceRow | None
    results: list[ProviderRow]
    at_home: list[ProviderRow]
    next: str | None
    previous: str | None


class PlaceSuggestion(TypedDict):
    """A place the patient may mean. Its value for `near`: a ZIP's five digits (the
    label's start), a city's label ("Austin, TX"), a state's label (its name)."""

    label: str  # "78701 · Austin, TX", "Austin, TX", "Texas"
    kind: Literal["zip", "city", "state"]
    state: str  # two-letter code


class PlacesResponse(TypedDict):
    """At most 8 places, the most likely first; empty when nothing matches."""

    results: list[PlaceSuggestion]


class ErrorResponse(TypedDict):
    """What was wrong with the query, by parameter."""

    errors: dict[str, list[str]]


def place_row(place: SearchedPlace | None) -> PlaceRow | None:
    if place is None:
        return None
    return {
        "query": place.query,
        "label": place.label,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "state": place.state,
    }


def suggestion_row(suggestion: Suggestion) -> PlaceSuggestion:
    return {"label": suggestion.label, "kind": suggestion.kind, "state": suggestion.state}


def site_row(site: Location | None) -> SiteRow | None:
    if site is None:
        return None
    return {
        "address1": site.address1,
        "city": site.city,
        "state": site.state_id,
        "zip": site.zip,
        "latitude": site.latitude,
        "longitude": site.longitude,
    }


def site_origin(request: Request) -> str:
    """The scheme and host `request` came by ("https://example.org"): a provider's url is
    that and its path, as request.build_absolute_uri() makes it (a path is ASCII, and
    a host that ALLOWED_HOSTS lets in too)."""
    return request.build_absolute_uri("/").removesuffix("/")


def provider_summary(card: ProviderCard, origin: str) -> ProviderSummary:
    provider = card.provider
    return {
        "id": provider.pk,
        "slug": provider.slug,
        "name": provider.name,
        "url": origin + provider.get_absolute_url(),
        "conditions": [term.slug for term in card.conditions],
        "treatments": [term.slug for term in card.treatments],
        "serves_states": card.states,
        "accepting_new_patients": provider.accepting_new_patients,
        "phone": provider.phone,
        "website": web_url(provider.website),  # never a javascript: link, even if stored
        "price_min": provider.price_min,
        "price_max": provider.price_max,
        "payment_options": card.payment_options,
        "languages": card.languages,
        "kap": provider.kap or None,  # type: ignore[typeddict-item]  # a Kap value
        "rems_certified": provider.rems_certified,
        "last_verified": iso_date(provider.last_verified),
    }


def provider_row(card: ProviderCard, origin: str) -> ProviderRow:
    return {
        **provider_summary(card, origin),
        "distance_miles": None if card.distance is None else round(card.distance, 3),
        "nearest_location": site_row(card.site),
    }


def at_home_rows(origin: str) -> AtHomeAs:
    """The at-home options as rows, kept so in each process for each host (`origin`)."""
    return AtHomeAs(
        f"api-rows:{origin}", lambda cards: [provider_row(card, origin) for card in cards]
    )


def provider_detail(card: ProviderCard, origin: str) -> ProviderDetail:
    """`card`'s provider with every fact; its payment_declined, prescriber_types and
    locations prefetched."""
    provider = card.provider
    return {
        **provider_summary(card, origin),
        "description": provider.description,
        "email": provider.email,
        "consultation_fee": provider.consultation_fee,
        "course_price": provider.course_price,
        "price_includes": provider.price_includes,
        "cancellation_terms": provider.cancellation_terms,
        # In the lists' order (the models' Meta.ordering, which prefetching keeps).
        "payment_declined": [option.slug for option in provider.payment_declined.all()],
        "prescriber_types": [kind.slug for kind in provider.prescriber_types.all()],
        "board_certified": provider.board_certified,
        "npi": provider.npi,
        "medical_director": provider.medical_director_name,
        "medical_director_credential": provider.medical_director_credential,
        "vitals_monitored": provider.vitals_monitored,
        "present_throughout": provider.present_throughout or None,  # type: ignore[typeddict-item]
        "observation_minutes": provider.observation_minutes,
        "ride_home_required": provider.ride_home_required,
        "consultation_required": provider.consultation_required,
        "referral_required": provider.referral_required,
        "existing_patients_only": provider.existing_patients_only,
        "consultation_fee_refunded": provider.consultation_fee_refunded,
        "course_sessions": provider.course_sessions,
        "course_weeks": provider.course_weeks,
        "course_notes": provider.course_notes,
        "in_person_evaluation": provider.in_person_evaluation,
        "compounded": provider.compounded,
        "sent_home": provider.sent_home,
        "wait_days": provider.wait_days,
        "confirmed": {
            group.key: iso_date(provider.confirmed_on(group.key)) for group in FACT_GROUPS
        },
        "locations": [location_row(site) for site in provider.locations.all()],
    }


def location_row(site: Location) -> LocationRow:
    return {
        "address1": site.address1,
        "address2": site.address2,
        "city": site.city,
        "state": site.state_id,
        "zip": site.zip,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "phone": site.phone,
        "opening_hours": [
            {"day": DAYS[item["day"]].lower(), "opens": item["opens"], "closes": item["closes"]}  # type: ignore[typeddict-item]
            for item in site.opening_hours
        ],
        "hours_note": site.hours,
        "wheelchair_accessible": site.wheelchair_accessible,
        "private_room": site.private_room,
    }


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def error_response(*forms_: Form) -> ErrorResponse:
    return {
        "errors": {
            field: [str(message) for message in messages]
            for form in forms_
            for field, messages in form.errors.items()
        }
    }


class AlwaysJSON(BaseContentNegotiation):
    """Answer JSON whatever ?format= or Accept asks for.

    DRF's default negotiation turns ?format=xml into a 404 and a strict Accept
    header into a 406; JSON is the only thing this API speaks.
    """

    def select_parser(self, request: Request, parsers: Any) -> BaseParser | None:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class ProviderSearchView(APIView):
    content_negotiation_class = AlwaysJSON

    @extend_schema(
        operation_id="search_providers",
        summary="Search clinics near a place (or by name) and at-home options for its state",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": MAX_NAME_QUERY_LENGTH},
                description="Words of the provider's name, or how they start; all must match, "
                'ignoring case, accents and punctuation ("mind bod" finds "Mind & Body"). '
                f"At most {MAX_NAME_WORDS} words, no control characters. Narrows a search "
                "with a place; alone, it lists the matching clinics nationwide by name and "
                "the matching at-home services wherever they treat.",
                examples=[OpenApiExample("Name", value="mind body")],
            ),
            OpenApiParameter(
                "near",
                str,
                description="ZIP, ZIP+4, City, ST, or a state.",
                examples=[
                    OpenApiExample("ZIP", value="78701"),
                    OpenApiExample("City", value="Austin, TX"),
                    OpenApiExample("State", value="TX"),
                ],
            ),
            OpenApiParameter(
                "lat",
                {"type": "number", "minimum": -90, "maximum": 90},
                description="Latitude, with lng (wins if no near).",
            ),
            OpenApiParameter(
                "lng",
                {"type": "number", "minimum": -180, "maximum": 180},
                description="Longitude, with lat.",
            ),
            OpenApiParameter("radius", int, enum=RADIUS_CHOICES, description="Miles (50)."),
            OpenApiParameter(
                "condition",
                str,
                description="A condition slug.",
                examples=[OpenApiExample("Depression", value="depression")],
            ),
            OpenApiParameter("treatment", str, many=True, description="Treatment slugs (any)."),
            OpenApiParameter("accepting", str, enum=["1", "0"], description="1: accepting only."),
            OpenApiParameter(
                "payment",
                str,
                many=True,
                enum=list(PAYMENT_OPTIONS),
                description="Payment options (any of them).",
            ),
            OpenApiParameter(
                "max_price",
                {"type": "integer", "minimum": 0, "maximum": MAX_PRICE_LIMIT},
                description="Whole dollars: lowest price per session at most this; "
                "providers with no known price are left out.",
            ),
            OpenApiParameter(
                "language",
                str,
                enum=list(LANGUAGES),
                description="ISO 639-1 code of a language staff speak.",
            ),
            OpenApiParameter(
                "kap",
                str,
                enum=["1", "0"],
                description="1: ketamine-assisted psychotherapy in-house or through a partner.",
            ),
            OpenApiParameter(
                "sort",
                str,
                enum=list(SORTS),
                description="distance (the default with a point; needs one), price (unknown "
                "last), verified (most recent first), name.",
            ),
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="1-based page of clinics."
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                description=f"Clinics per page ({PAGE_SIZE}).",
            ),
        ],
        responses={
            200: resolve_type_hint(SearchResponse),
            400: resolve_type_hint(ErrorResponse),
        },
    )
    @method_decorator(private_page)
    def get(self, request: Request) -> Response:
        form = SearchForm(request.query_params)
        paging = PageForm(request.query_params)
        form_valid, paging_valid = form.is_valid(), paging.is_valid()
        if not (form_valid and paging_valid):
            return Response(error_response(form, paging), status=400)
        origin = site_origin(request)
        try:
            results = search(
                form.search_query(),
                page=paging.cleaned_data["page"] or 1,
                page_size=paging.cleaned_data["page_size"] or PAGE_SIZE,
                strict=True,
                at_home_as=at_home_rows(origin),
            )
        except InvalidPage:
            past: ErrorResponse = {"errors": {"page": ["That page is past the last page."]}}
            return Response(past, status=400)

        url = request.build_absolute_uri()
        current = results.page
        previous = None
        if current.has_previous():
            previous = (
                replace_query_param(url, "page", current.previous_page_number())
                if current.previous_page_number() > 1
                else remove_query_param(url, "page")
            )
        body: SearchResponse = {
            "count": results.count,
            "count_capped": results.count_capped,
            "location": place_row(results.place),
            "results": [provider_row(card, origin) for card in results.clinics],
            "at_home": results.at_home,
            "next": replace_query_param(url, "page", current.next_page_number())
            if current.has_next()
            else None,
            "previous": previous,
        }
        return Response(body)


class ProviderDetailView(APIView):
    content_negotiation_class = AlwaysJSON

    @extend_schema(
        operation_id="get_provider",
        summary="One published provider, with every fact and every site",
        responses={
            200: resolve_type_hint(ProviderDetail),
            404: resolve_type_hint(ErrorResponse),
        },
    )
    @method_decorator(public_page)
    def get(self, request: Request, slug: str) -> Response:
        provider = (
            Provider.objects.published()
            .prefetch_related("payment_declined", "prescriber_types", "locations")
            .filter(slug=slug)
            .first()
        )
        if provider is None:
            missing: ErrorResponse = {"errors": {"slug": ["No published provider has this slug."]}}
            return Response(missing, status=404)
        body: ProviderDetail = provider_detail(provider_cards([provider])[0], site_origin(request))
        return Response(body)


class PlaceSuggestionsView(APIView):
    content_negotiation_class = AlwaysJSON

    @extend_schema(
        operation_id="suggest_places",
        summary="Places starting with what a patient typed: ZIP codes, cities and states",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH},
                required=True,
                description="The start of a ZIP code, a City, ST or a state (no control "
                f"characters). At most {MAX_SUGGESTIONS} places answer, the most likely first.",
                examples=[
                    OpenApiExample("ZIP prefix", value="787"),
                    OpenApiExample("City prefix", value="St Lo"),
                    OpenApiExample("State", value="tex"),
                ],
            ),
        ],
        responses={
            200: resolve_type_hint(PlacesResponse),
            400: resolve_type_hint(ErrorResponse),
        },
    )
    # The same answer for everyone (nothing in it is about who asked): shared caches may keep it.
    @method_decorator(public_page)
    def get(self, request: Request) -> Response:
        form = PlaceQueryForm(request.query_params)
        if not form.is_valid():
            return Response(error_response(form), status=400)
        body: PlacesResponse = {
            "results": [suggestion_row(s) for s in suggest_places(form.cleaned_data["q"])]
        }
        return Response(body)
