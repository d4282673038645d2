"""Searching the articles: /articles/?q=… on SQLite and PostgreSQL.

What is searched (title, summary, the text as readers see it without citation markers
or markup), how several words combine, the order of the results, the filter by
condition, the results heading and its count, the highlighted excerpt and its
escaping, stemming (PostgreSQL only), refused and odd input, drafts, noindex, the
grouped index without a search, and the number of queries a search costs.
"""

import re
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection

from articles.models import Article, Citation, Person
from articles.views import SEARCH_MAX_LENGTH
from directory.models import Condition

pytestmark = pytest.mark.django_db

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search (stemming, syntax) is PostgreSQL's"
)


# --- A small cast ------------------------------------------------------------------------


@pytest.fixture
def people():
    ada = Person.objects.create(name="Ada Quill", slug="ada-quill", bio="Writes.", role="writer")
    basil = Person.objects.create(
        name="Basil Marsh", slug="basil-marsh", credentials="MD", bio="Reviews.",
        role=Person.Role.MEDICAL_REVIEWER,
    )  # fmt: skip
    return ada, basil


def article(people, slug, title, *, summary="A short summary.", body="Plain text [cite:1].",
            status="published", conditions=(), kind=Article.Kind.GUIDE, day=1):  # fmt: skip
    """A published article (or a draft) with one citation."""
    author, reviewer = people
    item = Article.objects.create(
        slug=slug, title=title, summary=summary, body=body, kind=kind, status=status,
        author=author, reviewer=reviewer, last_reviewed=date(2026, 10, 30),
        published_at=datetime(2026, 3, day, 14, tzinfo=UTC) if status == "published" else None,
    )  # fmt: skip
    item.conditions.set(Condition.objects.filter(slug__in=conditions))
    Citation.objects.create(article=item, position=1, text="A source.")
    return item


def search(client, status=200, **params):
    response = client.get("/articles/", params)
    assert response.status_code == status
    return response.content.decode()


def result_titles(html):
    """The titles of the search results, in the order shown."""
    match = re.search(r'<ul class="article-list" aria-labelledby="results-heading">(.*?)</ul>',
                      html, re.S)  # fmt: skip
    if match is None:
        return []
    return [unescape(t) for t in re.findall(r"<h3><a href=[^>]+>([^<]+)</a></h3>", match.group(1))]


def results_heading(html):
    match = re.search(r'<h2 id="results-heading"[^>]*>(.*?)</h2>', html, re.S)
    return match and match.group(1)


def excerpts(html):
    return re.findall(r'<p class="excerpt">(.*?)</p>', html, re.S)


class Meta(HTMLParser):
    """The <meta name=…> tags of a page."""

    def __init__(self, html):
        super().__init__()
        self.names = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.names[attrs["name"]] = attrs.get("content")


# --- What is searched ----------------------------------------------------------------------


def test_finds_a_word_in_the_title_the_summary_or_the_text(client, people):
    article(people, "in-title", "Ketamine and quokkas")
    article(people, "in-summary", "Second", summary="What quokkas teach us.")
    article(people, "in-body", "Third", body="## Origins\n\nThe quokkas were first [cite:1].")
    article(people, "elsewhere", "Fourth", body="Nothing to see [cite:1].")
    html = search(client, q="quokkas")
    assert sorted(result_titles(html)) == ["Ketamine and quokkas", "Second", "Third"]
    # Any case finds the same articles.
    assert sorted(result_titles(search(client, q="QUOKKAS"))) == sorted(result_titles(html))


def test_headings_and_formatted_words_of_the_text_are_found(client, people):
    article(people, "one", "One", body="## Wombat care\n\nSome **bold** claim [cite:1].")
    assert result_titles(search(client, q="wombat")) == ["One"]
    assert result_titles(search(client, q="bold claim")) == ["One"]


def test_citation_markers_and_link_addresses_are_not_searched(client, people):
    # The text readers see: "[cite:1]" becomes "(1)" and a link shows its words only.
    article(people, "one", "One", body="See [our notes](https://example.org/zanzibar) [cite:1].")
    assert result_titles(search(client, q="notes")) == ["One"]
    assert result_titles(search(client, q="cite")) == []
    assert result_titles(search(client, q="zanzibar")) == []


