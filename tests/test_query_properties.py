"""Every public query string, however odd, answers 200 or a 400 that says why; never a 500.

Property-based (hypothesis): each parameter of /clinics/, /api/providers/,
/articles/ and the landing pages draws from real values (ZIPs, "City, ST",
condition slugs), edge values (0, negatives, huge numbers, NaN, "1e309",
Unicode digits) and hostile text (NUL, control characters, long strings,
percent-encoded garbage, repeated and unknown parameters).

Profiles: the default runs 150 derandomized examples per test, so every run
(and CI) tries the same inputs; HYPOTHESIS_PROFILE=thorough runs 2,000 fresh
random ones per test to explore.
"""

import json
import os
import string
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from articles.models import Article, Citation, Person
from directory.models import Condition
from tests.directory.test_api import TOP_KEYS

pytestmark = pytest.mark.django_db

PROFILES = {
    "default": settings(max_examples=150, derandomize=True),
    "thorough": settings(max_examples=2000, derandomize=False),
}
FUZZ = settings(
    PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "default")],
    deadline=None,
    database=None,  # derandomized runs need no memory; no .hypothesis/ in the tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)

FIXTURES = Path(django_settings.BASE_DIR) / "fixtures"


def slugs(fixture):
    return [row["fields"]["slug"] for row in json.loads((FIXTURES / fixture).read_text())]


CONDITIONS = slugs("conditions.json")
TREATMENTS = slugs("treatments.json")

# Values a visitor or a number parser might trip over, tried in every parameter.
EDGE = [
    "", " ", "\t", "0", "-1", "1", "+1", " 25 ", "25.0", "1.5", "1_000", "0x10", "1e3",
    "1e309", "-1e309", "NaN", "nan", "inf", "-inf", "Infinity", str(2**63), str(-(2**63)),
    str(2**64), "9" * 400, "9" * 5000, "x" * 5000,
    "７８７０１", "٧٨٧٠١", "٢٥", "３０.２７",  # digits int() and float() accept, but no ZIP
    "\x00", "a\x00b", "78701\x00", "\x1b[31m\r\n\t\x7f", "\u200b78701", "\ufeff", "%00", "%",
    "null", "None", "true", "[]", "{}", "' OR '1'='1'; --", '<script>alert("x")</script>',
    "😀🔥 Austin, TX",
]  # fmt: skip
# Values the search accepts: a query made of these alone reaches the database.
REAL = {
    "near": [
        "78701", "78701-1234", "787011234", "78664", "10001", "Austin, TX", "austin tx",
        "Round Rock, TX", "St. Louis, MO", "TX", "tx", "Texas", "Ohio", "OH", "Columbus, OH",
        "Anchorage, AK", "Honolulu, HI", "PR", "Springfield, IL",
    ],
    "radius": ["10", "25", "50", "100", "250"],
    "condition": CONDITIONS,
    "treatment": TREATMENTS,
    "accepting": ["1", "0"],
    "page": ["1", "2"],
    "page_size": ["1", "2", "20", "100"],
    "at_home": ["all", "some"],
    "p": ["1", "2"],  # a sitemap's page
    "q": ["austin", "Round Rock", "KETAMINE clin", "lone star", "Clínica", "mind & body", "r"],
}  # fmt: skip
# Plausible but wrong: refused with a message (or, for a page, shown as the last page).
NEAR_MISSES = {
    "near": ["99999", "00000", "Springfeld", "Springfield", "Austin, ZZ", ", TX", "78701-12"],
    "lat": ["90", "-90", "0", "90.0001", "-91"],
    "lng": ["180", "-180", "0", "180.0001", "-181"],
    "radius": ["0", "5", "51", "-50", "25 miles"],
    "condition": ["no-such-condition", "Depression", "depression "],
    "treatment": ["no-such-treatment", "IV-INFUSION"],
    "accepting": ["on", "yes", "true", "2"],
    "page": ["0", "-1", "999", "last", "1.0"],
    "page_size": ["0", "101", "-1", "20.5"],
    "at_home": ["ALL", "all "],
    "p": ["0", "-1", "999"],
    "q": ["zebra", "!!!", "&", "a b c d e f g h i", "x" * 101, "a\x1bb", "'", "%_"],
}  # fmt: skip
# U.S. points (Austin, New York, Anchorage, Honolulu, Adak by the 180th meridian, San Juan).
POINTS = [
    (30.27, -97.74), (30.2672, -97.7431), (40.7, -74.0), (61.2, -149.9), (21.3, -157.8),
    (51.88, -176.6), (18.4, -66.1),
]  # fmt: skip
# Names other sites, frameworks and trackers use (DRF reads ?format=, for one).
OTHER_PARAMS = [
    "format", "search", "ordering", "limit", "offset", "cursor", "callback", "_",
    "utm_source", "fbclid", "gclid", "lang", "csrfmiddlewaretoken", "page_size", "p",
]  # fmt: skip
HTML_PARAMS = ["near", "lat", "lng", "radius", "condition", "treatment", "accepting", "page", "q"]
SEARCH_PARAMS = [*HTML_PARAMS, "at_home"]
API_PARAMS = [*HTML_PARAMS, "page_size"]

