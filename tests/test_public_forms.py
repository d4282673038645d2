"""The guards every public form shares (core/public_forms.py), through /suggest/.

A honeypot, a minimum fill time, a signed start time, a refusal of posts from
other sites without any cookie, and a per-address rate limit that every server
shares through Redis.
"""

import re
import time
import urllib.parse
import urllib.request

import pytest
import redis

from core.public_forms import HONEYPOT_FILLED, NOT_CHECKED, TOO_FAST, form_token
from directory.submissions import Submission
from tests.conftest import get

pytestmark = pytest.mark.django_db

URL = "/suggest/"


def suggestion(started=None, **fields):
    return {
        "name": "Lakeside Ketamine Center",
        "state": "WI",
        "details": "Some words we must not lose.",
        "started": form_token("suggest", issued_at=time.time() - 60)
        if started is None
        else started,
        **fields,
    }


def started_in(html):
    return re.search(r'name="started" value="([^"]+)"', html).group(1)


def assert_sent_back(response, message):
    assert response.status_code == 400
    html = response.content.decode()
    assert message in response.context["form"].non_field_errors()
    assert 'role="alert"' in html
    assert "Some words we must not lose." in html  # nothing typed is lost
    assert not Submission.objects.exists()
    return html


def test_the_form_carries_a_signed_start_time_and_a_hidden_honeypot(client):
    html = client.get(URL).content.decode()
    assert started_in(html)
    assert 'class="hp" aria-hidden="true"' in html
    assert 'name="homepage"' in html
    assert 'tabindex="-1"' in html


def test_a_filled_honeypot_is_refused(client):
    assert_sent_back(client.post(URL, suggestion(homepage="http://spam.example")), HONEYPOT_FILLED)


def test_a_post_faster_than_a_person_is_refused_and_can_be_sent_again(client, settings):
    settings.FORM_MIN_FILL_SECONDS = 3
    html = assert_sent_back(
        client.post(URL, suggestion(started=form_token("suggest", issued_at=time.time() - 1))),
        TOO_FAST,
    )
    # The same start time comes back, so once a person has taken their time it goes through.
    token = started_in(html)
    assert client.post(URL, suggestion(started=token)).status_code == 400
    later = suggestion(started=form_token("suggest", issued_at=time.time() - 4))
    assert client.post(URL, later).status_code == 303


@pytest.mark.parametrize(
    "started",
    [
        "",
        "not-a-token",
        form_token("report", issued_at=time.time() - 60),  # another form's
        form_token("suggest", issued_at=time.time() - 60)[:-2] + "xx",  # tampered
        form_token("suggest", issued_at=time.time() - 25 * 60 * 60),  # open too long
    ],
    ids=["missing", "garbage", "other form", "tampered", "expired"],
)
def test_a_missing_or_bad_start_time_is_refused_with_a_fresh_one(client, started):
    html = assert_sent_back(client.post(URL, suggestion(started=started)), NOT_CHECKED)
    assert started_in(html) != started


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_a_post_from_another_site_is_refused(client, headers):
    response = client.post(URL, suggestion(), **headers)
    assert response.status_code == 403
    assert "only be sent from ketanet" in response.content.decode()
    assert "Some words we must not lose." in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_SEC_FETCH_SITE": "same-origin"}, {"HTTP_ORIGIN": "http://testserver"}, {}],
)
def test_a_post_from_the_site_itself_goes_through(client, headers):
    assert client.post(URL, suggestion(), **headers).status_code == 303


def test_no_cookie_is_set_by_showing_refusing_or_filing(client):
    responses = [
        client.get(URL),
        client.post(URL, suggestion(name="")),
        client.post(URL, suggestion(), HTTP_ORIGIN="https://evil.example"),
        client.post(URL, suggestion()),
    ]
    assert [response.cookies for response in responses] == [{}, {}, {}, {}]
    assert not client.cookies


def test_the_sixth_post_in_an_hour_from_one_address_gets_429(client):
    statuses = [
        client.post(URL, suggestion(), REMOTE_ADDR="203.0.113.7").status_code for _ in range(5)
    ]
    assert statuses == [303] * 5
    response = client.post(URL, suggestion(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    html = response.content.decode()
    assert "try again after" in html
    assert "Some words we must not lose." in html  # the form is kept to copy from
    assert Submission.objects.count() == 5
    # Another address, and another form from the same address, are counted apart.
    assert client.post(URL, suggestion(), REMOTE_ADDR="203.0.113.8").status_code == 303
    assert client.get(URL, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_bad_posts_count_towards_the_limit_too(client):
    for _ in range(5):
        assert client.post(URL, {"name": ""}, REMOTE_ADDR="198.51.100.4").status_code == 400
    assert client.post(URL, suggestion(), REMOTE_ADDR="198.51.100.4").status_code == 429
    assert not Submission.objects.exists()


def test_the_address_is_not_kept_in_the_cache_in_the_clear(client):
    from django.core.cache import cache

    client.post(URL, suggestion(), REMOTE_ADDR="192.0.2.55")
    keys = list(getattr(cache, "_cache", {}))
    assert keys, "the rate limit counts in the cache"
    assert not [key for key in keys if "192.0.2.55" in key]


def post_form(url, data, headers=None):
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_server_process_shares_the_limit_through_redis(
    start_server, production_env, server_db, redis_url
):
    connection = redis.Redis.from_url(redis_url)
    try:
        connection.flushdb()
    except redis.ConnectionError:
        pytest.fail("Redis must run at 127.0.0.1:6379 for this test (as in CI)")
    env = {
        **production_env,
        "DATABASE_URL": server_db,
        "REDIS_URL": redis_url,
        "FORM_MIN_FILL_SECONDS": "0",
    }
    server = start_server(env, workers=3)
    status, _, body = get(server.url + URL)
    assert status == 200
    token = started_in(body.decode())
    # Five bad posts (nothing is written) over fresh connections, which gunicorn's
    # three workers share out; the sixth, whichever worker takes it, is refused.
    data = {"name": "", "state": "WI", "started": token}
    statuses = [post_form(server.url + URL, data) for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert server.log_path.read_text().count("Booting worker") == 3
    connection.flushdb()


def test_an_oversized_post_is_refused_with_400_not_500(client):
    response = client.post(URL, suggestion(details="x" * (3 * 1024 * 1024)))
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_null_characters_are_refused_by_their_field(client):
    response = client.post(URL, suggestion(name="Lake\x00side"))
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.context["form"].errors["name"]


def test_with_the_cache_down_posts_are_let_through_not_refused(client, settings):
    from tests.conftest import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    statuses = [
        client.post(URL, suggestion(), REMOTE_ADDR="192.0.2.9").status_code for _ in range(7)
    ]
    assert statuses == [303] * 7
    assert Submission.objects.count() == 7


@pytest.mark.parametrize("form", ["report", "suggest", "update"])
def test_every_public_form_takes_a_post_without_any_csrf_cookie(form, settings):
    """Django's token check would refuse these; the origin check stands in for it."""
    from django.test import Client

    from tests import cast

    settings.FORM_MIN_FILL_SECONDS = 0
    clinic = cast.austin_clinic()
    client = Client(enforce_csrf_checks=True)
    path = {
        "report": f"/providers/{clinic.slug}/report/",
        "suggest": URL,
        "update": f"/providers/{clinic.slug}/update/",
    }[form]
    response = client.post(path, {"started": form_token(form)}, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 400  # the form's own errors, not CSRF's 403
    assert client.post(path, {}, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert not client.cookies