def test_every_word_must_match(client, people):
    article(people, "both", "Both", body="Wombats and quokkas [cite:1].")
    article(people, "one", "One", body="Only wombats here [cite:1].")
    article(people, "other", "Other", summary="About quokkas.")
    assert result_titles(search(client, q="wombats quokkas")) == ["Both"]
    assert result_titles(search(client, q="quokkas   wombats")) == ["Both"]
    assert sorted(result_titles(search(client, q="wombats"))) == ["Both", "One"]


@POSTGRES_ONLY
def test_postgresql_understands_web_search_syntax(client, people):
    article(people, "both", "Both", body="Wombats live with quokkas here [cite:1].")
    article(people, "one", "One", body="Quokkas live alone here [cite:1].")
    assert result_titles(search(client, q="quokkas -wombats")) == ["One"]
    assert sorted(result_titles(search(client, q="wombats or alone"))) == ["Both", "One"]
    assert result_titles(search(client, q='"quokkas live"')) == ["One"]


@POSTGRES_ONLY
def test_postgresql_finds_other_forms_of_a_word(client, people):
    article(people, "one", "Paying for it", body="Insurance rarely covers the treatment [cite:1].")
    article(people, "two", "Other", body="Nothing about that [cite:1].")
    assert result_titles(search(client, q="treatments")) == ["Paying for it"]
    assert result_titles(search(client, q="covered")) == ["Paying for it"]


# --- Order, filter, count ------------------------------------------------------------------


def test_a_title_match_comes_before_a_summary_match_before_a_text_match(client, people):
    # Alphabetically the other way round: the order is the rank's, not the title's.
    article(people, "a", "Aardvark notes", body="One mention of quokkas [cite:1].")
    article(people, "b", "Bandicoot notes", summary="One mention of quokkas.")
    article(people, "c", "Caring for quokkas")
    html = search(client, q="quokkas")
    assert result_titles(html) == ["Caring for quokkas", "Bandicoot notes", "Aardvark notes"]


def test_search_within_one_condition_lists_only_its_matches(client, people):
    article(people, "dep", "Depression notes", body="Quokkas [cite:1].", conditions=["depression"])
    article(people, "pain", "Pain notes", body="Quokkas [cite:1].", conditions=["chronic-pain"])
    article(people, "dep-other", "Depression other", conditions=["depression"])
    html = search(client, q="quokkas", condition="depression")
    assert result_titles(html) == ["Depression notes"]
    assert results_heading(html) == "1 article about “quokkas”"
    assert result_titles(search(client, q="quokkas", condition="ocd")) == []


def test_results_heading_counts_the_articles_found(client, people):
    article(people, "a", "Quokkas one")
    article(people, "b", "Quokkas two")
    html = search(client, q="quokkas")
    assert results_heading(html) == "2 articles about “quokkas”"
    assert len(result_titles(html)) == 2
    assert search(client, q="quokkas two").count('<h2 id="results-heading"') == 1
    assert results_heading(search(client, q="quokkas two")) == "1 article about “quokkas two”"
    html = search(client, q="platypus")
    assert results_heading(html) == "0 articles about “platypus”"
    assert result_titles(html) == []
    assert "Try other words, fewer words" in html


# --- Excerpt and escaping ------------------------------------------------------------------


def test_excerpt_marks_the_searched_word(client, people):
    article(people, "one", "One", body="Before. The quokkas are calm. After [cite:1].")
    [excerpt] = excerpts(search(client, q="quokkas"))
    assert "<mark>quokkas</mark>" in excerpt
    assert "calm" in excerpt


def test_excerpt_leaves_no_gap_where_a_marker_was(client, people):
    # A marker goes with the space before it, or excerpts would read "eases pain . Trials".
    body = "Ketamine eases pain [cite:1]. Trials agree [cite:1], mostly."
    article(people, "one", "One", body=body)
    [excerpt] = excerpts(search(client, q="trials"))
    assert "pain. <mark>Trials</mark> agree, mostly." in excerpt


def test_article_text_in_results_is_escaped(client, people):
    article(
        people, "one", "Dose & <i>timing</i>", summary="A <b>summary</b> & more.",
        body="A <script>alert(1)</script> ketamine note [cite:1].",
    )  # fmt: skip
    html = search(client, q="ketamine")
    assert result_titles(html) == ["Dose & <i>timing</i>"]
    [excerpt] = excerpts(html)
    assert "<mark>ketamine</mark>" in excerpt
    assert "<script>alert" not in html
    assert "<i>timing" not in html
    assert "<b>summary" not in html
    assert "Dose &amp; &lt;i&gt;timing&lt;/i&gt;" in html
    assert "A &lt;b&gt;summary&lt;/b&gt; &amp; more." in html
    # Only our <mark> tags inside the excerpt.
    assert set(re.findall(r"</?([a-z]+)", excerpt)) == {"mark"}


