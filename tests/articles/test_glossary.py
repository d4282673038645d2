"""The glossary: the /glossary/ page and the links from articles to its terms.

The page lists every term under its letter with its own anchor; the shipped articles
link only to anchors that exist, each term once. Rendering links the first use of a
term (or of one of its other names) in the running text, never inside headings, links,
code or citation markers, and abbreviations only in capitals. Adding, renaming or
deleting a term re-renders the articles. Whatever editors type is shown as text.
"""

import re
from collections import Counter
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from articles.models import Article, Citation, GlossaryTerm, Person
from articles.rendering import render

pytestmark = pytest.mark.django_db

TERM_LINK_RE = re.compile(r'<a href="/glossary/#([^"]+)" class="term">(.*?)</a>')
IV = ("iv-intravenous", ["IV (intravenous)", "IV", "intravenous", "intravenously"])
NMDA = ("nmda-receptor", ["NMDA receptor", "NMDA receptors", "NMDA-receptor", "NMDA"])


class GlossaryPage(HTMLParser):
    """The letters, entries and ids of /glossary/."""

    def __init__(self, html):
        super().__init__()
        self.ids, self.letter_links, self.sections = [], [], []
        self.entries = {}  # id → {"letter", "term", "definition"}
        self._entry = self._field = None
        self._in_letters = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "nav" and "glossary__letters" in attrs.get("class", ""):
            self._in_letters = True
        elif tag == "a" and self._in_letters:
            self.letter_links.append(attrs["href"])
        elif tag == "h2" and attrs.get("id", "").startswith("letter-"):
            self.sections.append(attrs["id"])
        elif tag == "div" and "glossary__entry" in attrs.get("class", ""):
            self._entry = {"letter": self.sections[-1], "term": "", "definition": ""}
            self.entries[attrs["id"]] = self._entry
        elif tag in ("dt", "dd") and self._entry is not None:
            self._field = "term" if tag == "dt" else "definition"
        elif self._field:  # any tag inside a term or definition
            self._entry[self._field] += f"<{tag}>"

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_letters = False
        elif tag in ("dt", "dd"):
            self._field = None
        elif tag == "div":
            self._entry = None

    def handle_data(self, data):
        if self._field:
            self._entry[self._field] += data


def glossary_page(client):
    response = client.get("/glossary/")
    assert response.status_code == 200
    return GlossaryPage(response.content.decode())


def term_links(html):
    """[(slug, linked text)] of the glossary links in an article's HTML."""
    return [(slug, unescape(text)) for slug, text in TERM_LINK_RE.findall(html)]


def visible_text(html):
    """What a reader sees: the text of the HTML, tags left out, entities decoded."""

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


@pytest.fixture
def shipped():
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)


@pytest.fixture
def story():
    """A published article, saved before the glossary terms a test adds."""
    author = Person.objects.create(name="Ada Quill", slug="ada", bio="Writes.", role="writer")
    reviewer = Person.objects.create(
        name="Basil Marsh", slug="basil", credentials="MD", bio="Reviews.",
        role=Person.Role.MEDICAL_REVIEWER,
    )  # fmt: skip
    item = Article.objects.create(
        slug="story", title="A story", summary="Summary.", status="published",
        author=author, reviewer=reviewer, last_reviewed=date(2026, 10, 30),
        body="Zorblax helps some people [cite:1]. Later, zorblax again. Quuxine too.",
    )  # fmt: skip
    Citation.objects.create(article=item, position=1, text="A source.")
    return item


def story_links(client):
    """The glossary links of the story as stored, and as its public page shows them."""
    stored = term_links(Article.objects.get(slug="story").body_html)
    response = client.get("/articles/story/")
    assert response.status_code == 200
    body = response.content.decode()
    assert term_links(body) == stored
    return stored


# --- The glossary page ---------------------------------------------------------------------


