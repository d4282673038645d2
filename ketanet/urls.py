from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from core.cache import cache_anonymous, public_page
from directory.urls import api_urlpatterns
from ketanet import views
from ketanet.sitemaps import SITEMAPS

# The pages patients read: English at their original addresses, Spanish under /es/.
# The API, health checks, sitemap and admin have one address each (and English).
urlpatterns = [
    *i18n_patterns(
        path("", include("directory.urls")),
        path("", include("articles.urls")),
        # The scripts' own messages (static/js), in the page's language.
        path(
            "jsi18n/",
            cache_anonymous(public_page(JavaScriptCatalog.as_view())),
            name="javascript-catalog",
        ),
        prefix_default_language=False,
    ),
    path("", include(api_urlpatterns)),
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
