"""The editorial checks where editors meet them: `manage.py check_content` and the admin.

The command on the shipped articles, on an article with errors or only warnings, on one
slug, and on published articles only. The admin refusing to publish an article that
breaks a rule (the message next to the field or the citation row), saving a draft with
"Before publishing: …" messages, and showing a published article's warnings after saving.
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.html import conditional_escape, escape

from articles.models import Article, ArticleTranslation, Citation, Person
from tests.articles.test_admin import TWO_SOURCES, errors_of, person, post_article

pytestmark = pytest.mark.django_db

LINE = re.compile(
    r"^(?P<slug>[a-z0-9-]+)(?P<draft> \(draft\))?: grade (?P<grade>-?\d+\.\d), "
    r"SMOG (?P<smog>\d+\.\d), (?P<words>[\d,]+) words, (?P<references>\d+) references: "
    r"(?P<status>ok|warnings|errors)$"
)
CURE = "“cures” promises a cure; ketamine treats symptoms, and results vary."
UNCITED = "A number without a citation: “About 30% of people respond.”"
# 3 sentences, 15 words, 28 syllables: Flesch-Kincaid grade 8.4 (see test_checks.py).
OVER_GRADE_8 = (
    "Doctors give medicine to patients [cite:1]. The animal ate a banana today [cite:2]. "
    "The computer helps elephants."
)


@pytest.fixture
def shipped(db):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    # Reviewed today, so that no review falls due however long after the fixtures'
    # dates the tests run (a due review is a warning: see test_checks.py).
    today = timezone.localdate()
    Article.objects.update(last_reviewed=today, next_review=today + timedelta(days=365))
    return Article.objects.order_by("slug")


def run(*args):
    """Run check_content; return (its output lines, the CommandError or None)."""
    out = StringIO()
    try:
        call_command("check_content", *args, stdout=out, no_color=True)
    except CommandError as error:
        return out.getvalue().splitlines(), error
    return out.getvalue().splitlines(), None


def reports(lines):
    """The article lines of the output, by slug."""
    return {match["slug"]: match for match in map(LINE.match, lines) if match}


def findings_under(lines, slug):
    """The indented finding lines printed under `slug`'s line."""
    start = next(
        i for i, line in enumerate(lines) if (match := LINE.match(line)) and match["slug"] == slug
    )
    found = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        found.append(line.strip())
    return found


def spoil(article, **fields):
    """Change a saved article's fields in the database, as an editor's slip would."""
    Article.objects.filter(pk=article.pk).update(**fields)


# --- manage.py check_content -------------------------------------------------------------------


def test_every_shipped_article_is_ok(shipped):
    lines, error = run()
    assert error is None
    found = reports(lines)
    assert set(found) == {article.slug for article in shipped}
    assert len(found) == 14
    for article in shipped:
        line = found[article.slug]
        reading, _findings = article.check_content()
        assert line["status"] == "ok", lines
        assert line["draft"] is None
        assert float(line["grade"]) == pytest.approx(reading.grade, abs=0.05)
        assert float(line["grade"]) <= 8
        assert float(line["smog"]) == pytest.approx(reading.smog, abs=0.05)
        assert float(line["smog"]) > 3
        assert int(line["words"].replace(",", "")) == reading.words > 300
        assert int(line["references"]) == article.citations.count() > 0
    assert lines[-1] == "Checked 14 articles and 5 translations: 0 errors, 0 warnings."
    # Nothing but the article lines, the translation lines and the summary.
    assert len(lines) == 20


SPANISH_LINE = re.compile(
    r"^(?P<slug>[a-z0-9-]+) \[es\]: Fernández Huerta (?P<fh>[\d.]+), INFLESZ (?P<inflesz>[\d.]+), "
    r"(?P<words>[\d,]+) words, (?P<references>\d+) references: (?P<status>\w+)$"
)


