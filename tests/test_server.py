"""`make serve`'s configuration: gunicorn, debug off, WhiteNoise, secure headers."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(start_server, production_env, server_db):
    return start_server({**production_env, "DATABASE_URL": server_db})


def stylesheet_url(html):
    match = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert match, "no stylesheet link"
    return match.group(1)


def test_home_page_is_served_with_debug_off(server):
    status, headers, body = server.get("/")
    html = body.decode()
    assert status == 200
    assert "<h1>Find ketamine treatment you can trust</h1>" in html
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Set-Cookie" not in headers


def test_static_files_are_fingerprinted_compressed_and_cached_for_a_year(server):
    _, _, body = server.get("/")
    url = stylesheet_url(body.decode())
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url)

    status, headers, _ = server.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "br"
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]

    status, headers, _ = server.get(url, headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")


def test_unknown_page_gets_the_custom_404(server):
    status, _, body = server.get("/no-such-page/")
    assert status == 404
    assert "We couldn't find that page" in body.decode()


def test_hsts_is_sent_when_the_proxy_says_https(server):
    _, headers, _ = server.get("/", headers={"X-Forwarded-Proto": "https"})
    assert headers["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    _, headers, _ = server.get("/")
    assert "Strict-Transport-Security" not in headers


def test_unknown_host_is_refused(server):
    status, _, _ = server.get("/", headers={"Host": "evil.example"})
    assert status == 400
