"""The public article pages: article, index, feed, bios, editorial policy, drafts."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from articles.models import Article, Citation, Person
from directory.models import Condition

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


# --- A small cast ------------------------------------------------------------------------


def person(name, role=Person.Role.WRITER, credentials=""):
    slug = name.lower().replace(" ", "-")
    return Person.objects.create(
        name=name, slug=slug, credentials=credentials, bio=f"{name} bio.", role=role
    )


def article(slug, title, author, reviewer, *, status="published", day=1, conditions=(), **more):
    """An article (published on 2026-03-`day` unless a draft) with citations as given."""
    citations = more.pop("citations", [{"text": "A source."}])
    item = Article.objects.create(
        slug=slug, title=title, summary=f"Summary of {title}.", author=author, reviewer=reviewer,
        status=status, last_reviewed=date(2026, 10, 30), revised_on=date(2026, 11, 3),
        published_at=datetime(2026, 3, day, 14, tzinfo=UTC) if status == "published" else None,
        body=more.pop("body", "Text [cite:1]."), **more,
    )  # fmt: skip
    item.conditions.set(Condition.objects.filter(slug__in=conditions))
    for position, fields in enumerate(citations, start=1):
        Citation.objects.create(article=item, position=position, **fields)
    return item


@pytest.fixture
def cast():
    ada = person("Ada Quill")
    basil = person("Basil Marsh", Person.Role.MEDICAL_REVIEWER, "MD")
    body = (
        "Low doses may ease pain [cite:1].\n\n## How it works\n\nIt blocks NMDA [cite:1,2].\n\n"
        "## Risks\n\nMostly short-lived [cite:2].\n"
    )
    citations = [
        {"text": "Orhurhu V et al. Anesth Analg. 2019.", "doi": "10.1213/ANE.4185",
         "pmid": "30586350"},
        {"text": "FDA news release, 2019.", "url": "https://www.fda.gov/news"},
    ]  # fmt: skip
    main = article("pain-basics", "Ketamine for pain: the basics", ada, basil, day=2,
                   conditions=["chronic-pain"], body=body, citations=citations)  # fmt: skip
    safety = article("safety", "Is ketamine safe?", basil, basil, day=5, conditions=["depression"])
    notes = article("notes", "Unfinished notes", ada, None, status="draft")
    main.related.set([safety, notes])
    return {"ada": ada, "basil": basil, "main": main, "safety": safety, "notes": notes}


class Page(HTMLParser):
    """Tags with their attributes, and the JSON-LD blocks, of one page."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.json_ld, self._in_json = [], [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_json = tag == "script" and dict(attrs).get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_json:
            self.json_ld.append(json.loads(data))
            self._in_json = False

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and attrs.items() <= a.items()]

    def ids(self):
        return [a["id"] for _, a in self.tags if "id" in a]


def medical_web_pages(html):
    """The page's MedicalWebPage JSON-LD blocks (it has others, e.g. breadcrumbs)."""
    return [data for data in Page(html).json_ld if data["@type"] == "MedicalWebPage"]


