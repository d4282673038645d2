"""Security headers on every page, and cookie flags in production.

The Content-Security-Policy allows scripts, styles, fonts and connections
from the site itself only, with no inline script or style; Permissions-Policy
allows geolocation ("Use my location") for the site only; no page may be framed.
"""

import re
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from articles.models import Article, Person
from tests.cast import austin_clinic
from tests.conftest import manage

pytestmark = pytest.mark.django_db

KEYWORDS = {"'self'", "'none'"}


@pytest.fixture
def public_pages():
    """name -> (path, status) for every kind of public page and response."""
    provider = austin_clinic()
    writer = Person.objects.create(name="Ada Quill", slug="ada-quill", bio="Writer.")
    reviewer = Person.objects.create(
        name="Basil Marsh", slug="basil-marsh", bio="Reviewer.", role=Person.Role.MEDICAL_REVIEWER
    )
    article = Article.objects.create(
        slug="pain-basics", title="Ketamine for pain", summary="The basics.", body="Text.",
        author=writer, reviewer=reviewer, status="published", last_reviewed=date(2026, 10, 30),
        published_at=datetime(2026, 3, 2, 14, tzinfo=UTC),
    )  # fmt: skip
    return {
        "home": ("/", 200),
        "search": ("/clinics/?near=78701&radius=25", 200),
        "bad search": ("/clinics/?near=Springfeld", 400),
        "state": ("/clinics/tx/", 200),
        "provider": (provider.get_absolute_url(), 200),
        "saved": ("/saved/", 200),
        "article": (article.get_absolute_url(), 200),
        "feed": ("/articles/feed/", 200),
        "api": ("/api/providers/?near=78701", 200),
        "api schema": ("/api/schema/", 200),
        "sitemap": ("/sitemap.xml", 200),
        "robots": ("/robots.txt", 200),
        "healthz": ("/healthz", 200),
        "not found": ("/no-such-page/", 404),
        "admin login": (reverse("admin:login"), 200),
    }


