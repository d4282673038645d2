"""GET /api/providers/: the search as JSON, with the same inputs as /clinics/.

The response is defined once, as TypedDicts: the view builds its rows as those
dicts (mypy checks them), and the OpenAPI document is generated from the same
types, so the two cannot drift. (Plain dicts rather than DRF serializers: a
serializer per row costs more than the query.)
"""

from typing import Any, TypedDict

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

from core.cache import private_page
from core.html import web_url
from directory.cards import ProviderCard
from directory.filters import MAX_PAGE_SIZE, PageForm, SearchForm
from directory.gazetteer import SearchedPlace
from directory.models import Location
from directory.search import PAGE_SIZE, RADIUS_CHOICES, search

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


class ProviderRow(TypedDict):
    """A clinic or at-home service."""

    id: int
    slug: str
    name: str
    url: str
    distance_miles: float | None
    nearest_location: SiteRow | None
    conditions: list[str]
    treatments: list[str]
    serves_states: list[str]
    accepting_new_patients: bool | None
    phone: str
    website: str


class SearchResponse(TypedDict):
    """Clinics matched (count, on every page), this page of them, and every at-home option."""

    count: int
    location: PlaceRow | None
    results: list[ProviderRow]
    at_home: list[ProviderRow]
    next: str | None
    previous: str | None


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


def provider_row(card: ProviderCard, request: Request) -> ProviderRow:
    provider = card.provider
    return {
        "id": provider.pk,
        "slug": provider.slug,
        "name": provider.name,
        "url": request.build_absolute_uri(provider.get_absolute_url()),
        "distance_miles": None if card.distance is None else round(card.distance, 3),
        "nearest_location": site_row(card.site),
        "conditions": [term.slug for term in card.conditions],
        "treatments": [term.slug for term in card.treatments],
        "serves_states": card.states,
        "accepting_new_patients": provider.accepting_new_patients,
        "phone": provider.phone,
        "website": web_url(provider.website),  # never a javascript: link, even if stored
    }


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
        summary="Search clinics near a place and at-home options for its state",
        parameters=[
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
        try:
            results = search(
                form.search_query(),
                page=paging.cleaned_data["page"] or 1,
                page_size=paging.cleaned_data["page_size"] or PAGE_SIZE,
                strict=True,
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
            "location": place_row(results.place),
            "results": [provider_row(card, request) for card in results.clinics],
            "at_home": [provider_row(card, request) for card in results.at_home],
            "next": replace_query_param(url, "page", current.next_page_number())
            if current.has_next()
            else None,
            "previous": previous,
        }
        return Response(body)
