"""/clinics/ and the landing pages, as a visitor without JavaScript sees them."""

import copy
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import override

from articles.models import Article
from directory.filters import SearchForm
from directory.models import Treatment
from directory.widgets import CheckList, ListSelect
from tests import cast

pytestmark = pytest.mark.django_db

PARAMS = [
    "condition", "treatment", "accepting", "near", "lat", "lng", "radius", "page", "payment",
    "max_price", "language", "kap", "sort",
]  # fmt: skip
HOSTILE = [
    "x" * 5000, "9" * 5000,  # more digits than Python will turn into an int
    "\x00", "\x1b[31m\r\n\t\x7f", "%00%27", "NaN", "-1e309",
    "' OR '1'='1'; DROP TABLE directory_provider; --", '<script>alert("x")</script>',
    "😀🔥 Austin, TX",
]  # fmt: skip


class Page(HTMLParser):
    """What the tests look at: elements with their attributes, links, the visible text."""

    def __init__(self, html):
        super().__init__()
        self.elements, self.links, self.chunks, self.link = [], [], [], None
        self.feed(html)
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "a":
            self.link = [attrs.get("href"), ""]
            self.links.append(self.link)

    def handle_endtag(self, tag):
        if tag == "a":
            self.link = None

    def handle_data(self, data):
        self.chunks.append(data)
        if self.link:
            self.link[1] += data

    def find(self, tag, **wanted):
        return [a for t, a in self.elements if t == tag and wanted.items() <= a.items()]

    def href(self, text):
        """The target of the one link whose text is `text`."""
        [href] = [href for href, label in self.links if " ".join(label.split()) == text]
        return href


def page(client, path, **params):
    response = client.get(path, params)
    return response, Page(response.content.decode())


def query(href):
    return parse_qs(urlsplit(href).query)


def test_blank_search_shows_a_plain_get_form_and_no_errors(client):
    response, html = page(client, "/clinics/")

    assert response.status_code == 200
    assert "Please check your search" not in html.text
    [form] = html.find("form", id="search-form")
    assert (form["method"], form["action"]) == ("get", "/clinics/")
    assert html.find("select", name="condition")
    assert html.find("input", name="near", type="text")
    assert html.find("option", value="50", selected=None)  # the default radius
    treatments = {a["value"] for a in html.find("input", name="treatment", type="checkbox")}
    assert treatments == set(Treatment.objects.values_list("slug", flat=True))
    assert html.find("input", name="accepting", type="checkbox", value="1")
    assert html.find("input", name="lat", type="hidden")
    assert html.find("input", name="lng", type="hidden")
    assert html.find("button", type="submit")
    # No page field: a new search from the form always starts on page 1.
    assert not [a for _, a in html.elements if a.get("name") == "page"]


def test_result_card_shows_everything_a_patient_needs(client, providers):
    response, html = page(client, "/clinics/", near="78701")

    assert response.status_code == 200
    assert "Ketamine clinics near Austin, TX 78701" in html.text
    raw_card = response.content.decode().split("<article")[1]
    card = Page(raw_card)
    assert '<li class="badge">Clinic</li>' in raw_card
    for text in [
        "Austin Ketamine Clinic", "0.3 mi", "Austin, TX 78701", "Depression, PTSD",
        "IV infusion", "Accepting new patients", "Verified Oct 1, 2026",
    ]:  # fmt: skip
        assert text in card.text, text
    assert card.href("(512) 555-0100") == "tel:+1-512-555-0100"
    assert card.href("Website of Austin Ketamine Clinic") == "https://austin-ketamine.example"
    assert "Unfinished Clinic" not in html.text  # drafts are never listed
    at_home = Page(response.content.decode().split('id="at-home-heading"')[1])
    assert "Lone Star Ketamine at Home" in at_home.text
    assert "At-home care" in at_home.text


def test_the_form_round_trips_a_browser_position(client, providers):
    # What locate.js submits: lat/lng and an empty location field.
    response, html = page(client, "/clinics/", lat="30.2672", lng="-97.7431", near="")

    assert response.status_code == 200
    assert "Austin Ketamine Clinic" in html.text
    assert html.find("input", name="lat", value="30.2672")