def test_glossary_lists_every_term_with_its_anchor_and_definition(client, shipped):
    page = glossary_page(client)
    terms = list(GlossaryTerm.objects.all())
    assert len(terms) == 28
    assert set(page.entries) == {term.slug for term in terms}
    for term in terms:
        entry = page.entries[term.slug]
        assert entry["term"] == term.term
        assert entry["definition"] == term.definition
    assert len(page.ids) == len(set(page.ids))


def test_glossary_groups_terms_by_letter_with_letter_links_to_the_page(client, shipped):
    page = glossary_page(client)
    for slug, entry in page.entries.items():
        term = GlossaryTerm.objects.get(slug=slug)
        assert entry["letter"] == f"letter-{term.term[0].lower()}", term.term
    letters = sorted({term.term[0].lower() for term in GlossaryTerm.objects.all()})
    assert page.sections == [f"letter-{letter}" for letter in letters]
    assert page.letter_links == [f"#letter-{letter}" for letter in letters]
    assert all(link.removeprefix("#") in page.ids for link in page.letter_links)


def test_a_term_that_starts_in_lowercase_is_listed_under_its_letter(client, shipped):
    # Ordered by `term` with a case-sensitive collation (C, SQLite), "mTOR" would sort
    # after "Telehealth" and open a second "M" section with a second id="letter-m".
    GlossaryTerm.objects.create(
        term="mTOR", slug="mtor", definition="A protein that controls cell growth."
    )
    page = glossary_page(client)
    assert page.entries["mtor"]["letter"] == "letter-m"
    assert page.sections == sorted(set(page.sections))
    assert len(page.ids) == len(set(page.ids))


def test_an_empty_glossary_says_so(client):
    page = glossary_page(client)
    assert page.entries == {}
    assert page.letter_links == []


# --- The shipped articles link to it ---------------------------------------------------------


def test_every_glossary_link_in_the_shipped_articles_resolves_once_per_term(client, shipped):
    anchors = set(glossary_page(client).ids)
    linked = Counter()
    for article in Article.objects.published():
        links = term_links(article.body_html)
        slugs = [slug for slug, _text in links]
        assert set(slugs) <= anchors, article.slug
        assert len(slugs) == len(set(slugs)), article.slug  # each term at most once
        linked.update(slugs)
        # What the reader's page shows is the same set of links.
        assert term_links(client.get(article.get_absolute_url()).content.decode()) == links
    assert len(linked) >= 20  # the glossary is used, not just declared


def test_shipped_route_guide_links_its_first_uses(shipped):
    html = Article.objects.get(slug="ketamine-routes-compared").body_html
    links = dict(term_links(html))
    # The first "IV" is in the running text before the "## IV infusion" heading.
    assert links["iv-intravenous"] == "IV"
    assert '<h2 id="iv-infusion">IV infusion</h2>' in html


# --- Rendering the links -----------------------------------------------------------------------


def test_first_use_is_linked_and_later_ones_are_not():
    html = render(
        "Intravenous ketamine is common. Intravenous doses vary.\n\nMore intravenous notes.",
        [IV],
    ).html
    assert term_links(html) == [("iv-intravenous", "Intravenous")]
    assert html.startswith('<p><a href="/glossary/#iv-intravenous" class="term">Intravenous</a>')
    assert visible_text(html).count("ntravenous") == 3


def test_the_link_points_at_the_glossary_address_given():
    html = render("It blocks NMDA receptors.", [NMDA], "/en/glossary/").html
    assert '<a href="/en/glossary/#nmda-receptor" class="term">NMDA receptors</a>' in html


@pytest.mark.parametrize(
    "body",
    [
        "## Intravenous dosing\n\nText.",
        "### Intravenous dosing\n\nText.",
        "See [intravenous use](https://example.org/iv).",
        "Type `intravenous` in the form.",
        "```\nintravenous\n```",
        "    intravenous",
        "**[Intravenous](https://example.org/iv) guide**",
    ],
)
def test_terms_are_not_linked_in_headings_links_or_code(body):
    assert render(body, [IV]).html == render(body).html