def test_excerpt_quotes_the_text_as_the_article_shows_it(client, people):
    # PostgreSQL's ts_headline parses its text as HTML and would drop anything shaped like
    # a tag ("A alert(1) ketamine"); the excerpt must quote the text as the page shows it.
    article(people, "one", "One", body="A <script>alert(1)</script> ketamine note [cite:1].")
    [excerpt] = excerpts(search(client, q="ketamine"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>ketamine</mark>" in excerpt
    assert "<script" not in excerpt


def test_searched_words_are_shown_escaped(client, people):
    article(people, "one", "One")
    html = search(client, q="<b>x</b>")
    assert results_heading(html) == "0 articles about “&lt;b&gt;x&lt;/b&gt;”"
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.startswith("Articles about “&lt;b&gt;x&lt;/b&gt;”")
    assert "<b>x</b>" not in html


def test_searched_words_are_escaped_in_the_excerpt_marks(client, people):
    article(people, "one", "Quokkas & more", body="Quokkas <b> & friends [cite:1].")
    html = search(client, q="quokkas <b>")
    for excerpt in excerpts(html):
        assert set(re.findall(r"</?([a-z]+)", excerpt)) <= {"mark"}
    assert "<b>" not in html


# --- Refused and odd input -----------------------------------------------------------------


def test_too_long_a_search_is_refused_with_a_message_and_no_results(client, people):
    article(people, "one", "Quokkas")
    html = search(client, status=400, q="quokkas " + "a" * (SEARCH_MAX_LENGTH - 7))
    assert "Ensure this value has at most 100 characters (it has 101)." in html
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert "<h3>" not in html
    assert results_heading(html) is None
    # Exactly the limit is fine.
    html = search(client, q="quokkas " + "a" * (SEARCH_MAX_LENGTH - 8))
    assert results_heading(html).startswith("0 articles about")


@pytest.mark.parametrize(
    "q", ["!!!", "?!", "-", '"', "'", "&|!()<>:*", "%", "_", "\\", "~@#$^", "--- !!!"]
)
def test_punctuation_only_search_answers_without_results(client, people, q):
    article(people, "one", "Plain words", summary="Plain summary", body="Plain text [cite:1].")
    html = search(client, q=q)
    assert result_titles(html) == []
    assert results_heading(html).startswith("0 articles about")


@pytest.mark.parametrize("q", ["", " ", "   \t  "])
def test_empty_search_shows_the_grouped_index(client, people, q):
    article(people, "dep", "Ketamine for depression", kind=Article.Kind.CONDITION,
            conditions=["depression"])  # fmt: skip
    article(people, "cost", "Costs and insurance")
    html = search(client, q=q)
    assert '<h2 id="conditions-heading">Ketamine for each condition</h2>' in html
    assert '<h2 id="guides-heading">Guides to the decisions</h2>' in html
    assert "Ketamine for depression" in html
    assert "Costs and insurance" in html
    assert results_heading(html) is None
    assert "robots" not in Meta(html).names


def test_drafts_and_scheduled_articles_are_never_found(client, people):
    article(people, "live", "Quokkas live")
    article(people, "draft", "Quokkas draft", status="draft")
    later = article(people, "later", "Quokkas later")
    Article.objects.filter(pk=later.pk).update(published_at=datetime(2099, 1, 1, tzinfo=UTC))
    html = search(client, q="quokkas")
    assert result_titles(html) == ["Quokkas live"]
    assert results_heading(html) == "1 article about “quokkas”"
    assert result_titles(search(client, q="draft")) == []


def test_search_results_are_not_indexed_by_search_engines(client, people):
    article(people, "one", "Quokkas")
    assert Meta(search(client, q="quokkas")).names.get("robots") == "noindex"
    assert Meta(search(client, q="nothing")).names.get("robots") == "noindex"
    assert "robots" not in Meta(search(client)).names


def test_a_search_costs_a_fixed_number_of_queries(client, people, django_assert_num_queries):
    for n in range(6):
        article(people, f"a{n}", f"Quokkas {n}", conditions=["depression", "anxiety"])
    # The articles, their conditions, and the condition and treatment lists of the page.
    with django_assert_num_queries(4):
        html = search(client, q="quokkas", condition="depression")
    assert len(result_titles(html)) == 6
