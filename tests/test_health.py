"""/healthz tells a load balancer whether this server can reach its database."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_not_redirected_to_https(client, settings):
    # Probes speak plain HTTP to the host; everything else is redirected.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


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
def test_healthz_reports_503_when_the_database_is_unreachable(
    start_server, production_env, database_url
):
    server = start_server({**production_env, "DATABASE_URL": database_url})
    status, headers, body = server.get("/healthz")
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "error", "database": "unavailable"}


def test_healthz_reports_ok_on_the_production_server(start_server, production_env, server_db):
    server = start_server({**production_env, "DATABASE_URL": server_db})
    status, _, body = server.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
