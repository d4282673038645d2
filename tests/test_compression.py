"""Pages leave the server gzip-compressed for browsers that take it, unless they could
hold a secret (core.middleware.AnonymousGZipMiddleware)."""

import gzip

import pytest
from django.http import HttpResponse, StreamingHttpResponse

from core.middleware import AnonymousGZipMiddleware
from tests.articles.test_pages import cast  # noqa: F401 - the articles a kept page shows
from tests.cast import austin_clinic
from tests.test_cache import response_cache  # noqa: F401 - the fixture the last test uses

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.mark.parametrize(
    "path",
    ["/", "/clinics/?near=78701", "/articles/", "/es/glossary/", "/api/schema/"],
)
def test_an_anonymous_page_is_compressed_and_unchanged(client, path):
    plain = client.get(path)
    packed = client.get(path, **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 2
    assert gzip.decompress(packed.content) == plain.content
    assert "Content-Encoding" not in plain


@pytest.mark.usefixtures("cast")
@pytest.mark.parametrize("kind", ["article", "profile"])
def test_a_kept_page_is_sent_compressed_as_it_was_kept(client, kind):
    # Kept for readers compressed as well (core.cache.kept_for_readers): drawn, then kept.
    path = "/articles/pain-basics/" if kind == "article" else austin_clinic().get_absolute_url()
    for _ in range(2):
        packed, plain = client.get(path, **GZIP), client.get(path)
        assert (packed["Content-Encoding"], "Content-Encoding" in plain) == ("gzip", False)
        assert "Accept-Encoding" in packed["Vary"]
        assert "Accept-Encoding" in plain["Vary"]
        assert int(packed["Content-Length"]) == len(packed.content)
        assert gzip.decompress(packed.content) == plain.content


def test_a_tiny_answer_is_sent_as_it_is(client):
    assert "Content-Encoding" not in client.get("/ping", **GZIP)


def test_nothing_is_compressed_for_a_signed_in_editor(admin_client):
    # Their pages hold a CSRF token: compressed, their sizes could give it away (BREACH).
    for path in ["/admin/", "/clinics/?near=78701"]:
        response = admin_client.get(path, **GZIP)
        assert response.status_code == 200
        assert "Content-Encoding" not in response


def test_a_page_that_sets_a_cookie_is_not_compressed(client):
    response = client.get("/admin/login/", **GZIP)
    assert response.cookies  # the CSRF cookie
    assert "Content-Encoding" not in response


@pytest.mark.usefixtures("response_cache")
def test_the_response_cache_keeps_a_gzip_copy_and_a_plain_one(client, django_assert_num_queries):
    path = "/articles/"
    packed, plain = client.get(path, **GZIP), client.get(path)
    with django_assert_num_queries(0):  # both from the cache now
        assert client.get(path, **GZIP).content == packed.content
        assert client.get(path).content == plain.content
    assert gzip.decompress(packed.content) == plain.content
    assert "Content-Encoding" not in client.get(path)


def test_a_streamed_answer_is_compressed_as_django_does_it(rf):
    # The middleware compresses pages itself (at its own level) and leaves streams
    # to Django's GZipMiddleware.
    body = [b"ketamine clinic " * 40, b"at-home service " * 40]
    middleware = AnonymousGZipMiddleware(lambda request: StreamingHttpResponse(iter(body)))
    response = middleware(rf.get("/", **GZIP))
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(response.streaming_content)) == b"".join(body)


def test_a_strong_etag_is_made_weak_when_the_page_is_compressed(rf):
    # The compressed bytes differ from the page the strong tag named (RFC 9110 8.8.1).
    def page(request):
        response = HttpResponse(b"<p>ketamine</p>" * 40)
        response["ETag"] = '"v1"'
        return response

    response = AnonymousGZipMiddleware(page)(rf.get("/", **GZIP))
    assert (response["ETag"], response["Content-Encoding"]) == ('W/"v1"', "gzip")
