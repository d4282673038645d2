"""GET /api/providers/: the search as JSON, with the same inputs as /clinics/.

Rows are built as plain dicts (a serializer per row costs more than the query);
the serializers below describe the shape for the OpenAPI document.
"""

from django import forms
from django.core.paginator import InvalidPage
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.cache import private_page
from core.html import web_url
from directory.filters import RADIUS_CHOICES, ProviderFilter
from directory.models import Provider
from directory.search import search

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageForm(forms.Form):
    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


# --- The response, described for the OpenAPI document ---------------------------


class LocationSerializer(serializers.Serializer):
    query = serializers.CharField()
    label = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    state = serializers.CharField()


class NearestLocationSerializer(serializers.Serializer):
    address1 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    zip = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)


class ProviderResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    distance_miles = serializers.FloatField(allow_null=True)
    nearest_location = NearestLocationSerializer(allow_null=True)
    conditions = serializers.ListField(child=serializers.CharField())
    treatments = serializers.ListField(child=serializers.CharField())
    serves_states = serializers.ListField(child=serializers.CharField())
    accepting_new_patients = serializers.BooleanField(allow_null=True)
    phone = serializers.CharField()
    website = serializers.CharField()


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Clinics matched, on every page.")
    location = LocationSerializer(allow_null=True)
    results = ProviderResultSerializer(many=True, help_text="This page of clinics.")
    at_home = ProviderResultSerializer(many=True, help_text="Every at-home option.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ErrorResponseSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


# --- Building it -----------------------------------------------------------------


def location_json(location):
    if location is None:
        return None
    return {
        "query": location.query,
        "label": location.label,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "state": location.state,
    }


def provider_json(provider, request, *, at_home=False):
    site = None if at_home else provider.nearest_location
    distance = getattr(provider, "distance", None)
    return {
        "id": provider.pk,
        "slug": provider.slug,
        "name": provider.name,
        "url": request.build_absolute_uri(provider.get_absolute_url()),
        "distance_miles": None if at_home or distance is None else round(distance, 3),
        "nearest_location": None
        if site is None
        else {
            "address1": site.address1,
            "city": site.city,
            "state": site.state_id,
            "zip": site.zip,
            "latitude": site.latitude,
            "longitude": site.longitude,
        },
        "conditions": [term.slug for term in provider.conditions_list],
        "treatments": [term.slug for term in provider.treatments_list],
        "serves_states": provider.states_list,
        "accepting_new_patients": provider.accepting_new_patients,
        "phone": provider.phone,
        "website": web_url(provider.website),  # never a javascript: link, even if stored
    }


def error_json(*forms_):
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

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ProviderSearchView(GenericAPIView):
    queryset = Provider.objects.published().for_cards()
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
                description="Clinics per page (20).",
            ),
        ],
        responses={200: SearchResponseSerializer, 400: ErrorResponseSerializer},
    )
    @method_decorator(private_page)
    def get(self, request):
        filterset = ProviderFilter(request.query_params, queryset=self.get_queryset())
        paging = PageForm(request.query_params)
        filters_valid, paging_valid = filterset.is_valid(), paging.is_valid()
        if not (filters_valid and paging_valid):
            return Response(error_json(filterset.form, paging), status=400)
        page = paging.cleaned_data["page"] or 1
        page_size = paging.cleaned_data["page_size"] or DEFAULT_PAGE_SIZE
        try:
            results = search(filterset, page=page, page_size=page_size, strict=True)
        except InvalidPage:
            return Response({"errors": {"page": ["That page is past the last page."]}}, status=400)

        url = request.build_absolute_uri()
        current = results.page
        return Response(
            {
                "count": results.count,
                "location": location_json(results.location),
                "results": [provider_json(p, request) for p in results.clinics],
                "at_home": [provider_json(p, request, at_home=True) for p in results.at_home],
                "next": replace_query_param(url, "page", current.next_page_number())
                if current.has_next()
                else None,
                "previous": (
                    replace_query_param(url, "page", current.previous_page_number())
                    if current.previous_page_number() > 1
                    else remove_query_param(url, "page")
                )
                if current.has_previous()
                else None,
            }
        )


def blank_means_absent(result, generator, request, public):
    """drf-spectacular hook: document that an empty query value counts as not given.

    The search form is a Django form, so `?accepting=&page=` is the same as
    no accepting and no page, as it is when a browser submits a blank field.
    """
    for path in result["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    parameter["allowEmptyValue"] = True
    return result