@pytest.fixture
def many_clinics():
    """21 matching clinics, each farther north of 78701: one more than a page."""
    for n in range(21):
        cast.make_provider(
            name=f"Clinic {n:02}",
            conditions=["depression"],
            treatments=["iv-infusion"],
            accepting_new_patients=True,
            locations=[{"address1": f"{n} Congress Ave", "city": "Austin", "state_id": "TX",
                        "zip": "78701", "latitude": 30.28 + n / 1000, "longitude": -97.74}],
        )  # fmt: skip


FILTERS = {
    "condition": ["depression"], "treatment": ["iv-infusion", "im-injection"],
    "accepting": ["1"], "near": ["78701"], "radius": ["25"],
}  # fmt: skip


def test_pagination_links_keep_every_filter(client, many_clinics):
    _, first = page(client, "/clinics/", **FILTERS)

    assert "Page 1 of 2" in first.text
    [next_link] = first.find("a", rel="next")
    assert query(next_link["href"]) == {**FILTERS, "page": ["2"]}

    _, second = page(client, "/clinics/", **query(next_link["href"]))
    assert "Page 2 of 2" in second.text
    assert "Clinic 20" in second.text
    assert not second.find("a", rel="next")
    [prev_link] = second.find("a", rel="prev")
    assert query(prev_link["href"]) == {**FILTERS, "page": ["1"]}


@pytest.mark.parametrize(
    ("asked", "shown", "clinic", "elsewhere"),
    [
        ("999", "Page 2 of 2", "Clinic 20", "Clinic 00"),  # past the end: the last page
        ("abc", "Page 1 of 2", "Clinic 00", "Clinic 20"),  # the API refuses it; page 1 here
    ],
)
def test_an_impossible_page_shows_a_real_page(
    client, many_clinics, asked, shown, clinic, elsewhere
):
    response, html = page(client, "/clinics/", **FILTERS, page=asked)

    assert response.status_code == 200
    assert shown in html.text
    assert clinic in html.text
    assert elsewhere not in html.text


def test_an_unknown_location_is_a_400_with_advice(client, providers):
    response, html = page(client, "/clinics/", near="Springfeld")

    assert response.status_code == 400
    assert 'We couldn\'t find "Springfeld". Try a ZIP code or City, ST.' in html.text
    assert html.find("input", name="near", value="Springfeld")  # kept for correcting


def test_a_link_past_the_form_leads_to_the_results(client, providers):
    _, found = page(client, "/clinics/", near="78701")
    _, blank = page(client, "/clinics/")
    _, wrong = page(client, "/clinics/", near="Springfeld")

    def where(tag, **wanted):
        return next(
            i for i, (t, a) in enumerate(found.elements) if t == tag and wanted.items() <= a.items()
        )

    # The link comes before the form, and the heading it leads to after it.
    link, form = where("a", href="#clinics-heading"), where("form", id="search-form")
    assert link < form < where("h2", id="clinics-heading")
    assert found.href("Skip to the results") == "#clinics-heading"
    # Nothing was searched, or the search could not run: no results to skip to.
    for html in (blank, wrong):
        assert not html.find("a", href="#clinics-heading")


def test_no_results_suggests_a_wider_radius(client, providers):
    # Round Rock is 17 miles from 78701: outside 10 miles, inside 25.
    _, html = page(client, "/clinics/", near="78701", radius="10", condition="chronic-pain")

    assert "No clinics match within 10 miles" in html.text
    href = html.href("Search within 25 miles")
    assert query(href) == {"near": ["78701"], "radius": ["25"], "condition": ["chronic-pain"]}


def test_no_results_names_the_nearest_city_with_clinics(client, providers):
    # Only the Austin clinic treats PTSD; New York is some 1,500 miles away.
    _, html = page(client, "/clinics/", near="10001", radius="250", condition="ptsd")

    assert "The nearest matching clinic is in Austin, TX" in html.text
    assert query(html.href("Austin, TX")) == {
        "near": ["Austin, TX"],
        "radius": ["250"],
        "condition": ["ptsd"],
    }
    assert "Search within" not in html.text  # 250 miles is the widest radius


def test_no_results_points_to_the_at_home_options_of_the_state(client, providers):
    _, html = page(client, "/clinics/", near="OH")

    assert "0 clinics in Ohio" in html.text
    assert html.href("See 1 at-home option in Ohio") == "#at-home-heading"
    assert html.find("h2", id="at-home-heading")
    assert "At-home options in Ohio" in html.text
    assert "Lone Star Ketamine at Home" in html.text