def test_after_an_unlinked_place_the_first_running_text_use_is_linked():
    body = (
        "## Intravenous dosing\n\nSee [intravenous use](https://example.org/iv) and "
        "`intravenous`. An intravenous drip, then intravenous again."
    )
    html = render(body, [IV]).html
    assert term_links(html) == [("iv-intravenous", "intravenous")]
    assert '<h2 id="intravenous-dosing">Intravenous dosing</h2>' in html
    assert '<a href="https://example.org/iv" rel="noopener nofollow">intravenous use</a>' in html
    assert "<code>intravenous</code>" in html
    assert 'An <a href="/glossary/#iv-intravenous" class="term">intravenous</a> drip' in html


def test_citation_markers_are_never_linked():
    # A term that names what a marker shows: the marker stays exactly as without glossary.
    body = "One trial [cite:1]. Two trials [cite:1,2]."
    assert render(body, [("one", ["1", "2", "Reference"])]).html == render(body).html


def test_an_abbreviation_in_capitals_links_only_in_capitals():
    glossary = [IV]
    assert term_links(render("Put the iv line in.", glossary).html) == []
    assert term_links(render("The Iv line.", glossary).html) == []
    html = render("An iv line, then IV ketamine, then IV again.", glossary).html
    assert term_links(html) == [("iv-intravenous", "IV")]
    assert "An iv line" in html
    # A phrase that is not an abbreviation matches in any case.
    assert term_links(render("INTRAVENOUS use.", glossary).html) == [
        ("iv-intravenous", "INTRAVENOUS")
    ]


def test_other_names_of_a_term_link_to_the_term():
    html = render("It acts on NMDA receptors. The NMDA receptor again.", [NMDA, IV]).html
    assert term_links(html) == [("nmda-receptor", "NMDA receptors")]
    html = render("Given intravenously or by IV.", [NMDA, IV]).html
    assert term_links(html) == [("iv-intravenous", "intravenously")]


def test_a_word_that_only_contains_a_term_is_not_linked():
    assert term_links(render("Non-intravenous and intravenousness.", [IV]).html) == []


def test_two_terms_in_one_sentence_are_both_linked():
    html = render("Intravenous ketamine blocks the NMDA receptor.", [NMDA, IV]).html
    assert term_links(html) == [
        ("iv-intravenous", "Intravenous"),
        ("nmda-receptor", "NMDA receptor"),
    ]


# --- Editing the glossary re-renders the articles --------------------------------------------


def test_adding_a_term_links_it_in_articles_saved_before(client, story):
    assert story_links(client) == []
    GlossaryTerm.objects.create(
        term="Zorblax", slug="zorblax", definition="A made-up medicine.", also_matches=""
    )
    assert story_links(client) == [("zorblax", "Zorblax")]


def test_adding_an_other_name_links_it(client, story):
    term = GlossaryTerm.objects.create(term="Quux", slug="quux", definition="Made up.")
    assert story_links(client) == []
    term.also_matches = "quuxine\nquuxines"
    term.save()
    assert story_links(client) == [("quux", "Quuxine")]


def test_renaming_a_term_moves_its_links(client, story):
    term = GlossaryTerm.objects.create(term="Zorblax", slug="zorblax", definition="Made up.")
    assert story_links(client) == [("zorblax", "Zorblax")]
    term.slug = "zorblax-medicine"
    term.save()
    assert story_links(client) == [("zorblax-medicine", "Zorblax")]
    term.term = "Quuxine"
    term.save()
    assert story_links(client) == [("zorblax-medicine", "Quuxine")]


def test_deleting_a_term_removes_its_links(client, story):
    term = GlossaryTerm.objects.create(term="Zorblax", slug="zorblax", definition="Made up.")
    assert story_links(client) == [("zorblax", "Zorblax")]
    term.delete()
    assert story_links(client) == []
    assert "Zorblax helps some people" in Article.objects.get(slug="story").body_html


