"""Caching: Redis made optional at run time, and whole pages for anonymous visitors.

A cache outage never fails a request.

While Redis is unreachable every cache call answers as a miss (get → default,
add → not added, set → nothing) and the site serves uncached. The outage is
logged once when it starts and once when it ends, and Redis is retried only
every RETRY_SECONDS so requests do not each wait for a connect timeout.
"""

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, URLResolver, get_resolver, get_urlconf
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from redis.exceptions import RedisError

from core.middleware import gzip_page, gzipped
from core.models import ContentVersion

logger = logging.getLogger(__name__)

# Content pages may sit in shared caches for a few minutes; a search names a
# patient's condition and place, so only their own browser may keep it.
public_page = cache_control(public=True, max_age=300)
private_page = cache_control(private=True, max_age=300)

RETRY_SECONDS = 5.0


class ResilientRedisCacheClient(RedisCacheClient):
    _down_until = 0.0
    _down = False

    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis (and its table of ~170 reply parsers) for
        # every call; one per connection pool does the same work (clients are
        # thread-safe) and takes a tenth of a millisecond off every cache hit.
        # Both private methods are Django's, missing from django-stubs.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        clients = self.__dict__.setdefault("_clients", {})
        if (client := clients.get(id(pool))) is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def _call(self, method, fallback, *args):
        if self._down and time.monotonic() < self._down_until:
            return fallback()
        try:
            result = getattr(super(), method)(*args)
        except RedisError as error:
            if not self._down:
                logger.error("Redis cache unavailable, serving without it: %s", error)
            self._down = True
            self._down_until = time.monotonic() + RETRY_SECONDS
            return fallback()
        if self._down:
            logger.warning("Redis cache is back")
            self._down = False
        return result

    def add(self, key, value, timeout):
        return self._call("add", lambda: False, key, value, timeout)

    def get(self, key, default):
        return self._call("get", lambda: default, key, default)

    def set(self, key, value, timeout):
        return self._call("set", lambda: None, key, value, timeout)

    def touch(self, key, timeout):
        return self._call("touch", lambda: False, key, timeout)

    def delete(self, key):
        return self._call("delete", lambda: False, key)

    def get_many(self, keys):
        return self._call("get_many", dict, keys)

    def has_key(self, key):
        return self._call("has_key", lambda: False, key)

    def incr(self, key, delta):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable)")

        return self._call("incr", missing, key, delta)

    def set_many(self, data, timeout):
        return self._call("set_many", lambda: list(data), data, timeout)

    def delete_many(self, keys):
        return self._call("delete_many", lambda: None, keys)

    def clear(self):
        return self._call("clear", lambda: False)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


# --- Whole-response caching for anonymous visitors ------------------------------
# With Redis, a page an anonymous visitor asked for is kept until anything a
# page shows changes: every save bumps one shared version number, and an entry
# is served only while the version it was stored under is the current one, so
# all servers stop serving the old pages at once. The version and the page come
# back in one round trip (get_many), and a hit is answered before the session,
# CSRF and authentication middleware run: that is what makes a hit cheap.

VERSION_KEY = "content-version"
# Changed whenever what an entry holds changes, so that a deploy never serves the
# entries an older release stored ("page:" entries hold the CSP and
# Permissions-Policy headers; "response:" ones did not).
KEY_PREFIX = "page:"


# The models whose saves are waiting for one bump, within one_bump(); None outside.
bumps_due: ContextVar[list[object] | None] = ContextVar("bumps_due", default=None)


def bump_content_version(**kwargs):
    """Signal receiver (and plain function): the content behind the pages changed.

    Counts up the database's ContentVersion (the fragments pages keep) and the
    response cache's version in Redis; within one_bump(), once when it ends.
    """
    if (due := bumps_due.get()) is not None:
        due.append(kwargs.get("sender"))
        return
    ContentVersion.bump()
    # Once the change is committed: a page drawn before then, from what was stored,
    # would be kept under the new version and served until it expired.
    transaction.on_commit(new_cache_version)


