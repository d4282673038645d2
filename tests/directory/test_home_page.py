"""The home page guides: search, conditions and states to browse, articles, the crisis line.

Its contract: it links every condition page and every state landing page that
exists, and nothing that would answer 404.
"""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from directory.models import Condition, Provider, State
from tests.cast import (
    at_home_service,
    austin_clinic,
    draft_provider,
    make_provider,
    round_rock_clinic,
)

pytestmark = pytest.mark.django_db


class HomeParser(HTMLParser):
    """The links of each section (by its id) outside its figures, and the order of the headings.

    The state map (a <figure>) is a picture of the list of states: its links
    mirror the list's (tests/directory/test_maps.py), and it is hidden from
    assistive technology, so the list is what is checked here.
    """

    def __init__(self):
        super().__init__()
        self.in_figure = False
        self.section = None
        self.links: dict[str | None, list[str]] = {}
        self.headings: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id")
        if tag == "figure":
            self.in_figure = True
        if tag == "a" and not self.in_figure:
            self.links.setdefault(self.section, []).append(attrs["href"])
        if tag == "h2":
            self.headings.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        if tag == "figure":
            self.in_figure = False


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    parser = HomeParser()
    parser.feed(response.content.decode())
    return response, parser


@pytest.fixture
def cast():
    """Clinics in Texas, an at-home service for Texas and Ohio, a draft in Texas."""
    return [austin_clinic(), round_rock_clinic(), at_home_service(), draft_provider()]


def test_home_links_every_condition_page_that_exists(client, cast):
    _, page = home(client)
    linked = set(page.links["conditions"])
    for condition in Condition.objects.all():
        url = f"/conditions/{condition.slug}/"
        exists = client.get(url).status_code == 200
        assert (url in linked) == exists, url
    assert linked == {
        "/conditions/anxiety/",
        "/conditions/chronic-pain/",
        "/conditions/depression/",
        "/conditions/ptsd/",
    }


def test_home_links_every_state_landing_page_that_exists(client, cast):
    _, page = home(client)
    linked = set(page.links["states"])
    for state in State.objects.all():
        url = f"/clinics/{state.slug}/"
        exists = client.get(url).status_code == 200
        assert (url in linked) == exists, url
    assert linked == {"/clinics/tx/", "/clinics/oh/"}


def test_home_lists_every_condition_and_state_with_its_provider_count(client, cast):
    html = home(client)[0].content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    # Depression: the Austin clinic and the at-home service; the draft does not count.
    assert "Depression 2 providers" in text
    assert "Chronic pain 1 provider " in text
    assert "OCD no providers yet" in text
    # Texas: two clinics and the at-home service; Ohio: the at-home service alone.
    assert "Texas 3" in text
    assert "Ohio 1" in text
    assert "Alaska none yet" in text
    assert (
        State.objects.count()
        == html.count('class="browse-list__count"') - Condition.objects.count()
    )


def test_a_provider_with_a_site_and_at_home_care_in_its_state_counts_once():
    austin_clinic(serves_states=["TX"])
    counts = dict(State.objects.with_provider_counts().values_list("code", "provider_count"))
    assert counts["TX"] == 1
    assert counts["OH"] == 0


def test_a_provider_patients_cannot_reach_counts_for_no_condition():
    """Published, but no site and no at-home state: the condition page would 404."""
    make_provider(name="Nowhere Clinic", conditions=["ocd"])
    draft_provider(conditions=["ocd"])
    counts = dict(Condition.objects.with_provider_counts().values_list("slug", "provider_count"))
    assert counts["ocd"] == 0


def test_counts_follow_publication(client, cast):
    Provider.objects.filter(status=Provider.Status.PUBLISHED).update(status=Provider.Status.DRAFT)
    _, page = home(client)
    assert page.links.get("conditions", []) == []
    assert page.links.get("states", []) == []


def test_search_form_comes_first_then_browse_articles_guide_and_crisis_line(client):
    _, page = home(client)
    assert page.headings == [
        "find-heading",
        "conditions-heading",
        "states-heading",
        "latest-heading",
        "choose-heading",
        "crisis-heading",
    ]


def test_home_shows_the_latest_reviewed_articles_newest_first(client):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    html = home(client)[0].content.decode()
    titles = re.findall(r'<h3><a href="/articles/([^/]+)/">', html)
    assert titles == [
        "ketamine-assisted-psychotherapy",
        "at-home-ketamine-and-the-rules",
        "your-first-ketamine-treatment",
    ]
    assert "Medically reviewed by" in html


def test_home_leaves_out_drafts_and_articles_scheduled_for_later(client):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    # The newest article and a guide the "choose" section links.
    Article.objects.filter(slug="ketamine-assisted-psychotherapy").update(
        status=Article.Status.DRAFT
    )
    Article.objects.filter(slug="choosing-a-ketamine-provider").update(
        published_at=timezone.now() + timezone.timedelta(days=1)
    )
    _, page = home(client)
    for section in ("latest", "choose"):
        assert "/articles/ketamine-assisted-psychotherapy/" not in page.links[section]
        assert "/articles/choosing-a-ketamine-provider/" not in page.links[section]
    assert "/articles/at-home-ketamine-and-the-rules/" in page.links["latest"]
    assert "/articles/ketamine-cost-and-insurance/" in page.links["choose"]


def test_guide_links_the_articles_index_and_editorial_policy_without_articles(client):
    _, page = home(client)
    assert page.links["choose"] == ["/articles/", "/editorial-policy/"]
    assert "No articles are published yet." in client.get("/").content.decode()


def test_crisis_line_calls_and_texts(client):
    _, page = home(client)
    assert page.links["crisis"] == [
        "tel:988", "sms:988", "https://988lifeline.org/chat/", "sms:838255",
        "tel:+1-800-662-4357", "tel:911",
    ]  # fmt: skip


def test_suggest_a_provider_is_still_linked(client):
    _, page = home(client)
    assert "/suggest/" in page.links[None]


def test_home_reads_counts_and_articles_in_a_fixed_number_of_queries(
    client, cast, django_assert_num_queries
):
    """Conditions, states, the latest articles, the guide's articles: one query each."""
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    client.get("/")  # the search form's conditions come from the reference cache
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200
    for number in range(5):
        make_provider(name=f"At home {number}", conditions=["ocd"], serves_states=["CA", "NY"])
    client.get("/")
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200


def test_review_date_is_shown(client):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    article = Article.objects.get(slug="ketamine-assisted-psychotherapy")
    assert article.last_reviewed == date(2026, 11, 26)
    assert "November 26, 2026" in client.get("/").content.decode()