def text_of(html, pattern):
    """The visible text of the first match of `pattern`, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", re.search(pattern, html, re.S).group(1)).split())


def get_html(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


# --- The article page ------------------------------------------------------------------


def test_article_page_shows_title_summary_byline_and_disclaimer(client, cast):
    html = get_html(client, "/articles/pain-basics/")
    page = Page(html)
    assert len(page.find("h1")) == 1
    assert "<h1>Ketamine for pain: the basics</h1>" in html
    assert page.find(
        "meta", name="description", content="Summary of Ketamine for pain: the basics."
    )
    assert text_of(html, r'<p class="byline">(.*?)</p>') == (
        "By Ada Quill · Medically reviewed by Basil Marsh, MD · Our editorial policy"
    )
    byline = re.search(r'<p class="byline">(.*?)</p>', html, re.S).group(1)
    links = ["/people/ada-quill/", "/people/basil-marsh/", "/editorial-policy/"]
    assert re.findall(r'href="([^"]+)"', byline) == links
    assert "This article is information, not medical advice." in html
    assert len(page.ids()) == len(set(page.ids()))
    assert not page.find("meta", name="robots")


def test_article_page_has_contents_body_references_and_back_links(client, cast):
    html = get_html(client, "/articles/pain-basics/")
    page = Page(html)
    contents = re.search(r'<nav class="toc.*?</nav>', html, re.S).group(0)
    entries = [("how-it-works", "How it works"), ("risks", "Risks")]
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', contents) == entries
    assert {"how-it-works", "risks"} <= {a["id"] for a in page.find("h2")}
    ref_ids = [a["id"] for a in page.find("li") if a.get("id", "").startswith("ref-")]
    assert ref_ids == ["ref-1", "ref-2"]
    references = html[html.index('id="references-heading"') :]
    back = re.findall(r'<a href="#(cite-[^"]+)"', references)
    assert back == ["cite-1-a", "cite-1-b", "cite-2-a", "cite-2-b"]
    assert set(back) <= set(page.ids())  # every back-link lands on a marker
    for marker in page.find("a", **{"class": "cite"}):
        assert marker["href"].removeprefix("#") in page.ids()
    assert page.find("a", href="https://doi.org/10.1213/ANE.4185")
    assert page.find("a", href="https://pubmed.ncbi.nlm.nih.gov/30586350/")
    assert page.find("a", href="https://www.fda.gov/news")


def test_article_page_offers_a_clinic_search_for_each_condition(client, cast):
    html = get_html(client, "/articles/pain-basics/")
    page = Page(html)
    assert "Find ketamine treatment for chronic pain near you" in html
    [form] = page.find("form", action="/clinics/")
    assert form["method"] == "get"
    assert page.find("input", type="hidden", name="condition", value="chronic-pain")
    assert page.find("input", type="text", name="near")


def test_related_articles_list_only_published_ones(client, cast):
    html = get_html(client, "/articles/pain-basics/")
    related = html[html.index('id="related-heading"') :]
    assert '<a href="/articles/safety/">Is ketamine safe?</a>' in related
    assert "Unfinished notes" not in html


def test_article_json_ld_describes_the_medical_web_page(client, cast):
    [data] = medical_web_pages(get_html(client, "/articles/pain-basics/"))
    url = "http://testserver/articles/pain-basics/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert data["@id"] == data["url"] == url
    assert data["headline"] == data["name"] == "Ketamine for pain: the basics"
    assert data["description"] == "Summary of Ketamine for pain: the basics."
    people = "http://testserver/people/"
    assert data["author"] == {"@type": "Person", "name": "Ada Quill", "url": f"{people}ada-quill/"}
    assert data["reviewedBy"] == {
        "@type": "Person", "name": "Basil Marsh", "honorificSuffix": "MD",
        "url": f"{people}basil-marsh/",
    }  # fmt: skip
    assert data["lastReviewed"] == "2026-10-30"
    assert data["datePublished"] == "2026-03-02"
    assert data["dateModified"] == "2026-11-03"
    assert data["about"] == [{"@type": "MedicalCondition", "name": "Chronic pain"}]
    assert data["citation"] == [
        {"@type": "CreativeWork", "name": "Orhurhu V et al. Anesth Analg. 2019.",
         "sameAs": "https://doi.org/10.1213/ANE.4185"},
        {"@type": "CreativeWork", "name": "FDA news release, 2019.",
         "url": "https://www.fda.gov/news"},
    ]  # fmt: skip


def test_title_cannot_break_out_of_the_json_ld_block(client, cast):
    title = "Doses </script><script>alert(1)</script> & more"
    Article.objects.filter(slug="pain-basics").update(title=title)
    html = get_html(client, "/articles/pain-basics/")
    assert "<script>alert(1)" not in html
    [data] = medical_web_pages(html)
    assert data["headline"] == title


def test_article_page_queries_are_bounded(client, cast, django_assert_max_num_queries):
    # More citations, conditions and related articles must not mean more queries.
    main = cast["main"]
    main.conditions.add(*Condition.objects.all())
    for position in range(3, 13):
        Citation.objects.create(article=main, position=position, text=f"Source {position}.")
    for n in range(5):
        main.related.add(article(f"more-{n}", f"More {n}", cast["ada"], cast["basil"]))
    with django_assert_max_num_queries(8):
        assert client.get("/articles/pain-basics/").status_code == 200


def test_contents_entries_show_headings_as_written(client, cast):
    # BUG: the contents store HTML ("&amp;") and the template escapes it again,
    # so readers see "Risks &amp; benefits" under "On this page".
    article(
        "pairs", "Pairs", cast["ada"], cast["basil"], body="## Risks & benefits\n\nOk [cite:1]."
    )
    html = get_html(client, "/articles/pairs/")
    contents = re.search(r'<nav class="toc.*?</nav>', html, re.S).group(0)
    assert '<a href="#risks-benefits">Risks &amp; benefits</a>' in contents


# --- Key points, dates, corrections, the crisis box -------------------------------------------


def test_article_opens_with_its_key_points_and_shows_every_date(client, cast):
    Article.objects.filter(slug="pain-basics").update(
        key_points="Low doses may ease some pain.\n\n  It is given in a clinic.  \n",
        next_review=date(2027, 10, 30),
    )
    html = get_html(client, "/articles/pain-basics/")
    key_points = re.search(r'aria-labelledby="key-points-heading">(.*?)</section>', html, re.S)
    assert re.findall(r"<li>([^<]+)</li>", key_points.group(1)) == [
        "Low doses may ease some pain.", "It is given in a clinic."
    ]  # fmt: skip
    # Before the article's text, after its header.
    assert html.index("key-points-heading") < html.index('class="article__body"')
    dates = re.search(r'<dl class="dates">(.*?)</dl>', html, re.S).group(1)
    shown = re.findall(r"<dt>([^<]+)</dt><dd><time datetime=\"([^\"]+)\">([^<]+)</time>", dates)
    assert shown == [
        ("Published", "2026-03-02", "March 2, 2026"),
        ("Updated", "2026-11-03", "November 3, 2026"),
        ("Medically reviewed", "2026-10-30", "October 30, 2026"),
        ("Next review due", "2027-10-30", "October 30, 2027"),
    ]


def test_next_review_defaults_to_a_year_after_the_review():
    item = Article.objects.create(
        title="T", slug="t", summary="S", body="B", last_reviewed=date(2026, 11, 26)
    )
    assert item.next_review == date(2027, 11, 26)


def test_corrections_are_listed_newest_first_with_date_change_and_reason(client, cast):
    main = cast["main"]
    main.corrections.create(
        date=date(2026, 5, 1), change="Fixed a dose.", reason="It said 5 mg, not 0.5 mg/kg."
    )
    main.corrections.create(
        date=date(2026, 9, 9), change="<b>Rewrote</b> the risks.", reason="Clearer wording."
    )
    html = get_html(client, "/articles/pain-basics/")
    section = re.search(r'aria-labelledby="corrections-heading">(.*?)</section>', html, re.S)
    items = [
        " ".join(re.sub(r"<[^>]+>", "", li).split())
        for li in re.findall(r"<li>(.*?)</li>", section.group(1), re.S)
    ]
    assert items == [
        "September 9, 2026: &lt;b&gt;Rewrote&lt;/b&gt; the risks. Why: Clearer wording.",
        "May 1, 2026: Fixed a dose. Why: It said 5 mg, not 0.5 mg/kg.",
    ]


def test_an_article_without_corrections_says_so(client, cast):
    html = get_html(client, "/articles/pain-basics/")
    assert "No corrections to this article so far." in html


CRISIS = 'id="crisis-heading"'


def test_crisis_box_shows_on_articles_about_a_mental_health_condition_only(client, cast):
    # pain-basics is about chronic pain; safety is about depression.
    assert CRISIS not in get_html(client, "/articles/pain-basics/")
    html = get_html(client, "/articles/safety/")
    assert html.count(CRISIS) == 1
    box = re.search(r'<section id="crisis".*?</section>', html, re.S).group(0)
    assert 'href="tel:988"' in box
    assert 'href="sms:988"' in box
    assert "https://988lifeline.org/chat/" in box
    assert "press 1" in box
    assert 'href="tel:911"' in box
    # A guide about no condition has none either.
    Article.objects.filter(slug="safety").first().conditions.clear()
    assert CRISIS not in get_html(client, "/articles/safety/")


def test_shipped_crisis_boxes_follow_the_conditions(client):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    with_box = {
        article.slug
        for article in Article.objects.published()
        if CRISIS in get_html(client, article.get_absolute_url())
    }
    assert with_box == {
        "ketamine-for-depression", "ketamine-for-ptsd", "ketamine-for-anxiety",
        "ketamine-for-ocd", "ketamine-for-bipolar-depression", "ketamine-for-addiction",
        "ketamine-assisted-psychotherapy",
    }  # fmt: skip


def test_guide_without_a_condition_still_leads_into_the_directory(client, cast):
    cast["safety"].conditions.clear()
    page = Page(get_html(client, "/articles/safety/"))
    assert [attrs for attrs in page.find("form") if attrs.get("action") == "/clinics/"]
    assert not page.find("input", type="hidden", name="condition")
    assert page.find("input", name="near", id="cta-near")


def test_every_shipped_article_has_valid_medical_web_page_json_ld(client):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    for article in Article.objects.published().prefetch_related("citations"):
        [data] = medical_web_pages(get_html(client, article.get_absolute_url()))
        assert data["@type"] == "MedicalWebPage", article.slug
        assert data["reviewedBy"]["@type"] == "Person", article.slug
        assert data["reviewedBy"]["name"] == article.reviewer.name
        assert data["lastReviewed"] == article.last_reviewed.isoformat()
        assert len(data["citation"]) == article.citations.count() >= 6
        # Every reference can be followed: a DOI, PubMed or web address.
        assert all("sameAs" in c or "url" in c for c in data["citation"]), article.slug


# --- The shipped articles ------------------------------------------------------------------

SHIPPED = {
    "ketamine-for-pain-management": "chronic-pain",
    "ketamine-for-depression": "depression",
    "ketamine-for-ptsd": "ptsd",
}


@pytest.mark.parametrize(("slug", "condition"), SHIPPED.items())
def test_shipped_article_call_to_action_finds_clinics(client, slug, condition):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    page = Page(get_html(client, f"/articles/{slug}/"))
    [hidden] = page.find("input", type="hidden", name="condition")
    assert hidden["value"] == condition
    # What the browser sends when a reader types a ZIP and presses the button.
    response = client.get("/clinics/", {"condition": hidden["value"], "near": "78701"})
    assert response.status_code == 200
    assert response.context["form"]["condition"].value() == condition
    assert response.context["form"]["near"].value() == "78701"


def test_call_to_action_keeps_the_conditions_capitals(client):
    # BUG: detail.html lowercases the condition name, so the PTSD article offers
    # "Find ketamine treatment for ptsd near you".
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    html = get_html(client, "/articles/ketamine-for-ptsd/")
    headings = re.findall(r'<h2 id="cta-[^"]+">([^<]+)</h2>', html)
    assert headings == ["Find ketamine treatment for PTSD near you"]


# --- Index and feed ------------------------------------------------------------------------


def section_titles(html, heading_id):
    """The article titles listed in the index's section headed `heading_id`."""
    section = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', html, re.S).group(1)
    return re.findall(r'<h3><a href="/articles/[^"]+/">([^<]+)</a></h3>', section)


