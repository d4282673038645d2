"""The Redis cache is optional at run time: an outage is a miss, logged once."""

import logging
import socket

import pytest
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError

from ketanet.cache import ResilientRedisCache


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_cache(location):
    return ResilientRedisCache(
        location,
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}, "KEY_PREFIX": "test"},
    )


def test_cache_works_against_the_real_redis_server():
    cache = make_cache("redis://127.0.0.1:6379/9")
    try:
        cache.set("greeting", {"hello": "world"}, 30)
        assert cache.get("greeting") == {"hello": "world"}
        assert cache.add("greeting", "again") is False
        assert cache.add("counter", 0) is True
        assert cache.incr("counter") == 1
    finally:
        cache.clear()


def test_unreachable_redis_answers_as_a_miss_and_logs_once(caplog):
    cache = make_cache(f"redis://127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.ERROR, logger="ketanet.cache"):
        for _ in range(20):
            cache.set("k", "v", 30)
            assert cache.get("k", "fallback") == "fallback"
            assert cache.add("lock", 1, 1) is False
            assert cache.get_many(["a", "b"]) == {}
    assert len(caplog.records) == 1
    assert "Redis cache unavailable" in caplog.records[0].getMessage()


def test_plain_redis_cache_would_fail_the_request():
    # Why ResilientRedisCache exists: Django's own backend raises on an outage.
    cache = RedisCache(f"redis://127.0.0.1:{closed_port()}/0", {})
    with pytest.raises(ConnectionError):
        cache.get("k")