def new_cache_version():
    cache.set(VERSION_KEY, str(time.time_ns()), None)


@contextmanager
def one_bump() -> Iterator[None]:
    """Within it, saves note that the content changed; leaving it bumps the version once.

    For a writer that saves many rows in one transaction (the CSV importer): each bump
    is an UPDATE of the version's row and a write to Redis at the commit, seven for
    each provider an import writes. Enter it inside the transaction, so that the bump
    is in it; an exception leaves it without bumping, as the transaction is rolled
    back anyway.
    """
    due: list[object] = []
    token = bumps_due.set(due)
    try:
        yield
    finally:
        bumps_due.reset(token)
    if due:
        bump_content_version()


class KeptPage(NamedTuple):
    version: int  # the content version read before the content (kept_for_readers)
    content: bytes
    gzipped: bytes  # as core.middleware.gzip_page() compresses it


def kept_for_readers(
    request: HttpRequest, key: str, draw: Callable[[], tuple[int, HttpResponse]]
) -> HttpResponse:
    """The page `draw()` makes, drawn once per process for readers who are not signed in.

    For pages that only a save changes (an article, a provider's profile). `draw`
    returns the content version it read before the content the page shows
    (ContentVersion.read(), or ContentVersion.column() in the page's first query)
    with the page, so nothing is kept under a number older than what it shows. The
    page is kept in the "fragments" cache with that number and served while it is
    still the version: one query, and a save anywhere makes every process draw it
    again. `key` names whatever else the page depends on; the language and the
    site's address (the page names its own absolute URL) are added here.
    Signed-in editors, who may see drafts, get it drawn each time. Only a 200 is
    kept, compressed as well, so that serving it costs no compressing.
    """
    if request.user.is_authenticated:
        return draw()[1]
    key = f"{key}:{get_language()}:{request.scheme}://{request.get_host()}"
    fragments = caches["fragments"]
    kept: KeptPage | None = fragments.get(key)
    if kept is not None and kept.version == ContentVersion.read():
        response = HttpResponse(kept.content)
    else:
        version, response = draw()
        if response.status_code != 200:
            return response
        kept = KeptPage(version, response.content, gzip_page(response.content))
        fragments.set(key, kept)
    # The same page for every reader, with no secret in it: compressed whoever asks.
    return gzipped(request, response, kept.gzipped)


def cache_anonymous(view):
    """Mark `view` as safe to serve to anonymous visitors from the response cache."""
    view.cache_anonymous = True
    return view


class AnonymousResponseCacheMiddleware:
    """Serve and store the pages of views marked with @cache_anonymous.

    Only when RESPONSE_CACHE_SECONDS > 0, for GETs without a session cookie or
    an Authorization header, and only 200 responses that set no cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.RESPONSE_CACHE_SECONDS
        if not seconds or not self.cacheable_request(request):
            return self.get_response(request)
        # A gzip copy for browsers that take one (core.middleware.AnonymousGZipMiddleware).
        encoding = (
            "gzip" if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else ""
        )
        address = f"{request.get_host()}{request.get_full_path()} {encoding}"
        key = f"{KEY_PREFIX}{hashlib.sha256(address.encode()).hexdigest()}"
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or "0"
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            _, status, headers, content = entry
            return HttpResponse(content, status=status, headers=headers)
        response = self.get_response(request)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            cache.set(key, (version, 200, dict(response.items()), response.content), seconds)
        return response

    @staticmethod
    def cacheable_request(request):
        if request.method != "GET":
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
            return False
        return cacheable_path(get_resolver(get_urlconf()), get_language(), request.path_info)


@functools.lru_cache(maxsize=1024)
def cacheable_path(resolver: URLResolver, language: str, path: str) -> bool:
    """Whether `path` is a view marked with @cache_anonymous. Kept per process: matching
    a path against the URL patterns took 20-25 us, a tenth of what a hit costs beyond
    the trivial view. The resolver is Django's own, built anew when the URLs change;
    the language decides which of the /es/ paths match."""
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "cache_anonymous", False)
