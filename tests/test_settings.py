"""Settings come from the environment, with secure defaults and loud mistakes."""

import json
import re
import subprocess
import sys

import pytest
from django.db import connection

from tests.conftest import BASE_DIR, clean_env


def load_settings(*names, **env):
    """Import ketanet.settings in a fresh interpreter with exactly `env`."""
    code = (
        "import json, ketanet.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode:
        return None, result.stderr
    return json.loads(result.stdout), result.stderr


def test_debug_off_without_secret_key_refuses_to_start():
    values, stderr = load_settings("SECRET_KEY")
    assert values is None
    assert "ImproperlyConfigured" in stderr
    assert "DJANGO_SECRET_KEY is not set" in stderr


def test_debug_on_without_secret_key_starts_for_development():
    values, _ = load_settings("DEBUG", "SECRET_KEY", DJANGO_DEBUG="1")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure")


def test_debug_is_off_by_default_with_secure_defaults():
    values, _ = load_settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "ALLOWED_HOSTS",
        DJANGO_SECRET_KEY="x" * 50,
    )
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "ALLOWED_HOSTS": ["localhost", "127.0.0.1", "[::1]"],
    }


def test_plain_http_turns_off_only_redirect_and_secure_cookies():
    values, _ = load_settings(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="false",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 31_536_000,
    }


def test_unreadable_boolean_is_a_clear_error():
    values, stderr = load_settings("DEBUG", DJANGO_DEBUG="maybe")
    assert values is None
    assert "DJANGO_DEBUG must be true or false" in stderr


def test_database_url_is_honoured_for_postgresql():
    values, _ = load_settings(
        "DATABASES",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://ketanet:pw@db.internal:6543/ketanet_prod",
    )
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "core.postgresql"  # Django's, its health check without a query
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        6543,
        "ketanet_prod",
        "ketanet",
    )
    # Persistent connections, checked before reuse, and a bounded connect wait.
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"]["connect_timeout"] == 3


def test_postgresql_queries_start_no_parallel_workers_nor_jit_unless_asked():
    url = "postgres://ketanet:pw@db.internal:5432/ketanet_prod"
    values, _ = load_settings("DATABASES", DJANGO_DEBUG="1", DATABASE_URL=url)
    options = values["DATABASES"]["default"]["OPTIONS"]
    assert options["options"] == "-c max_parallel_workers_per_gather=0 -c jit=off"

    # A server kept for long reports may allow them; options in the URL are kept.
    values, _ = load_settings(
        "DATABASES",
        DJANGO_DEBUG="1",
        DATABASE_URL=url + "?options=-c%20statement_timeout%3D5000",
        DATABASE_PARALLEL_WORKERS="2",
        DATABASE_JIT="1",
    )
    options = values["DATABASES"]["default"]["OPTIONS"]
    assert options["options"] == (
        "-c statement_timeout=5000 -c max_parallel_workers_per_gather=2 -c jit=on"
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server setting")
def test_the_postgresql_connection_starts_no_parallel_workers_nor_jit(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_database_url_is_honoured_for_sqlite(tmp_path):
    path = tmp_path / "other.sqlite3"
    values, _ = load_settings("DATABASES", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{path}")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(path)


def test_default_database_is_sqlite_under_var():
    values, _ = load_settings("DATABASES", DJANGO_DEBUG="1")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")


def test_redis_url_selects_the_redis_cache():
    values, _ = load_settings("CACHES", DJANGO_DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/3")
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "core.cache.ResilientRedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_without_redis_url_the_cache_is_local_memory():
    values, _ = load_settings("CACHES", DJANGO_DEBUG="1")
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_this_test_run_uses_the_database_from_database_url(settings):
    expected = "postgresql" if settings.DATABASE_URL.startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_every_environment_variable_is_documented_in_env_example():
    documented = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    read = set()
    for source in ["ketanet/settings.py", "ketanet/gunicorn.conf.py"]:
        text = (BASE_DIR / source).read_text()
        read |= set(re.findall(r"env_\w+\(\s*\"([A-Z_]+)\"", text))
        read |= set(re.findall(r"environ\.get\(\s*\"([A-Z_]+)\"", text))
    assert read, "found no environment variables; the pattern is out of date"
    assert read - documented == set()


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean_env(DJANGO_SECRET_KEY="k" * 20 + "-production-like-secret-" + "z" * 20),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