# Text anywhere in Unicode but the lone surrogates, which no URL can carry.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
long_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=90, max_size=400)
odd_value = st.one_of(
    st.sampled_from(EDGE),
    any_text,
    long_text,
    st.integers().map(str),
    st.floats().map(str),
)

# A place: typed, or a browser's position (a known point, anywhere in the
# contiguous states, or anywhere on Earth).
point = st.one_of(
    st.sampled_from(POINTS),
    st.tuples(st.floats(24.5, 49.0), st.floats(-124.7, -67.0)),
    st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
).map(lambda p: {"lat": [str(p[0])], "lng": [str(p[1])]})
place = st.one_of(
    st.just({}), st.sampled_from(REAL["near"]).map(lambda near: {"near": [near]}), point
)


def real_values(param):
    return st.lists(st.sampled_from(REAL[param]), min_size=1, max_size=2)


def any_values(param):
    known = REAL.get(param, []) + NEAR_MISSES.get(param, [])
    return st.lists(st.one_of(st.sampled_from(known), odd_value), min_size=1, max_size=3)


def query_params(params):
    """A dict of (possibly repeated) values per parameter, and perhaps unknown parameters.

    A third of the queries use real values only (to reach the distance search), a
    third put one odd value among real ones, a third draw every value anywhere.
    """
    filters = [name for name in params if name in REAL and name != "near"]

    def real_query():
        terms = st.fixed_dictionaries({}, optional={name: real_values(name) for name in filters})
        if "near" not in params:
            return terms
        return st.tuples(place, terms).map(lambda drawn: {**drawn[0], **drawn[1]})

    one_odd = st.tuples(
        real_query(), st.sampled_from(params), st.lists(odd_value, min_size=1, max_size=2)
    ).map(lambda drawn: {**drawn[0], drawn[1]: drawn[2]})
    anything = st.fixed_dictionaries({}, optional={name: any_values(name) for name in params})
    known = st.one_of(real_query(), one_odd, anything)
    unknown = st.dictionaries(
        st.one_of(st.sampled_from(OTHER_PARAMS), any_text.filter(bool)),
        st.lists(
            st.one_of(st.sampled_from(["json", "api", "xml", "html", "1"]), any_text),
            min_size=1,
            max_size=3,
        ),
        max_size=2,
    )
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


# Raw query strings: percent-encoded bytes that need not be UTF-8, stray "%", "&", "=", ";".
percent_bytes = st.binary(max_size=12).map(lambda data: "".join(f"%{b:02X}" for b in data))
raw_piece = st.one_of(
    percent_bytes,
    st.text(string.ascii_letters + string.digits + "%&=;+-._~!$'()*,/:?@[]", max_size=20),
    st.sampled_from(["%", "%zz", "%E0%A4", "%FF%FE", "%C0%80", "%ED%A0%80", "%00", "+", "=&"]),
)
raw_pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from([*API_PARAMS, "at_home"]), raw_piece), raw_piece),
    max_size=6,
)
raw_query = raw_pairs.map(lambda pairs: "&".join(f"{key}={value}" for key, value in pairs))