def test_index_lists_condition_articles_by_condition_then_the_guides_by_title(client, cast):
    Article.objects.filter(slug="pain-basics").update(kind=Article.Kind.CONDITION)
    kinds = {"kind": Article.Kind.CONDITION}
    article("dep", "Ketamine for depression", cast["ada"], cast["basil"], conditions=["depression"],
            day=20, **kinds)  # fmt: skip
    article("anx", "Ketamine for anxiety", cast["ada"], cast["basil"], conditions=["anxiety"],
            day=21, **kinds)  # fmt: skip
    article("costs", "Costs and insurance", cast["ada"], cast["basil"], day=22)
    html = get_html(client, "/articles/")
    # Anxiety, Chronic pain, Depression: by the condition's name, not by date.
    assert section_titles(html, "conditions-heading") == [
        "Ketamine for anxiety", "Ketamine for pain: the basics", "Ketamine for depression"
    ]  # fmt: skip
    assert section_titles(html, "guides-heading") == ["Costs and insurance", "Is ketamine safe?"]
    assert '<p class="eyebrow">Chronic pain</p>' in html


def test_index_filters_by_condition(client, cast):
    html = get_html(client, "/articles/?condition=depression")
    assert "Is ketamine safe?" in html
    assert "Ketamine for pain: the basics" not in html
    assert "Is ketamine safe?" not in get_html(client, "/articles/?condition=ocd")


