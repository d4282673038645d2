"""A database outage answers 503 "try again shortly", not a 500 with a traceback.

While the database is unreachable every view that needs it fails with
OperationalError (or InterfaceError on a connection that died under it). This
turns those into a 503 page with Retry-After, rendered without the database, and
logs the outage once when it starts and once when it ends, per process, rather
than a traceback per request. Django discards the broken connection at the end
of the request (errors_occurred), so the first request after the database comes
back reconnects by itself.
"""

import gzip
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware import locale
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def database_unavailable(request):
    """The 503 response: JSON for the API, the site's page for everything else."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The directory is briefly unavailable. Try again shortly."}, status=503
        )
    else:
        # No request, so no context processors: nothing on the page may need the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Django would log "Service Unavailable: <path>" for every request; the outage
    # itself is logged once below.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag
    response.database_unavailable = True  # type: ignore[attr-defined]  # read just below
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.down_since = None  # monotonic time of the first failure, while down

    def __call__(self, request):
        response = self.get_response(request)
        if (
            self.down_since is not None
            and not getattr(response, "database_unavailable", False)
            and connection.connection is not None
            and not connection.errors_occurred
        ):
            # This request used the database and nothing failed: it is back.
            logger.warning("Database is back after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.error("Database unavailable, answering 503 until it is back: %s", exception)
        return database_unavailable(request)


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, without `Vary: Accept-Language` and without redirects.

    The language is the URL's (English unprefixed, Spanish under /es/; see
    ketanet/urls.py): Django's middleware still marks every unprefixed page as
    varying by Accept-Language, which would make shared caches keep a copy per
    browser language of pages that are the same for all of them.
    """

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# Level 4 rather than Django's fixed 6: on this site's pages a search (87 KB)
# compresses in 0.64 ms instead of 1.47 ms and comes out 4% larger, an article
# (30 KB) in 0.25 ms instead of 0.57 ms, 3% larger.
GZIP_LEVEL = 4


def gzip_page(content: bytes) -> bytes:
    """A page's content compressed as the site sends it (AnonymousGZipMiddleware)."""
    return gzip.compress(content, GZIP_LEVEL, mtime=0)


def gzipped(request, response, compressed: bytes | None = None) -> HttpResponse:
    """`response`, compressed if the browser takes gzip and that makes it smaller.

    `compressed` is its content compressed already (gzip_page()), for a page kept
    that way (core.cache.kept_for_readers): compressing took a third of the time of
    a kept page.
    """
    patch_vary_headers(response, ("Accept-Encoding",))
    if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        return response
    if compressed is None:
        compressed = gzip_page(response.content)
    if len(compressed) >= len(response.content):
        return response
    response.content = compressed
    response.headers["Content-Length"] = str(len(compressed))
    if (etag := response.get("ETag")) and etag.startswith('"'):
        response.headers["ETag"] = "W/" + etag
    response.headers["Content-Encoding"] = "gzip"
    return response


class AnonymousGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for what anyone may be sent: a request without a
    session and a response that sets no cookie.

    Compressing a page that holds a secret and something the visitor typed lets an
    attacker who sees the sizes recover the secret (BREACH). Only signed-in editors
    get secrets (a CSRF token, their session), and the public forms have none
    (core/public_forms.py). Below the response cache, so that it keeps the page
    compressed (core.cache keys gzip and plain copies apart) and a hit costs no
    compressing. A page is about a fifth of its size. At GZIP_LEVEL, and without
    Django's random padding against BREACH: nothing compressed here holds a secret.
    """

    def process_response(self, request, response):
        if settings.SESSION_COOKIE_NAME in request.COOKIES or response.cookies:
            return response
        if response.streaming:
            return super().process_response(request, response)
        # What GZipMiddleware.process_response does for a page, at GZIP_LEVEL.
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        return gzipped(request, response)


class AdminNullCharacterMiddleware:
    """Refuse an admin request whose address holds a NUL character, with a 400.

    PostgreSQL can neither store nor compare text holding NUL, so a changelist's filter
    value, or an object's id in the path, holding one was a 500 there. The public
    pages' forms refuse NUL field by field (Django's ProhibitNullCharactersValidator),
    and the admin's forms do for what is posted; its lookups from the address do not.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = f"/{settings.ADMIN_URL}"

    def __call__(self, request):
        if request.path.startswith(self.prefix) and (
            "\x00" in request.path
            or any("\x00" in text for pair in request.GET.lists() for text in [pair[0], *pair[1]])
        ):
            return HttpResponseBadRequest(
                "This address holds a NUL character (%00), which nothing in the admin "
                "can hold. Remove it and try again.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
