"""A database outage answers a fast 503 page, logged once, and the site recovers by itself.

The outage is real: a PostgreSQL port nobody listens on, an SQLite file that
cannot be opened. tests/resilience/ stops and starts a real server under load.
"""

import json
import logging
import re

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler
from django.http import HttpResponse
from django.template import Context, Template
from django.urls import path

from core.middleware import RETRY_AFTER_SECONDS, database_unavailable
from ketanet import urls as site_urls

pytestmark = pytest.mark.django_db

# A second database alias that cannot be opened: its errors are the driver's own.
unreachable = ConnectionHandler(
    {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/nonexistent-folder/x.sqlite3"}}
)["default"]


def fails_in_the_view(request):
    with unreachable.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("unreachable")


def rows():
    with unreachable.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchall()


def fails_in_the_template(request):
    # A lazy value evaluated while the template renders, as a QuerySet would be.
    html = Template("{% for row in rows %}{{ row }}{% endfor %}").render(Context({"rows": rows}))
    return HttpResponse(html)


def uses_the_database(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok")


urlpatterns = [
    # The site's own URLs, which the 503 page's layout links to.
    *site_urls.urlpatterns,
    path("in-view/", fails_in_the_view),
    path("in-template/", fails_in_the_template),
    path("api/in-view/", fails_in_the_view),
    path("works/", uses_the_database),
    path("divides-by-zero/", lambda request: HttpResponse(1 / 0)),
]


@pytest.fixture
def outage_urls(settings):
    settings.ROOT_URLCONF = __name__


def h1s(html):
    return re.findall(r"<h1[ >].*?</h1>", html, flags=re.S)


@pytest.mark.parametrize("url", ["/in-view/", "/in-template/"])
def test_database_error_in_a_view_or_template_gives_the_503_page(client, outage_urls, url):
    response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert h1s(html) == ["<h1>The directory is briefly unavailable</h1>"]
    assert "Traceback" not in html


def test_api_gets_a_json_503(client, outage_urls):
    response = client.get("/api/in-view/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "unavailable" in response.json()["detail"]


def test_outage_is_logged_once_when_it_starts_and_once_when_it_ends(client, outage_urls, caplog):
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            assert client.get("/in-view/").status_code == 503
        assert client.get("/works/").status_code == 200
        assert client.get("/works/").status_code == 200

    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert [(name, level) for name, level, _ in records] == [
        ("core.middleware", "ERROR"),
        ("core.middleware", "WARNING"),
    ], records  # nothing from django.request per 503
    assert "Database unavailable" in records[0][2]
    assert "unable to open database file" in records[0][2]
    assert records[1][2].startswith("Database is back")


def test_other_errors_are_left_to_the_500_handler(client, outage_urls):
    client.raise_request_exception = True
    with pytest.raises(ZeroDivisionError):
        client.get("/divides-by-zero/")


def test_503_page_renders_without_touching_the_database(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = database_unavailable(rf.get("/clinics/?near=78701"))
    assert response.status_code == 503
    assert len(h1s(response.content.decode())) == 1


# --- The production server, with its database unreachable ----------------------------------


@pytest.mark.parametrize(
    "database_url",
    [
        # A PostgreSQL server that is not there: nothing listens on port 1.
        "postgres://postgres@127.0.0.1:1/ketanet",
        # An SQLite file in a folder that does not exist cannot be opened.
        "sqlite:////nonexistent-ketanet-folder/db.sqlite3",
    ],
    ids=["postgresql-down", "sqlite-unopenable"],
)
def test_production_server_answers_503_and_logs_the_outage_once(
    start_server, production_env, database_url
):
    server = start_server({**production_env, "DATABASE_URL": database_url})

    for _ in range(3):
        status, headers, body = server.get("/clinics/?near=78701&condition=depression")
        assert status == 503
        assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert "The directory is briefly unavailable" in body.decode()
        # In the page's language: LocaleMiddleware runs before the outage is caught.
        status, headers, body = server.get("/es/clinics/?near=78701")
        assert status == 503
        assert '<html lang="es">' in body.decode()
        assert "El directorio no está disponible por un momento" in body.decode()
        status, headers, body = server.get("/api/providers/?near=78701")
        assert (status, headers["Content-Type"]) == (503, "application/json")
        assert "unavailable" in json.loads(body)["detail"]
    # Pages that need no database still work.
    assert server.get("/robots.txt")[0] == 200

    server.stop()
    log = server.log_path.read_text()
    assert log.count("Database unavailable, answering 503") == 1, log
    assert "Traceback" not in log
    assert "Internal Server Error" not in log