def test_index_refuses_an_unknown_condition_with_a_message(client, cast):
    html = get_html(client, "/articles/?condition=no-such-thing", status=400)
    assert "Select a valid choice. no-such-thing is not one of the available choices." in html
    assert 'role="alert"' in html
    assert "<h3>" not in html  # no list of articles under an error


def test_feed_is_atom_with_an_entry_per_published_article(client, cast):
    response = client.get("/articles/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed, not untrusted input
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == ["Is ketamine safe?", "Ketamine for pain: the basics"]  # newest first
    links = [entry.find(f"{ATOM}link").get("href") for entry in entries]
    assert links == [f"http://testserver/articles/{slug}/" for slug in ("safety", "pain-basics")]
    assert entries[1].findtext(f"{ATOM}author/{ATOM}name") == "Ada Quill"


# --- People, policy, drafts -------------------------------------------------------------------


def test_person_page_lists_what_they_wrote_and_reviewed(client, cast):
    html = get_html(client, "/people/basil-marsh/")
    assert "<h1>Basil Marsh, MD</h1>" in html
    items = [
        " ".join(re.sub(r"<[^>]+>", "", li).split()) for li in re.findall(r"<li>(.*?)</li>", html)
    ]
    assert "Is ketamine safe? (wrote and medically reviewed)" in items
    assert "Ketamine for pain: the basics (medically reviewed)" in items
    ada = get_html(client, "/people/ada-quill/")
    assert '<a href="/articles/pain-basics/">Ketamine for pain: the basics</a> (wrote)' in ada
    assert "Unfinished notes" not in ada  # drafts stay private
    assert client.get("/people/nobody/").status_code == 404


def test_editorial_policy_states_the_yearly_review(client):
    html = get_html(client, "/editorial-policy/")
    assert "re-reviewed at least every 12 months" in html
    assert "the date the next review is due is shown on each article" in html
    assert "no advertising" in html
    assert "no paid placement" in html
    assert 'id="corrections"' in html
    assert len(Page(html).find("h1")) == 1


def test_drafts_and_scheduled_articles_are_hidden_from_readers(client, cast):
    article("later", "Scheduled piece", cast["ada"], cast["basil"])
    # Published, but dated in the future: it goes live then, not now.
    Article.objects.filter(slug="later").update(published_at=datetime(2099, 1, 1, tzinfo=UTC))
    assert client.get("/articles/notes/").status_code == 404
    assert client.get("/articles/later/").status_code == 404
    index = get_html(client, "/articles/")
    assert "Unfinished notes" not in index
    assert "Scheduled piece" not in index


def test_editor_previews_a_draft_with_banner_and_noindex(editor_client, cast):
    html = get_html(editor_client, "/articles/notes/")
    assert "<strong>Draft:</strong> readers cannot see this page." in html
    assert Page(html).find("meta", name="robots", content="noindex")


@pytest.mark.parametrize(
    "url",
    ["/articles/pain-basics/", "/articles/", "/articles/feed/", "/people/ada-quill/",
     "/editorial-policy/", "/articles/?condition=nope", "/articles/?q=dose", "/glossary/"],
)  # fmt: skip
def test_anonymous_pages_set_no_cookies(client, cast, url):
    assert client.get(url).cookies == {}


def test_article_page_refuses_writes(client, cast):
    assert client.post("/articles/pain-basics/").status_code == 405
