from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from directory.api import ProviderSearchView
from ketanet import views

urlpatterns = [
    path("", include("directory.urls")),
    path("", include("articles.urls")),
    path("api/providers/", ProviderSearchView.as_view(), name="api-providers"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
