"""Caching: Redis made optional at run time, and whole pages for anonymous visitors.

A cache outage never fails a request.

While Redis is unreachable every cache call answers as a miss (get → default,
add → not added, set → nothing) and the site serves uncached. The outage is
logged once when it starts and once when it ends, and Redis is retried only
every RETRY_SECONDS so requests do not each wait for a connect timeout.
"""

import hashlib
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class ResilientRedisCacheClient(RedisCacheClient):
    _down_until = 0.0
    _down = False

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
# page shows changes: every save bumps one shared version number, which is part
# of every key, so all servers stop serving the old pages at once.

VERSION_KEY = "content-version"


def content_version():
    return cache.get(VERSION_KEY) or "0"


def bump_content_version(**kwargs):
    """Signal receiver (and plain function): the content behind the pages changed."""
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def cache_anonymous(view):
    """Serve GETs without a session from the shared cache (when RESPONSE_CACHE_SECONDS > 0)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = settings.RESPONSE_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "HTTP_AUTHORIZATION" in request.META
        ):
            return view(request, *args, **kwargs)
        address = f"{request.get_host()}{request.get_full_path()}"
        key = f"response:{content_version()}:{hashlib.sha256(address.encode()).hexdigest()}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response = response.render()
            if response.status_code == 200 and not response.cookies and not response.streaming:
                cache.set(key, response, seconds)
        return response

    return wrapped