@pytest.fixture
def articles():
    """A published article about depression, so the index's filter has rows to pick from."""
    writer = Person.objects.create(name="Ada Quill", slug="ada-quill", bio="Writer.")
    reviewer = Person.objects.create(
        name="Basil Marsh", slug="basil-marsh", bio="Reviewer.", credentials="MD",
        role=Person.Role.MEDICAL_REVIEWER,
    )  # fmt: skip
    item = Article.objects.create(
        slug="safety", title="Is ketamine safe?", summary="Safety.", body="Text [cite:1].",
        author=writer, reviewer=reviewer, status="published", last_reviewed=date(2026, 10, 30),
        published_at=datetime(2026, 3, 5, 14, tzinfo=UTC),
    )  # fmt: skip
    item.conditions.set(Condition.objects.filter(slug="depression"))
    Citation.objects.create(article=item, position=1, text="A source.")


class Errors(HTMLParser):
    """The text of a page's error messages (the summary's items and the fields' own)."""

    def __init__(self, html):
        super().__init__()
        self.messages, self.depth, self.inside = [], 0, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.inside:
            self.depth += 1
        elif "field__error" in classes or "error-summary" in classes:
            self.inside, self.depth = True, 1
            self.messages.append("")

    def handle_endtag(self, tag):
        if self.inside:
            self.depth -= 1
            self.inside = self.depth > 0

    def handle_data(self, data):
        if self.inside:
            self.messages[-1] += data


def fetch(client, path, query):
    """GET path?query inside a savepoint, so one database error cannot spoil the next example."""
    with transaction.atomic():
        return client.get(f"{path}?{query}" if query else path)


def assert_html_answer(response, statuses=(200, 400)):
    event(f"HTML {response.status_code}")
    assert response.status_code in statuses, response.status_code
    if response.status_code == 400:
        messages = [" ".join(m.split()) for m in Errors(response.content.decode()).messages]
        assert any(messages), "a 400 page must say what is wrong"


def assert_api_answer(response):
    event(f"API {response.status_code}")
    assert response.status_code in {200, 400}, response.status_code
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if response.status_code == 200:
        assert set(body) == TOP_KEYS
        event(f"API located {body['location'] and body['location']['state']}")
        return
    assert list(body) == ["errors"]
    assert body["errors"]
    assert set(body["errors"]) <= set(API_PARAMS)
    for messages in body["errors"].values():
        assert messages
        assert all(isinstance(message, str) and message.strip() for message in messages)


@FUZZ
@given(params=query_params(SEARCH_PARAMS))
@example(params={"near": ["78701"], "radius": ["250"], "condition": ["depression"]})
@example(params={"lat": ["30.27"], "lng": ["-97.74"], "page": ["9" * 5000]})
@example(params={"near": ["TX"], "treatment": TREATMENTS, "accepting": ["1"], "at_home": ["all"]})
@example(params={"lat": ["90"], "lng": ["180"]})
@example(params={"lat": ["NaN"], "lng": ["inf"], "near": ["\x00"]})
@example(params={"q": ["ketamine"], "at_home": ["all"], "page": ["2"]})
def test_search_page_answers_any_query(client, providers, params):
    assert_html_answer(fetch(client, "/clinics/", urlencode(params, doseq=True)))


@FUZZ
@given(params=query_params(API_PARAMS))
@example(params={"near": ["78701"], "page_size": ["1"], "page": ["2"]})
@example(params={"near": ["78701"], "page": ["999"]})
@example(params={"condition": ["depression", "ptsd"], "treatment": ["\x00"]})
@example(params={"lat": ["-90"], "lng": ["-180"], "radius": ["250"]})
@example(params={"q": ["lone star"], "near": ["OH"], "condition": ["anxiety"]})
def test_api_answers_any_query(client, providers, params):
    assert_api_answer(fetch(client, "/api/providers/", urlencode(params, doseq=True)))


