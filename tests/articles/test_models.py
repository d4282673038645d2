"""People, articles and citations: publishing rules, rendering on save, review dates."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, Citation, Person
from articles.rendering import cited_numbers, marker_errors
from directory.models import Condition

pytestmark = pytest.mark.django_db

BODY = "## Why it matters\n\nKetamine can ease pain [cite:1]. Trials agree [cite:1,2].\n"


# --- A small cast ------------------------------------------------------------------------


def writer(**fields):
    return Person.objects.create(
        **{"name": "Ada Quill", "slug": "ada-quill", "bio": "Writes.", "role": "writer"} | fields
    )


def reviewer(**fields):
    return Person.objects.create(
        **{"name": "Basil Marsh", "slug": "basil-marsh", "credentials": "MD", "bio": "Reviews.",
           "role": Person.Role.MEDICAL_REVIEWER} | fields
    )  # fmt: skip


def cite(article, *positions):
    for position in positions:
        Citation.objects.create(
            article=article,
            position=position,
            text=f"Source {position}.",
            url=f"https://example.org/{position}",
        )


def draft(**fields):
    """A saved draft with nothing but the text: what a writer starts from."""
    fields = {"title": "Ketamine basics", "slug": "ketamine-basics", "summary": "What it is.",
              "key_points": "It eases pain.", "body": BODY} | fields  # fmt: skip
    return Article.objects.create(**fields)


def publishable(citations=2, **fields):
    """A draft that meets every publishing rule, with `citations` numbered 1 … N."""
    if "author" not in fields:
        fields.update(author=writer(), reviewer=reviewer())
    article = draft(last_reviewed=timezone.localdate(), **fields)
    cite(article, *range(1, citations + 1))
    return article


def errors_publishing(article):
    """The full_clean() messages, by field, for publishing `article` as it is."""
    article.status = Article.Status.PUBLISHED
    with pytest.raises(ValidationError) as caught:
        article.full_clean()
    return caught.value.message_dict


# --- Publishing rules ----------------------------------------------------------------------


def test_draft_without_author_reviewer_date_or_citations_is_valid_and_saves():
    article = Article(title="Notes", slug="notes", summary="Later.", body="[cite:4] todo")
    article.full_clean()
    article.save()
    assert Article.objects.get(slug="notes").status == Article.Status.DRAFT


def test_publishable_article_passes_full_clean():
    article = publishable()
    article.status = Article.Status.PUBLISHED
    article.full_clean()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("author", "An article is published only with an author."),
        ("reviewer", "An article is published only with a medical reviewer."),
        ("last_reviewed", "An article is published only with a medical review date."),
    ],
)
def test_publishing_needs_author_reviewer_and_review_date(field, message):
    article = publishable()
    setattr(article, field, None)
    assert errors_publishing(article) == {field: [message]}


def test_publishing_needs_at_least_one_citation():
    article = publishable(citations=0, body="No sources yet.")
    assert errors_publishing(article) == {
        "body": ["An article is published only with at least one citation."]
    }


def test_unsaved_article_cannot_be_published_without_citations():
    article = Article(title="T", slug="t", summary="S", key_points="K", body="Plain.",
                      author=writer(), reviewer=reviewer(),
                      last_reviewed=timezone.localdate())  # fmt: skip
    assert "at least one citation" in errors_publishing(article)["body"][0]


def test_marker_to_a_missing_citation_is_named_in_the_error():
    article = publishable(citations=10, body="Fine [cite:10]. Wrong [cite:12].")
    assert errors_publishing(article) == {
        "body": ["Marker [cite:12] points at citation 12, but the article has 10 citations."]
    }


def test_marker_to_a_missing_position_is_refused_even_when_the_count_is_high_enough():
    # BUG: Article.clean() compares markers with citations.count(), not the
    # positions that exist. Citations 1 and 3 (a draft may have gaps) make
    # "[cite:2]" pass, and the published page links to a reference that is not there.
    article = publishable(citations=0, body="Claim [cite:2].")
    cite(article, 1, 3)
    article.status = Article.Status.PUBLISHED
    with pytest.raises(ValidationError, match=r"\[cite:2\]"):
        article.full_clean()


def test_hero_image_needs_alt_text():
    article = draft(hero_image="img/articles/ketamine-for-ptsd.svg", hero_alt="  ")
    with pytest.raises(ValidationError) as caught:
        article.full_clean()
    assert caught.value.message_dict == {
        "hero_alt": ["Describe the image for people who cannot see it."]
    }


def test_citation_pubmed_id_is_digits_and_doi_is_stored_bare():
    article = draft()
    bad = Citation(article=article, position=1, text="Ref.", pmid="PMC123")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert caught.value.message_dict["pmid"] == ["A PubMed ID is digits only."]
    good = Citation(article=article, position=1, text="Ref.", doi="https://doi.org/10.1/x")
    good.full_clean()
    assert good.doi == "10.1/x"


def test_two_citations_cannot_share_a_position():
    article = draft()
    cite(article, 1)
    with pytest.raises(ValidationError, match="Article and Position already exists"):
        Citation(article=article, position=1, text="Again.").full_clean()


# --- Saving -----------------------------------------------------------------------------


def test_body_is_rendered_on_save_and_again_when_it_changes():
    article = draft()
    stored = Article.objects.get(pk=article.pk)
    assert '<h2 id="why-it-matters">Why it matters</h2>' in stored.body_html
    assert stored.toc == [["why-it-matters", "Why it matters"]]
    assert stored.backlinks == {"1": ["cite-1-a", "cite-1-b"], "2": ["cite-2-a"]}
    stored.body = "## Risks\n\nNausea [cite:2]."
    stored.save()
    stored = Article.objects.get(pk=article.pk)
    assert "why-it-matters" not in stored.body_html
    assert stored.toc == [["risks", "Risks"]]
    assert stored.backlinks == {"2": ["cite-2-a"]}


def test_published_at_is_set_when_first_published_and_then_kept():
    article = publishable()
    assert article.published_at is None
    article.status = Article.Status.PUBLISHED
    before = timezone.now()
    article.save()
    first = article.published_at
    assert before <= first <= timezone.now()
    article.title = "Ketamine basics, revised"
    article.save()
    assert Article.objects.get(pk=article.pk).published_at == first


def test_published_queryset_leaves_out_drafts_and_scheduled_articles():
    now = timezone.now()
    live = publishable(status="published", published_at=now - timedelta(days=1))
    publishable(slug="later", status="published", published_at=now + timedelta(days=1),
                author=live.author, reviewer=live.reviewer)  # fmt: skip
    Article.objects.create(title="D", slug="d", summary="S", body="B")
    assert list(Article.objects.published()) == [live]


def test_review_is_due_after_twelve_months_or_when_never_reviewed():
    today = timezone.localdate()
    # Days since the last review; "edge" is exactly 12 months (365 days) old: still current.
    days_ago = {"fresh": 0, "edge": 365, "stale": 366, "never": None}
    articles = [
        draft(slug=slug, last_reviewed=None if days is None else today - timedelta(days=days))
        for slug, days in days_ago.items()
    ]
    due = set(Article.objects.review_due().values_list("slug", flat=True))
    assert due == {"stale", "never"}
    assert {article.slug for article in articles if article.review_due} == due
    # A given day moves the window: a year from now, the fresh one is due too.
    later = Article.objects.review_due(today=today + timedelta(days=366))
    assert set(later.values_list("slug", flat=True)) == {"fresh", "edge", "stale", "never"}


def test_person_reads_with_credentials():
    assert str(reviewer()) == "Basil Marsh, MD"
    assert str(writer()) == "Ada Quill"


# --- The shipped content ---------------------------------------------------------------------


@pytest.fixture
def shipped():
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    return {article.slug: article for article in Article.objects.all()}


CONDITION_ARTICLES = {
    "ketamine-for-pain-management": "chronic-pain",
    "ketamine-for-depression": "depression",
    "ketamine-for-ptsd": "ptsd",
    "ketamine-for-anxiety": "anxiety",
    "ketamine-for-ocd": "ocd",
    "ketamine-for-bipolar-depression": "bipolar-depression",
    "ketamine-for-addiction": "addiction",
}
GUIDES = {
    "ketamine-cost-and-insurance", "ketamine-routes-compared",
    "ketamine-safety-and-side-effects", "choosing-a-ketamine-provider",
    "your-first-ketamine-treatment", "at-home-ketamine-and-the-rules",
    "ketamine-assisted-psychotherapy",
}  # fmt: skip


def test_fixtures_publish_an_article_for_every_condition_and_the_decision_guides(shipped):
    published = Article.objects.published()
    assert set(published.values_list("slug", flat=True)) == {*CONDITION_ARTICLES, *GUIDES}
    about = {
        article.slug: [c.slug for c in article.conditions.all()]
        for article in published.filter(kind=Article.Kind.CONDITION)
    }
    assert about == {slug: [condition] for slug, condition in CONDITION_ARTICLES.items()}
    assert set(published.filter(kind=Article.Kind.GUIDE).values_list("slug", flat=True)) == GUIDES
    # Every condition the directory searches by has its article.
    assert set(Condition.objects.values_list("slug", flat=True)) == set(CONDITION_ARTICLES.values())


def test_every_shipped_article_has_six_checkable_references_and_its_review_dates(shipped):
    for article in Article.objects.published().prefetch_related("citations"):
        citations = list(article.citations.all())
        assert len(citations) >= 6, article.slug
        assert all(c.doi or c.pmid or c.url for c in citations), article.slug
        assert article.author, article.slug
        assert article.reviewer, article.slug
        assert article.last_reviewed < article.next_review, article.slug
        assert 3 <= len(article.key_point_list) <= 6, article.slug


def test_pain_article_has_ten_citations_and_every_marker_resolves(shipped):
    pain = shipped["ketamine-for-pain-management"]
    positions = list(pain.citations.values_list("position", flat=True))
    assert positions == list(range(1, 11))
    assert marker_errors(pain.body, range(1, 11)) == []
    assert set(cited_numbers(pain.body)) <= set(positions)


def test_every_shipped_article_meets_the_publishing_rules(shipped):
    for article in shipped.values():
        article.full_clean()  # status is published: runs every rule
        positions = set(article.citations.values_list("position", flat=True))
        assert set(cited_numbers(article.body)) <= positions, article.slug


def test_loaded_articles_are_rendered_although_fixtures_skip_save(shipped):
    for article in shipped.values():
        assert article.body_html.startswith("<p>"), article.slug
        assert "[cite:" not in article.body_html, article.slug
        assert article.toc, article.slug
        cited = {str(n) for n in cited_numbers(article.body)}
        assert set(article.backlinks) == cited, article.slug


def test_shipped_bios_say_they_are_sample_profiles(shipped):
    people = Person.objects.all()
    assert len(people) == 6  # two writers, a translator, three medical reviewers
    for person in people:
        assert "sample profile" in person.bio, person.name
        assert "perfil de muestra" in person.bio_es, person.name
    reviewers = people.filter(role=Person.Role.MEDICAL_REVIEWER)
    assert all(person.credentials for person in reviewers)