def test_use_my_location_is_hidden_until_its_script_runs(client):
    _, html = page(client, "/clinics/")

    [button] = html.find("button", id="use-my-location")
    assert "hidden" in button
    assert button["type"] == "button"  # never submits the form by itself
    scripts = html.find("script")
    assert all(script.get("src") for script in scripts), "no inline script"
    [locate] = [s["src"] for s in scripts if s["src"].endswith("js/locate.js")]
    script = b"".join(client.get(locate).streaming_content).decode()
    for hook in ["use-my-location", "search-form", "elements.lat", "elements.lng"]:
        assert hook in script


def test_home_search_form_gets_clinics(client, providers):
    _, home = page(client, "/")
    [form] = home.find("form", action="/clinics/")
    assert form["method"] == "get"
    assert home.find("select", name="condition")
    assert home.find("input", name="near")

    # Submitting its two fields is an ordinary search.
    _, results = page(client, "/clinics/", condition="depression", near="Austin, TX")
    assert "Austin Ketamine Clinic" in results.text


def test_state_landing_lists_its_clinics_cities_and_at_home_options(client, providers):
    response, html = page(client, "/clinics/tx/")

    assert response.status_code == 200
    assert "Ketamine treatment in Texas" in html.text
    assert html.href("Austin") == "/clinics/tx/austin/"
    assert html.href("Round Rock") == "/clinics/tx/round-rock/"
    assert "Austin Ketamine Clinic" in html.text
    assert "At-home options in Texas" in html.text
    assert "Lone Star Ketamine at Home" in html.text
    # A state with only at-home options still has something to show.
    response, html = page(client, "/clinics/oh/")
    assert response.status_code == 200
    assert "Lone Star Ketamine at Home" in html.text


def test_city_landing_lists_the_city_clinics(client, providers):
    response, html = page(client, "/clinics/tx/austin/")

    assert response.status_code == 200
    assert "Ketamine clinics in Austin, TX" in html.text
    assert "Austin Ketamine Clinic" in html.text
    assert "Round Rock Infusion Center" not in html.text


def test_city_landing_pages_a_busy_city_by_name(client):
    for n in range(23):
        cast.make_provider(
            name=f"Clinic {n:02d}",
            locations=[{"address1": f"{n} Lamar Blvd", "city": "Austin", "state_id": "TX",
                        "zip": "78701"}],
        )  # fmt: skip

    first, html = page(client, "/clinics/tx/austin/")
    second, html2 = page(client, "/clinics/tx/austin/?page=2")

    assert first.status_code == second.status_code == 200
    assert "23 clinics in Austin" in html.text
    assert "Clinic 00" in html.text
    assert "Clinic 19" in html.text
    assert "Clinic 20" not in html.text
    assert html.href("Next page") == "?page=2"
    assert re.findall(r"Clinic 2\d", html2.text) == ["Clinic 20", "Clinic 21", "Clinic 22"]


def test_condition_landing_links_each_state_into_the_search(client, providers):
    response, html = page(client, "/conditions/depression/")

    assert response.status_code == 200
    assert "Ketamine treatment for depression" in html.text
    assert query(html.href("Texas")) == {"condition": ["depression"], "near": ["TX"]}
    assert "Lone Star Ketamine at Home" in html.text
    assert html.find("input", type="hidden", name="condition", value="depression")


def test_condition_landing_leads_with_its_article_and_key_points(client, providers):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    response, html = page(client, "/conditions/depression/")
    text = response.content.decode()

    lead = text.index('class="condition-article card"')
    # The article and its key points come first, then the crisis box, then the providers.
    assert lead < text.index('id="crisis-heading"') < text.index('id="find-heading"')
    assert text.index('id="find-heading"') < text.index('id="states-heading"')
    assert html.href("Read the full article: Ketamine for Depression: What the Research Shows") == (
        "/articles/ketamine-for-depression/"
    )
    key_points = Article.objects.get(slug="ketamine-for-depression").key_point_list
    assert all(escape(point) in text for point in key_points)
    # Guides about the condition follow under their own heading.
    assert html.href("Ketamine-Assisted Psychotherapy (KAP)") == (
        "/articles/ketamine-assisted-psychotherapy/"
    )


def test_chronic_pain_landing_has_no_crisis_box(client):
    cast.round_rock_clinic()
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    text = client.get("/conditions/chronic-pain/").content.decode()
    assert 'class="condition-article card"' in text
    assert 'id="crisis-heading"' not in text