@FUZZ
@given(query=raw_query)
@example(query="near=%00&lat=%FF&lng=%C0%80&radius=%ED%A0%80")
@example(query="near=78701&page=%D9%A2")  # Arabic-Indic 2
def test_raw_query_strings_never_break_the_search(client, providers, query):
    assert_html_answer(fetch(client, "/clinics/", query))
    assert_api_answer(fetch(client, "/api/providers/", query))


@FUZZ
@given(params=query_params(["condition", "page"]))
@example(params={"condition": ["depression"]})
@example(params={"condition": ["depression", "\x00"]})
def test_article_index_answers_any_query(client, articles, params):
    assert_html_answer(fetch(client, "/articles/", urlencode(params, doseq=True)))


# The `providers` fixture's slugs (the last a draft), and slugs no provider has.
COMPARED = [
    "austin-ketamine-clinic", "round-rock-infusion-center", "lone-star-ketamine-at-home",
    "unfinished-clinic",
]  # fmt: skip
compare_slugs = st.lists(
    st.one_of(st.sampled_from([*COMPARED, "no-such-clinic", ""]), odd_value), max_size=6
)


@FUZZ
@given(slugs=compare_slugs)
@example(slugs=COMPARED[:2])
@example(slugs=[COMPARED[0], "a\x00b"])  # a 500 on PostgreSQL until 2026-12-08
@example(slugs=[COMPARED[0], COMPARED[0], "\x00"])
def test_compare_answers_any_slugs(client, providers, slugs):
    # Two to four published providers: 200; a wrong count, a repeat or odd text: 400
    # saying why; a slug we do not publish: 404.
    response = fetch(client, "/compare/", urlencode([("p", slug) for slug in slugs]))
    assert_html_answer(response, statuses=(200, 400, 404))


LANDING_PATHS = [
    "/", "/clinics/tx/", "/clinics/oh/", "/clinics/ca/", "/clinics/zz/", "/clinics/tx/austin/",
    "/clinics/tx/round-rock/", "/clinics/tx/nowhere/", "/conditions/depression/",
    "/conditions/no-such-condition/", "/providers/austin-ketamine-clinic/",
    "/providers/unfinished-clinic/", "/articles/feed/", "/editorial-policy/", "/sitemap.xml",
    "/sitemap-providers.xml",
]  # fmt: skip


@FUZZ
@given(path=st.sampled_from(LANDING_PATHS), params=query_params([*SEARCH_PARAMS, "p"]))
@example(path="/clinics/tx/", params={"page": ["9" * 5000]})
@example(path="/sitemap-providers.xml", params={"p": ["0"]})
def test_landing_pages_answer_any_query(client, providers, path, params):
    # Landing pages take no filters: they ignore them, and may be empty (404).
    response = fetch(client, path, urlencode(params, doseq=True))
    event(f"landing {response.status_code}")
    assert response.status_code in {200, 404}, response.status_code


# --- Regressions: what the properties above found, as plain examples --------------------


@pytest.mark.parametrize("query", ["format=xml", "format=api", "format=%00", "format=json"])
def test_the_api_ignores_a_format_parameter(client, providers, query):
    # DRF's ?format= switch once answered 404 "Not found." for any format but json.
    response = client.get(f"/api/providers/?near=78701&{query}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 2


def test_the_api_answers_json_whatever_the_accept_header(client, providers):
    # A strict Accept header once answered 406.
    response = client.get("/api/providers/", {"near": "78701"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 2


@pytest.mark.parametrize("path", ["/clinics/", "/api/providers/", "/articles/"])
def test_more_parameters_than_django_reads_are_a_400(client, path):
    # DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): Django's own "Bad Request" page, not a 500.
    query = "&".join(f"near{n}=x" for n in range(1001))

    response = client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert b"Bad Request" in response.content
