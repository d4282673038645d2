"""Site-wide views."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
@never_cache
def healthz(request):
    """Report whether this server can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("Health check: database unavailable: %s", exc)
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response._has_been_logged = True  # type: ignore[attr-defined]  # the line above; not Django's too, per probe
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
def robots_txt(request):
    """Keep crawlers out of the API and search results; point them at the sitemap.

    The admin is left out: robots.txt is public, and the admin's path may be a
    secret (DJANGO_ADMIN_URL). Its pages ask not to be indexed themselves.
    """
    lines = [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /clinics/?",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap-index'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def ping(request):
    """Answer "ok" with no database and no template: the benchmark's yardstick."""
    return HttpResponse("ok", content_type="text/plain")
