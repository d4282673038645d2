from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ketanet import views
from ketanet.sitemaps import SITEMAPS

urlpatterns = [
    path("", include("directory.urls")),
    path("", include("articles.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
]
