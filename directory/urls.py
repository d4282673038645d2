from django.urls import path, register_converter
from django.views.generic import TemplateView

from core.cache import cache_anonymous
from core.i18n import switch_keeps_query
from directory import feedback, proposal_views, views
from directory.api import PlaceSuggestionsView, ProviderDetailView, ProviderSearchView


class StateCodeConverter:
    """A state's code in a URL: two lower-case letters (/clinics/tx/)."""

    regex = "[a-z]{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(StateCodeConverter, "state")

urlpatterns = [
    path("", views.home, name="home"),
    path("clinics/", switch_keeps_query(views.clinic_search), name="clinics"),
    path("clinics/<state:state>/", views.state_landing, name="state-landing"),
    path("clinics/<state:state>/<slug:city>/", views.city_landing, name="city-landing"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider-detail"),
    path("providers/<slug:slug>/report/", feedback.ReportView.as_view(), name="provider-report"),
    path(
        "providers/<slug:slug>/report/sent/",
        feedback.ReportSentView.as_view(),
        name="provider-report-sent",
    ),
    path("suggest/", feedback.SuggestionView.as_view(), name="suggest"),
    path(
        "suggest/sent/",
        TemplateView.as_view(template_name="directory/suggest_sent.html"),
        name="suggest-sent",
    ),
    path(
        "providers/<slug:slug>/update/",
        proposal_views.ProviderUpdateView.as_view(),
        name="provider-update",
    ),
    path(
        "providers/<slug:slug>/update/sent/",
        proposal_views.provider_update_sent,
        name="provider-update-sent",
    ),
    path("confirm/<str:token>/", proposal_views.proposal_confirm, name="proposal-confirm"),
    path("compare/", switch_keeps_query(views.compare_providers), name="compare"),
    path("saved/", views.saved_providers, name="saved"),
    path("conditions/<slug:slug>/", views.condition_landing, name="condition-landing"),
]

# Not under /es/: the API keeps one address and its English names (ketanet/urls.py).
api_urlpatterns = [
    path("api/providers/", cache_anonymous(ProviderSearchView.as_view()), name="api-providers"),
    path("api/places/", cache_anonymous(PlaceSuggestionsView.as_view()), name="api-places"),
    path(
        "api/providers/<str:slug>/",
        cache_anonymous(ProviderDetailView.as_view()),
        name="api-provider-detail",
    ),
]