def policy(header):
    """Parse a CSP header into {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def permissions(header):
    """Parse a Permissions-Policy header into {feature: allowlist}."""
    return dict(re.findall(r"([a-z-]+)=(\([^)]*\)|\*)", header))


def assert_strict_csp(header):
    csp = policy(header)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    for directive, sources in csp.items():
        assert "'unsafe-inline'" not in sources, directive
        assert "'unsafe-eval'" not in sources, directive
        # No other origin, no scheme, no wildcard: only the keywords.
        assert set(sources) <= KEYWORDS, (directive, sources)


def assert_security_headers(response):
    assert_strict_csp(response["Content-Security-Policy"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    features = permissions(response["Permissions-Policy"])
    assert features["geolocation"] == "(self)"
    for feature in ["camera", "microphone", "payment", "usb", "browsing-topics"]:
        assert features[feature] == "()", feature
    assert "*" not in features.values()


def test_every_kind_of_page_sends_the_security_headers(client, public_pages):
    for name, (path, status) in public_pages.items():
        response = client.get(path)
        assert response.status_code == status, name
        assert_security_headers(response)


def test_headers_survive_the_page_cache(client, public_pages, settings, django_assert_num_queries):
    settings.RESPONSE_CACHE_SECONDS = 300
    for name in ["home", "provider", "article"]:
        path, _ = public_pages[name]
        assert_security_headers(client.get(path))
        with django_assert_num_queries(0):  # served from the cache
            assert_security_headers(client.get(path))


def test_editors_admin_pages_send_the_same_strict_policy(editor_client):
    provider = austin_clinic()
    for url in [
        reverse("admin:index"),
        reverse("admin:directory_provider_changelist"),
        reverse("admin:directory_provider_change", args=[provider.pk]),
        reverse("admin:articles_article_add"),
        reverse("admin:directory_provider_import"),
    ]:
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_no_page_has_inline_script_or_style(client, public_pages):
    for name, (path, _) in public_pages.items():
        html = client.get(path).content.decode()
        # JSON-LD blocks are data, never run; every other script has a src.
        for attrs in re.findall(r"<script\b([^>]*)>", html):
            assert "src=" in attrs or 'type="application/ld+json"' in attrs, (name, attrs)
        assert "<style" not in html, name
        assert not re.search(r"\sstyle=", html), name
        assert not re.search(r"\son[a-z]+=", html), name


def test_hsts_is_sent_over_https_only(client):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/")


def test_login_cookies_are_secure_http_only_and_same_site(client, editor):
    login = reverse("admin:login")
    csrf = client.get(login).cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"

    response = client.post(
        login, {"username": "eddie", "password": "a-long-editor-password", "next": "/"}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    # Ends with the browser; the server forgets it after SESSION_COOKIE_AGE.
    assert session["max-age"] == ""
    assert session["expires"] == ""
    assert client.session.get_expiry_age() == 8 * 60 * 60


@pytest.fixture
def server_editor(production_env, server_db):
    """An editor account in the database a production server uses; removed afterwards."""
    env = {**production_env, "DATABASE_URL": server_db}
    create = (
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user("
        "'server-sam', password='a-long-server-password', is_staff=True)"
    )
    manage("shell", "-c", create, env=env)
    yield "server-sam", "a-long-server-password"
    # On PostgreSQL this is the test database itself: leave nothing behind.
    remove = (
        "from django.contrib.auth import get_user_model; from axes.models import AccessLog; "
        "from django.contrib.sessions.models import Session; "
        "user = get_user_model().objects.get(username='server-sam'); "
        "[s.delete() for s in Session.objects.all() "
        "if s.get_decoded().get('_auth_user_id') == str(user.pk)]; "
        "AccessLog.objects.filter(username='server-sam').delete(); user.delete()"
    )
    manage("shell", "-c", remove, env=env)


def post(server, path, data, headers):
    """POST a form to `server` without following redirects; return (status, headers)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(
        server.url + path, data=urlencode(data).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def set_cookies(headers):
    cookies = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    return cookies


def test_production_server_sends_headers_and_secure_cookies_at_a_secret_admin_path(
    start_server, production_env, server_db, server_editor
):
    server = start_server(
        {
            **production_env,
            "DATABASE_URL": server_db,
            "DJANGO_SECURE_COOKIES": "1",
            "DJANGO_ADMIN_URL": "backstage-7f3k/",
        }
    )
    status, headers, _ = server.get("/", headers={"X-Forwarded-Proto": "https"})
    assert status == 200
    assert_strict_csp(headers["Content-Security-Policy"])
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert permissions(headers["Permissions-Policy"])["geolocation"] == "(self)"
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")

    assert server.get("/admin/")[0] == 404
    _, _, robots = server.get("/robots.txt")
    assert b"backstage" not in robots

    status, headers, body = server.get("/backstage-7f3k/login/")
    assert status == 200
    assert_strict_csp(headers["Content-Security-Policy"])
    csrf = set_cookies(headers)["csrftoken"]
    assert (csrf["secure"], csrf["samesite"]) == (True, "Lax")

    # Log in through the form, over "HTTPS" as the proxy reports it.
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    username, password = server_editor
    status, headers = post(
        server,
        "/backstage-7f3k/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={
            "Cookie": f"csrftoken={csrf.value}",
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{server.port}/backstage-7f3k/login/",
            "Host": f"127.0.0.1:{server.port}",
        },
    )
    assert status == 302, headers
    session = set_cookies(headers)["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/providers/?near=78701", {"HTTP_ACCEPT": "text/html"}),
        ("/api/providers/?near=78701&format=api", {}),
        ("/api/schema/", {"HTTP_ACCEPT": "text/html"}),
        ("/api/schema/?format=api", {}),
    ],
)
def test_the_api_never_answers_with_html(client, path, headers):
    # DRF's browsable API and Swagger UI pages would need inline script and CDNs.
    response = client.get(path, **headers)
    assert "html" not in response["Content-Type"]
    assert not response.content.lstrip().startswith(b"<")