@pytest.mark.parametrize(
    "path",
    [
        "/clinics/TX/",  # state codes in URLs are lower case
        "/clinics/zz/",
        "/clinics/ca/",  # a real state with no provider
        "/clinics/tx/houston/",
        "/clinics/tx/austin/",  # only a draft there
        "/clinics/oh/columbus/",
        "/conditions/ocd/",
        "/conditions/no-such-condition/",
    ],
)
def test_landing_pages_without_providers_are_404s(client, path):
    # Texas and Ohio have providers, Austin only a draft: none of these pages has content.
    cast.round_rock_clinic()
    cast.at_home_service()
    cast.draft_provider()

    assert client.get(path).status_code == 404


PAGES = [
    "/", "/clinics/", "/clinics/?near=78701", "/clinics/?near=Springfeld",
    "/clinics/?near=10001&radius=250", "/clinics/?near=78701&page=999",
    "/clinics/tx/", "/clinics/tx/austin/", "/conditions/depression/",
]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_one_h1_and_sets_no_cookies(client, providers, path):
    response = client.get(path)

    assert response.status_code in {200, 400}
    assert len(Page(response.content.decode()).find("h1")) == 1
    assert response.cookies == {}


@pytest.mark.parametrize("param", PARAMS)
def test_hostile_strings_never_cause_a_server_error(client, providers, param):
    partner = {"lat": {"lng": "-97.74"}, "lng": {"lat": "30.27"}}.get(param, {})
    for value in HOSTILE:
        response, html = page(client, "/clinics/", **partner, **{param: value})
        assert response.status_code in {200, 400}, (param, value)
        if response.status_code == 400:
            assert "Please check your search" in html.text, (param, value)
        assert "<script>alert" not in response.content.decode()


@pytest.mark.parametrize("value", ["\x00", "x" * 5000, "😀", "'; DROP TABLE x; --"])
def test_hostile_state_codes_in_landing_urls_are_404s(client, providers, value):
    state = quote(value, safe="")
    for path in [f"/clinics/{state}/", f"/clinics/{state}/austin/"]:
        assert client.get(path).status_code == 404, path


def test_results_can_be_ticked_for_comparison_without_javascript(client):
    clinic = cast.austin_clinic(price_min=400, price_max=650, payment_options=["self-pay"])
    home = cast.at_home_service()
    html = client.get("/clinics/", {"near": "78701"}).content.decode()
    page = Page(html)
    [form] = [attrs for tag, attrs in page.elements if attrs.get("id") == "compare-form"]
    assert (form["action"], form["method"]) == ("/compare/", "get")
    boxes = [
        attrs
        for tag, attrs in page.elements
        if tag == "input" and attrs.get("name") == "p" and attrs.get("form") == "compare-form"
    ]
    assert [box["value"] for box in boxes] == [clinic.slug, home.slug]
    # The cards say what a patient weighs first, when it is known.
    assert "<dt>Per session</dt><dd>$400–$650</dd>" in html
    assert "<dt>Takes</dt><dd>Self-pay</dd>" in html
    # Ticking two sends the browser to the comparison.
    response = client.get("/compare/", {"p": [clinic.slug, home.slug]})
    assert response.status_code == 200


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "query",
    [
        None,
        "near=78701&condition=ptsd&treatment=iv-infusion&payment=self-pay&payment=medicare"
        "&radius=25&language=sw&sort=price&accepting=0&kap=1&max_price=500&q=mind+body",
        "near=%22%3E%3Cb%3E&condition=nope&treatment=nope&payment=cash%3C&max_price=-5"
        "&sort=bad&lat=abc&language=xx&q=%3Cscript%3E",
    ],
)
def test_search_form_controls_draw_as_django_templates_draw_them(language, query):
    # The form's widgets (directory.filters) draw in Python what their templates drew:
    # Django's own, and includes/checks.html for the check boxes.
    with override(language):
        form = SearchForm(QueryDict(query) if query else None)
        form.is_valid()
        for field in form:
            widget = field.field.widget
            if isinstance(widget, CheckList):
                assert f"{field}\n" == render_to_string("includes/checks.html", {"field": field})
                continue
            by_template = copy.copy(widget)
            by_template.__class__ = next(
                cls for cls in type(widget).__mro__ if cls.__module__ == "django.forms.widgets"
            )
            drawn = field.as_widget(widget=by_template)
            if isinstance(widget, ListSelect):  # Django's leaves a blank line after each option
                drawn = "\n".join(line for line in drawn.splitlines() if line)
            assert str(field) == drawn, field.name
