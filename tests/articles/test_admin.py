"""The editors' article admin: publishing through the form, citations inline, filters."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleTranslation, Citation, Person
from core.editors import EDITORS_GROUP
from directory.models import Condition
from tests.admin_forms import form_data as admin_form_data

pytestmark = pytest.mark.django_db

ADD = reverse("admin:articles_article_add")
CHANGELIST = reverse("admin:articles_article_changelist")
TWO_SOURCES = [
    {"text": "Orhurhu V et al. Anesth Analg. 2019.", "doi": "doi:10.1213/ANE.4185", "pmid": "3"},
    {"text": "FDA news release, 2019.", "url": "https://www.fda.gov/news"},
]


def form_data(client, url):
    return admin_form_data(client.get(url), "article_form")


def errors_of(response):
    """Every error message the admin shows on the re-displayed form."""
    assert response.status_code == 200, "expected the form again, with errors"
    # AdminErrorList holds the inline's messages as strings and each field's as a list.
    messages = []
    for item in response.context["errors"]:
        messages += [item] if isinstance(item, str) else [str(message) for message in item]
    return messages


# --- A small cast ------------------------------------------------------------------------


def person(name, role=Person.Role.WRITER, credentials=""):
    slug = name.lower().replace(" ", "-")
    return Person.objects.create(
        name=name, slug=slug, credentials=credentials, bio="Bio.", role=role
    )


@pytest.fixture
def people():
    return {
        "writer": person("Ada Quill"),
        "reviewer": person("Basil Marsh", Person.Role.MEDICAL_REVIEWER, "MD"),
    }


def post_article(client, people, citations=(), **fields):
    """Fill the add page as an editor would, with `citations` in the inline rows."""
    data = form_data(client, ADD)
    assert data["citations-TOTAL_FORMS"] == "1"  # one empty row, as rendered
    data.update(
        title="Ketamine for pain", slug="ketamine-for-pain", status="published",
        summary="What low doses can do.", body="Eases pain [cite:1]. Agreed [cite:1,2].",
        key_points="Low doses can ease some pain.",
        author=people["writer"].pk, reviewer=people["reviewer"].pk,
        last_reviewed=timezone.localdate().isoformat(),
        conditions=[Condition.objects.get(slug="chronic-pain").pk],
    )  # fmt: skip
    data["citations-TOTAL_FORMS"] = str(max(len(citations), 1))
    for row, citation in enumerate(citations):
        citation = {"position": row + 1} | citation
        data.update({f"citations-{row}-{key}": value for key, value in citation.items()})
    data.update(fields)
    return client.post(ADD, data)


# --- Publishing through the form ---------------------------------------------------------------


def test_editor_publishes_an_article_with_its_citations_in_one_post(editor_client, people):
    response = post_article(editor_client, people, TWO_SOURCES)
    assert response.status_code == 302
    article = Article.objects.get(slug="ketamine-for-pain")
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None
    assert [(c.position, c.doi, c.pmid, c.url) for c in article.citations.all()] == [
        (1, "10.1213/ANE.4185", "3", ""), (2, "", "", "https://www.fda.gov/news"),
    ]  # fmt: skip
    assert article.backlinks == {"1": ["cite-1-a", "cite-1-b"], "2": ["cite-2-a"]}
    assert [c.slug for c in article.conditions.all()] == ["chronic-pain"]
    assert editor_client.get("/articles/ketamine-for-pain/").status_code == 200


def test_publishing_without_citations_is_refused(editor_client, people):
    response = post_article(editor_client, people, body="No sources.")
    assert "An article is published only with at least one citation." in errors_of(response)
    assert not Article.objects.exists()


def test_marker_beyond_the_citations_is_refused_naming_the_marker(editor_client, people):
    response = post_article(editor_client, people, TWO_SOURCES, body="Claim [cite:3].")
    assert errors_of(response) == [
        "Marker [cite:3] points at citation 3, but the article has 2 citations."
    ]
    assert not Article.objects.exists()


def test_gap_in_citation_positions_is_refused(editor_client, people):
    sources = [TWO_SOURCES[0], {**TWO_SOURCES[1], "position": 3}]
    response = post_article(editor_client, people, sources, body="Claim [cite:1].")
    assert errors_of(response) == [
        "Number the citations 1, 2, 3 … without gaps: [cite:N] points at position N."
    ]
    assert not Citation.objects.exists()


def test_publishing_needs_author_reviewer_and_review_date(editor_client, people):
    response = post_article(
        editor_client, people, TWO_SOURCES, author="", reviewer="", last_reviewed=""
    )
    assert set(errors_of(response)) == {
        "An article is published only with an author.",
        "An article is published only with a medical reviewer.",
        "An article is published only with a medical review date.",
    }
    assert "An article is published only with a medical reviewer." in response.content.decode()


def test_draft_without_reviewer_or_citations_saves(editor_client, people):
    response = post_article(
        editor_client, people, status="draft", reviewer="", last_reviewed="", body="[cite:9]"
    )
    assert response.status_code == 302
    article = Article.objects.get(slug="ketamine-for-pain")
    assert (article.status, article.reviewer, article.published_at) == ("draft", None, None)


def test_only_medical_reviewers_can_be_chosen_as_reviewer(editor_client, people):
    response = post_article(editor_client, people, TWO_SOURCES, reviewer=people["writer"].pk)
    assert any("Select a valid choice" in message for message in errors_of(response))


# --- Editing the shipped article --------------------------------------------------------------


@pytest.fixture
def pain(db):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    return Article.objects.get(slug="ketamine-for-pain-management")


def test_shipped_article_saves_back_unchanged_from_its_form(editor_client, pain):
    url = reverse("admin:articles_article_change", args=[pain.pk])
    data = form_data(editor_client, url)
    assert data["citations-INITIAL_FORMS"] == "10"
    assert editor_client.post(url, data).status_code == 302
    pain.refresh_from_db()
    assert pain.status == Article.Status.PUBLISHED
    assert pain.citations.count() == 10


def test_deleting_a_cited_citation_from_a_published_article_is_refused(editor_client, pain):
    url = reverse("admin:articles_article_change", args=[pain.pk])
    data = form_data(editor_client, url)
    data["citations-9-DELETE"] = "on"  # position 10, which the body cites
    errors = errors_of(editor_client.post(url, data))
    assert "Marker [cite:10] points at citation 10, but the article has 9 citations." in errors
    assert pain.citations.count() == 10


def test_change_page_links_to_the_article_on_the_site(editor_client, pain):
    response = editor_client.get(reverse("admin:articles_article_change", args=[pain.pk]))
    assert response.context["has_absolute_url"]
    assert "View on site" in response.content.decode()
    on_site = editor_client.get(response.context["absolute_url"])
    assert on_site.status_code == 302
    assert on_site["Location"].endswith("/articles/ketamine-for-pain-management/")


# --- The changelist ---------------------------------------------------------------------------


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {article.slug for article in response.context["cl"].result_list}


def test_changelist_filters_by_review_due_status_and_reviewer(editor_client, people):
    today = timezone.localdate()
    reviewed = {"fresh": today, "stale": today - timedelta(days=400), "never": None}
    for slug, day in reviewed.items():
        Article.objects.create(
            title=slug, slug=slug, summary="S", body="B", last_reviewed=day,
            reviewer=people["reviewer"] if slug == "fresh" else None,
        )  # fmt: skip
    Article.objects.filter(slug="fresh").update(status="published", published_at=timezone.now())
    assert listed(editor_client, review="due") == {"stale", "never"}
    assert listed(editor_client, review="current") == {"fresh"}
    assert listed(editor_client, status__exact="draft") == {"stale", "never"}
    assert listed(editor_client, reviewer__id__exact=people["reviewer"].pk) == {"fresh"}


def test_editor_autocompletes_people_and_conditions(editor_client, people):
    def found(field, term):
        params = {"app_label": "articles", "model_name": "article", "field_name": field}
        response = editor_client.get(reverse("admin:autocomplete"), {**params, "term": term})
        assert response.status_code == 200
        return [result["text"] for result in response.json()["results"]]

    assert found("author", "a") == ["Ada Quill", "Basil Marsh, MD"]
    assert found("reviewer", "a") == ["Basil Marsh, MD"]  # writers are not reviewers
    assert found("conditions", "pain") == ["Chronic pain"]


# --- Permissions and people ------------------------------------------------------------------


def test_editors_group_has_exactly_the_article_permissions(editor):
    group = Group.objects.get(name=EDITORS_GROUP)
    granted = group.permissions.filter(content_type__app_label="articles")
    assert set(granted.values_list("codename", flat=True)) == {
        "add_person", "change_person", "view_person",
        "add_article", "change_article", "view_article",
        "add_citation", "change_citation", "delete_citation", "view_citation",
        "add_correction", "change_correction", "view_correction",
        "add_glossaryterm", "change_glossaryterm", "delete_glossaryterm", "view_glossaryterm",
        "add_articletranslation", "change_articletranslation", "view_articletranslation",
        "add_translationcitation", "change_translationcitation", "delete_translationcitation",
        "view_translationcitation",
    }  # fmt: skip


def test_editor_cannot_delete_articles(editor_client, pain):
    delete_page = reverse("admin:articles_article_delete", args=[pain.pk])
    assert editor_client.get(delete_page).status_code == 403
    assert editor_client.post(delete_page, {"post": "yes"}).status_code == 403
    # Without delete permission the changelist offers no "Delete selected" action.
    action_form = editor_client.get(CHANGELIST).context["action_form"]
    assert action_form is None or "delete_selected" not in dict(
        action_form.fields["action"].choices
    )
    editor_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [pain.pk]})
    assert Article.objects.filter(pk=pain.pk).exists()


def test_editor_adds_a_person(editor_client):
    url = reverse("admin:articles_person_add")
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(
        url,
        {"name": "Cora Lind", "slug": "cora-lind", "credentials": "PharmD",
         "bio": "Pharmacist.", "role": "medical_reviewer"},
    )  # fmt: skip
    assert response.status_code == 302
    cora = Person.objects.get(slug="cora-lind")
    assert (str(cora), cora.role) == ("Cora Lind, PharmD", Person.Role.MEDICAL_REVIEWER)
    assert editor_client.get("/people/cora-lind/").status_code == 200


# --- Translations ------------------------------------------------------------------------------

TRANSLATION_ADD = reverse("admin:articles_articletranslation_add")


@pytest.fixture
def untranslated(pain):
    """A shipped article without a Spanish translation (OCD) and without an illustration."""
    return Article.objects.get(slug="ketamine-for-ocd")


def post_translation(client, article, people, citations=(), **fields):
    data = admin_form_data(client.get(TRANSLATION_ADD), "articletranslation_form")
    translator, _ = Person.objects.get_or_create(
        slug="ana-ruiz", defaults={"name": "Ana Ruiz", "bio": "Translator.", "role": "translator"}
    )
    data.update(
        article=article.pk, language="es", status="published", title="Ketamina para el dolor",
        summary="Lo que pueden hacer las dosis bajas.",
        body="Puede calmar el dolor por un tiempo [cite:1].",
        key_points="Puede calmar el dolor por un tiempo.",
        translator=translator.pk, reviewer=people["reviewer"].pk,
        last_reviewed=timezone.localdate().isoformat(),
    )  # fmt: skip
    data["citations-TOTAL_FORMS"] = str(max(len(citations), 1))
    for row, citation in enumerate(citations):
        citation = {"position": row + 1} | citation
        data.update({f"citations-{row}-{key}": value for key, value in citation.items()})
    data.update(fields)
    return client.post(TRANSLATION_ADD, data)


def test_editor_publishes_a_translation_and_sees_its_spanish_readability(
    editor_client, people, untranslated
):
    response = post_translation(
        editor_client,
        untranslated,
        people,
        [{"text": "Orhurhu 2019.", "pmid": "3", "in_english": "on"}],
    )
    assert response.status_code == 302, errors_of(response)
    translation = ArticleTranslation.objects.get(article=untranslated)
    assert translation.status == ArticleTranslation.Status.PUBLISHED
    assert translation.citations.get().in_english
    shown = [str(m) for m in editor_client.get(response["Location"]).context["messages"]]
    assert any(m.startswith("Readability: Fernández Huerta") for m in shown), shown


def test_publishing_a_hard_or_unsourced_translation_is_refused(editor_client, people, untranslated):
    response = post_translation(editor_client, untranslated, people)
    assert "An article is published only with at least one citation." in errors_of(response)
    response = post_translation(
        editor_client,
        untranslated,
        people,
        [{"text": "Orhurhu 2019.", "pmid": "3"}],
        body=(
            "La administración intravenosa de ketamina en concentraciones subanestésicas "
            "proporciona analgesia complementaria perioperatoria significativamente "
            "superior en determinadas poblaciones quirúrgicas especialmente seleccionadas "
            "[cite:1]."
        ),
    )
    assert any("Fernández Huerta" in error for error in errors_of(response))
    assert not ArticleTranslation.objects.filter(article=untranslated).exists()