def test_every_shipped_translation_is_checked_with_the_spanish_formulas(shipped):
    lines, error = run()
    assert error is None
    found = {m["slug"]: m for m in map(SPANISH_LINE.match, lines) if m}
    assert set(found) == {
        "ketamine-for-pain-management",
        "ketamine-for-depression",
        "ketamine-for-ptsd",
        "ketamine-cost-and-insurance",
        "choosing-a-ketamine-provider",
    }
    for translation in ArticleTranslation.objects.select_related("article"):
        line = found[translation.article.slug]
        reading, findings = translation.check_content()
        assert findings == []
        assert line["status"] == "ok"
        assert float(line["fh"]) == pytest.approx(reading.fernandez_huerta, abs=0.05)
        # The same goal as the English grade 8: 60 or more on Fernández Huerta's scale.
        assert float(line["fh"]) >= 60
        assert int(line["references"]) == translation.citations.count() > 0


def test_articles_are_listed_in_slug_order(shipped):
    lines, _error = run()
    assert list(reports(lines)) == sorted(article.slug for article in shipped)


def test_an_article_with_an_error_fails_the_run_and_the_error_is_printed(shipped):
    ocd = shipped.get(slug="ketamine-for-ocd")
    spoil(ocd, summary="Ketamine cures OCD for some people.")
    lines, error = run()
    assert reports(lines)["ketamine-for-ocd"]["status"] == "errors"
    assert findings_under(lines, "ketamine-for-ocd") == [f"error (summary): {CURE}"]
    assert str(error) == "Checked 14 articles and 5 translations: 1 error, 0 warnings."
    # The other articles are still checked and reported.
    assert sum(line["status"] == "ok" for line in reports(lines).values()) == 13


def test_reference_and_publishing_errors_are_reported_too(shipped):
    pain = shipped.get(slug="ketamine-for-pain-management")
    Citation.objects.filter(article=pain, position=2).update(url="", doi="", pmid="")
    spoil(pain, reviewer=None)
    lines, error = run("ketamine-for-pain-management")
    assert findings_under(lines, "ketamine-for-pain-management") == [
        "error (citations): Reference 2 has no DOI, PubMed ID or web address: readers "
        "cannot check it.",
        "error (reviewer): An article is published only with a medical reviewer.",
    ]
    assert str(error) == "Checked 1 article and 1 translation: 2 errors, 0 warnings."


def test_a_marker_without_its_citation_is_an_error(shipped):
    ocd = shipped.get(slug="ketamine-for-ocd")
    count = ocd.citations.count()
    spoil(ocd, body=ocd.body + f"\n\nMore [cite:{count + 1}].\n")
    lines, error = run("ketamine-for-ocd")
    assert findings_under(lines, "ketamine-for-ocd") == [
        f"error (body): Marker [cite:{count + 1}] points at citation {count + 1}, but the "
        f"article has {count} citations."
    ]
    assert error is not None


def test_warnings_alone_pass(shipped):
    ocd = shipped.get(slug="ketamine-for-ocd")
    yesterday = timezone.localdate() - timedelta(days=1)
    spoil(ocd, body=ocd.body + "\n\nAbout 30% of people respond.\n", next_review=yesterday)
    lines, error = run()
    assert error is None
    assert reports(lines)["ketamine-for-ocd"]["status"] == "warnings"
    due = f"{yesterday:%B} {yesterday.day}, {yesterday.year}"
    assert findings_under(lines, "ketamine-for-ocd") == [
        f"warning (body): {UNCITED}",
        f"warning (next_review): The medical review was due on {due}.",
    ]
    assert lines[-1] == "Checked 14 articles and 5 translations: 0 errors, 2 warnings."


def test_slugs_limit_the_run_to_those_articles(shipped):
    spoil(shipped.get(slug="ketamine-for-ocd"), summary="Ketamine cures OCD.")
    lines, error = run("ketamine-for-ptsd", "ketamine-for-anxiety")
    assert error is None
    assert list(reports(lines)) == ["ketamine-for-anxiety", "ketamine-for-ptsd"]
    assert lines[-1] == "Checked 2 articles and 1 translation: 0 errors, 0 warnings."


