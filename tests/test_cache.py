"""The Redis cache is optional at run time: an outage is a miss, logged once."""

import logging
import socket

import pytest
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError

from core.cache import ResilientRedisCache


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_cache(location):
    return ResilientRedisCache(
        location,
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}, "KEY_PREFIX": "test"},
    )


def test_cache_works_against_the_real_redis_server(redis_url):
    cache = make_cache(redis_url)
    try:
        cache.set("greeting", {"hello": "world"}, 30)
        assert cache.get("greeting") == {"hello": "world"}
        assert cache.add("greeting", "again") is False
        assert cache.add("counter", 0) is True
        assert cache.incr("counter") == 1
    finally:
        cache.clear()


def test_replies_are_read_by_hiredis(redis_url):
    # Redis's reply parser in C (a dependency, which redis-py uses when it is
    # installed): about 12 us less of every hit in the response cache.
    from redis._parsers import _HiredisParser

    client = make_cache(redis_url)._cache.get_client(None)
    assert client.connection_pool.connection_kwargs["parser_class"] is _HiredisParser
    assert client.ping()


def test_unreachable_redis_answers_as_a_miss_and_logs_once(caplog):
    cache = make_cache(f"redis://127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.ERROR, logger="core.cache"):
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


@pytest.fixture
def response_cache(settings):
    from django.core.cache import cache

    settings.RESPONSE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_anonymous_pages_come_from_the_cache_until_anything_changes(
    client, response_cache, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from tests.cast import austin_clinic

    provider = austin_clinic()
    url = "/clinics/?near=78701&condition=ptsd"
    first = client.get(url).content
    with django_assert_num_queries(0):
        assert client.get(url).content == first
    with django_capture_on_commit_callbacks(execute=True):
        provider.name = "Austin Ketamine Clinic Renamed"
        provider.save()  # any save drops every cached page, once it is committed
        # Until then the kept page is served: one that another worker drew now, from
        # what was committed before, would be kept under a new version and outlive it.
        with django_assert_num_queries(0):
            assert client.get(url).content == first
    assert b"Austin Ketamine Clinic Renamed" in client.get(url).content


@pytest.mark.django_db
def test_bulk_changes_drop_cached_pages_too(
    client, response_cache, django_capture_on_commit_callbacks
):
    from directory.models import Provider
    from tests.cast import austin_clinic

    provider = austin_clinic()
    assert client.get(provider.get_absolute_url()).status_code == 200
    Provider.objects.filter(pk=provider.pk).update(status=Provider.Status.CLOSED)
    from core.cache import bump_content_version

    with django_capture_on_commit_callbacks(execute=True):
        bump_content_version()  # what admin actions and imports do after update()
    assert client.get(provider.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_editors_are_never_served_cached_pages(editor_client, response_cache):
    from django.test import Client

    from directory.models import Provider
    from tests.cast import austin_clinic

    provider = austin_clinic()
    anonymous = Client()
    assert anonymous.get(provider.get_absolute_url()).status_code == 200
    # A write that bumps nothing: anonymous visitors still get the cached page …
    Provider.objects.filter(pk=provider.pk).update(status="draft")
    assert anonymous.get(provider.get_absolute_url()).status_code == 200
    # … but an editor's request never reads the cache.
    assert b"patients cannot see" in editor_client.get(provider.get_absolute_url()).content


@pytest.mark.django_db
def test_api_responses_are_cached_for_anonymous_clients(
    client, response_cache, django_assert_num_queries
):
    from tests.cast import austin_clinic

    austin_clinic()
    first = client.get("/api/providers/", {"near": "78701"}).json()
    with django_assert_num_queries(0):
        assert client.get("/api/providers/", {"near": "78701"}).json() == first


@pytest.mark.django_db
def test_without_a_response_cache_every_request_is_fresh(client, django_assert_max_num_queries):
    from tests.cast import austin_clinic

    austin_clinic()
    client.get("/clinics/?near=78701")
    with django_assert_max_num_queries(6):
        response = client.get("/clinics/?near=78701")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_cached_page_still_gets_the_site_wide_security_headers(
    client, response_cache, django_assert_num_queries
):
    from tests.cast import austin_clinic

    provider = austin_clinic()
    first = client.get(provider.get_absolute_url())
    with django_assert_num_queries(0):
        hit = client.get(provider.get_absolute_url())
    assert hit.content == first.content
    for header in [
        "Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
        "X-Content-Type-Options", "Referrer-Policy", "Cache-Control",
    ]:  # fmt: skip
        assert hit.headers.get(header) == first.headers.get(header), header
        assert hit.headers.get(header), header
    assert not hit.cookies


@pytest.mark.django_db
def test_views_not_marked_for_the_cache_always_run(
    client, response_cache, django_assert_max_num_queries
):
    client.get("/healthz")
    with django_assert_max_num_queries(5) as captured:
        assert client.get("/healthz").status_code == 200
    assert len(captured) >= 1  # it asked the database again


@pytest.mark.django_db
def test_a_page_stored_under_an_older_version_is_not_served(
    client, response_cache, django_capture_on_commit_callbacks
):
    from core.cache import bump_content_version
    from tests.cast import austin_clinic

    provider = austin_clinic()
    client.get(provider.get_absolute_url())
    type(provider).objects.filter(pk=provider.pk).update(name="Renamed Behind The Cache")
    with django_capture_on_commit_callbacks(execute=True):
        bump_content_version()
    assert b"Renamed Behind The Cache" in client.get(provider.get_absolute_url()).content


@pytest.mark.django_db
def test_which_paths_are_served_from_the_cache_is_worked_out_once_per_set_of_urls(
    client, response_cache, django_assert_num_queries
):
    from django.urls import clear_url_caches

    from core.cache import cacheable_path
    from tests.cast import austin_clinic

    austin_clinic()
    url = "/es/clinics/?near=78701"  # a Spanish path matches only in Spanish
    first = client.get(url).content
    misses = cacheable_path.cache_info().misses
    with django_assert_num_queries(0):
        assert client.get(url).content == first
    assert cacheable_path.cache_info().misses == misses  # not matched against the URLs again
    # New URLs (Django builds a new resolver when they change) are matched afresh.
    clear_url_caches()
    with django_assert_num_queries(0):
        assert client.get(url).content == first
    assert cacheable_path.cache_info().misses == misses + 1