def test_readers_see_the_new_links_with_the_page_cache_on(
    client, story, settings, django_capture_on_commit_callbacks
):
    settings.RESPONSE_CACHE_SECONDS = 300
    assert story_links(client) == []  # now cached
    with django_capture_on_commit_callbacks(execute=True):  # the cache's version, at commit
        GlossaryTerm.objects.create(term="Zorblax", slug="zorblax", definition="Made up.")
    assert story_links(client) == [("zorblax", "Zorblax")]


def test_editing_the_glossary_in_the_admin_relinks_the_articles(editor_client, story):
    response = editor_client.post(
        "/admin/articles/glossaryterm/add/",
        {"term": "Zorblax", "slug": "zorblax", "definition": "Made up.", "also_matches": ""},
    )
    assert response.status_code == 302
    assert term_links(Article.objects.get(slug="story").body_html) == [("zorblax", "Zorblax")]


# --- What editors type is text ---------------------------------------------------------------


def test_glossary_shows_term_and_definition_as_text(client):
    GlossaryTerm.objects.create(
        term="Bold <b>type</b> & co",
        slug="bold",
        definition="Hi <img src=x onerror=alert(1)> there.",
    )
    response = client.get("/glossary/")
    html = response.content.decode()
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
    assert "<b>type" not in html
    assert "Hi &lt;img src=x onerror=alert(1)&gt; there." in html
    entry = GlossaryPage(html).entries["bold"]
    assert entry == {
        "letter": "letter-b",
        "term": "Bold <b>type</b> & co",
        "definition": "Hi <img src=x onerror=alert(1)> there.",
    }


def test_a_phrase_with_html_characters_keeps_the_article_html_intact(story):
    body = 'The P&T committee, <b>"Q&A"</b> and a < b > c [cite:1].'
    GlossaryTerm.objects.create(
        term="P&T committee", slug="p-t-committee", definition="Made up.",
        also_matches='<b>\n"Q&A"\n< b >\nP&T',
    )  # fmt: skip
    story.body = body
    story.save()
    html = Article.objects.get(slug="story").body_html
    assert visible_text(html) == visible_text(render(body).html)
    assert "<b>" not in html
    assert set(re.findall(r"<([a-z0-9]+)", html)) <= {"p", "a", "sup"}


def test_a_phrase_with_an_ampersand_is_linked_where_the_article_uses_it():
    # link_terms() matches what readers see, not the HTML, where "&" is "&amp;".
    html = render("Read our Q&A first.", [("q-a", ["Q&A"])]).html
    assert term_links(html) == [("q-a", "Q&A")]
    assert visible_text(html).strip() == "Read our Q&A first."


def test_a_lowercase_phrase_never_links_inside_an_html_entity():
    # A lowercase phrase such as "amp" (ampoules) must not match inside "&amp;", which
    # would break the entity: "&<a …>amp</a>;".
    body = "Ketamine comes in vials & amps, and 2 < 3."
    html = render(body, [("ampoule", ["ampoule", "amp", "amps"]), ("lt", ["lt"])]).html
    assert visible_text(html) == visible_text(render(body).html)
    assert term_links(html) == [("ampoule", "amps")]


def test_a_phrase_with_an_apostrophe_is_linked_although_the_article_curls_it():
    # The typographer curls the apostrophe of "Crohn's" (U+2019) before terms are
    # matched; a term typed with a plain apostrophe links all the same.
    html = render("People with Crohn's disease.", [("crohns", ["Crohn's disease"])]).html
    assert term_links(html) == [("crohns", "Crohn’s disease")]


def test_a_term_change_relinks_every_article_in_a_fixed_number_of_queries(
    shipped, django_assert_num_queries
):
    # The glossary is read once per language, not once per article or translation: the
    # insert, then for the articles and for the translations their glossary, their rows
    # and one update; and the content version (core.models.ContentVersion).
    with django_assert_num_queries(9):
        GlossaryTerm.objects.create(term="Vial", slug="vial", definition="A small bottle.")