def test_an_unknown_slug_is_an_error_naming_it(shipped):
    lines, error = run("ketamine-for-ocd", "ketamine-for-hiccups")
    assert str(error) == "No article with the slug ketamine-for-hiccups."
    assert lines == []  # nothing is checked


def test_published_leaves_out_drafts(shipped):
    Article.objects.create(
        title="Ketamine and sleep", slug="ketamine-and-sleep", summary="Notes.", body="[cite:2]"
    )
    lines, error = run()
    assert reports(lines)["ketamine-and-sleep"]["draft"] == " (draft)"
    assert reports(lines)["ketamine-and-sleep"]["status"] == "errors"
    assert "error (author): An article is published only with an author." in findings_under(
        lines, "ketamine-and-sleep"
    )
    assert str(error).startswith("Checked 15 articles and 5 translations: ")

    lines, error = run("--published")
    assert error is None
    assert "ketamine-and-sleep" not in reports(lines)
    assert len(reports(lines)) == 14
    assert lines[-1] == "Checked 14 articles and 5 translations: 0 errors, 0 warnings."


def test_published_leaves_out_scheduled_articles(shipped):
    spoil(
        shipped.get(slug="ketamine-for-ocd"),
        published_at=timezone.now() + timedelta(days=7),
        summary="Ketamine cures OCD.",
    )
    lines, error = run("--published")
    assert error is None
    assert "ketamine-for-ocd" not in reports(lines)
    _lines, error = run()
    assert error is not None


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def people():
    return {
        "writer": person("Ada Quill"),
        "reviewer": person("Basil Marsh", Person.Role.MEDICAL_REVIEWER, "MD"),
    }


def next_to(response, field):
    """The HTML of the form row of `field` on the re-displayed admin form."""
    html = response.content.decode()
    start = html.index(f" field-{field}")
    return html[start : html.index('class="form-row', start)]


def field_errors(response, field):
    assert response.status_code == 200, "expected the form again, with errors"
    return list(response.context["adminform"].form.errors.get(field, []))


def row_errors(response):
    """The errors of each citation row, in order."""
    formset = response.context["inline_admin_formsets"][0].formset
    return [list(form.non_field_errors()) for form in formset.forms]


def messages_after(client, response):
    """The messages the page after the redirect shows: [(level, text)]."""
    assert response.status_code == 302, errors_of(response)
    page = client.get(response["Location"])
    shown = [(message.level_tag, message.message) for message in page.context["messages"]]
    html = page.content.decode()
    assert all(conditional_escape(text) in html for _level, text in shown), shown
    return shown


def test_publishing_a_claim_is_refused_next_to_the_body(editor_client, people):
    body = "Ketamine cures pain [cite:1]. Trials agree [cite:1,2]."
    response = post_article(editor_client, people, TWO_SOURCES, body=body)
    assert field_errors(response, "body") == [CURE]
    assert escape(CURE) in next_to(response, "body")
    assert escape(CURE) not in next_to(response, "summary")
    assert not Article.objects.exists()


@pytest.mark.parametrize("field", ["title", "summary", "key_points"])
def test_publishing_a_claim_in_another_field_is_refused_next_to_that_field(
    editor_client, people, field
):
    response = post_article(editor_client, people, TWO_SOURCES, **{field: "It cures pain."})
    assert field_errors(response, field) == [CURE]
    assert escape(CURE) in next_to(response, field)
    assert field_errors(response, "body") == []
    assert not Article.objects.exists()


def test_publishing_text_above_grade_8_is_refused_next_to_the_body(editor_client, people):
    response = post_article(editor_client, people, TWO_SOURCES, body=OVER_GRADE_8)
    [message] = field_errors(response, "body")
    assert message.startswith("The text reads at grade 8.4 (Flesch–Kincaid); published ")
    assert escape(message) in next_to(response, "body")
    assert not Article.objects.exists()


def test_publishing_without_key_points_is_refused_next_to_them(editor_client, people):
    response = post_article(editor_client, people, TWO_SOURCES, key_points="")
    assert field_errors(response, "key_points") == ["Published articles open with key points."]
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"text": "A leaflet from a clinic, 2019."},
            "Reference 2 has no DOI, PubMed ID or web address: readers cannot check it.",
        ),
        (
            {"text": "Smith J. JAMA. 2019.", "doi": "JAMA.2019.1"},
            "Reference 2: “JAMA.2019.1” is not a DOI (they start with 10.).",
        ),
        (
            {"text": "Smith J. JAMA. 2099.", "pmid": "123"},
            "Reference 2 is dated 2099, which is in the future.",
        ),
    ],
)
def test_publishing_a_reference_readers_cannot_check_is_refused_on_its_row(
    editor_client, people, source, message
):
    response = post_article(editor_client, people, [TWO_SOURCES[0], source])
    assert row_errors(response) == [[], [message]]
    assert field_errors(response, "body") == []
    assert not Article.objects.exists()
    assert not Citation.objects.exists()


def test_a_doi_typed_as_a_link_is_stored_bare_and_accepted(editor_client, people):
    source = {"text": "Smith J. JAMA. 2019.", "doi": "https://doi.org/10.1001/jama.2019.1"}
    response = post_article(editor_client, people, [TWO_SOURCES[0], source])
    assert response.status_code == 302, errors_of(response)
    assert Citation.objects.get(position=2).doi == "10.1001/jama.2019.1"


def test_a_draft_with_the_same_problems_saves_with_before_publishing_messages(
    editor_client, people
):
    sources = [TWO_SOURCES[0], {"text": "A leaflet from a clinic, 2019."}]
    # "cures" for "helps": one syllable for one, the grade stays 8.4.
    body = OVER_GRADE_8.replace("computer helps", "computer cures")
    response = post_article(editor_client, people, sources, status="draft", body=body)
    shown = messages_after(editor_client, response)
    article = Article.objects.get(slug="ketamine-for-pain")
    assert article.status == Article.Status.DRAFT
    assert article.citations.count() == 2
    reading, _findings = article.check_content()
    assert reading.grade > 8
    before = {text for level, text in shown if text.startswith("Before publishing: ")}
    assert before == {
        f"Before publishing: The text reads at grade {reading.grade:.1f} (Flesch–Kincaid); "
        "published articles read at grade 8 or lower. Shorter sentences and everyday words "
        "bring it down.",
        f"Before publishing: {CURE}",
        "Before publishing: Reference 2 has no DOI, PubMed ID or web address: readers cannot "
        "check it.",
    }
    assert all(level == "warning" for level, text in shown if text in before)
    assert (
        "info",
        f"Reading grade {reading.grade:.1f} (Flesch–Kincaid), SMOG {reading.smog:.1f}.",
    ) in shown


def test_a_published_article_with_an_uncited_number_saves_and_shows_the_warning(
    editor_client, people
):
    body = "Eases pain [cite:1]. Agreed [cite:1,2].\n\nAbout 30% of people respond.\n"
    response = post_article(editor_client, people, TWO_SOURCES, body=body)
    shown = messages_after(editor_client, response)
    article = Article.objects.get(slug="ketamine-for-pain")
    assert article.status == Article.Status.PUBLISHED
    assert ("warning", UNCITED) in shown
    assert not any(text.startswith("Before publishing") for _level, text in shown)
    reading, _findings = article.check_content()
    assert (
        "info",
        f"Reading grade {reading.grade:.1f} (Flesch–Kincaid), SMOG {reading.smog:.1f}.",
    ) in shown


def test_a_clean_published_article_shows_only_its_reading_grade(editor_client, people):
    shown = messages_after(editor_client, post_article(editor_client, people, TWO_SOURCES))
    assert sorted(level for level, _text in shown) == ["info", "success"]
    assert any(text.startswith("Reading grade ") for level, text in shown if level == "info")
