"""Report a mistake: /articles/<slug>/report/ files a report for editors, nothing else."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Person
from core.public_forms import HONEYPOT_FILLED, NOT_CHECKED, TOO_FAST, form_token
from directory.submissions import Submission
from tests.admin_forms import form_data as admin_form_data
from tests.articles.test_pages import article, person
from tests.xss_corpus import PAYLOADS, inspect

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_submission_changelist"
ARTICLE_PROBLEMS = ["fact", "source", "unclear", "other"]
DETAILS_REQUIRED = "Tell us what is wrong, in a few words."
LISTING_ONLY_PROBLEMS = ["closed", "phone", "address", "website", "hours", "prices"]


@pytest.fixture
def pain():
    """A published article about pain, by Ada Quill, reviewed by Basil Marsh."""
    ada = person("Ada Quill")
    basil = person("Basil Marsh", Person.Role.MEDICAL_REVIEWER, "MD")
    return article("pain-basics", "Ketamine for pain: the basics", ada, basil)


@pytest.fixture
def draft():
    return article("notes", "Unfinished notes", person("Cy Draft"), None, status="draft")


def url(item):
    return f"/articles/{item.slug}/report/"


def report_data(**fields):
    return {
        "problem": "fact",
        "details": "The dose in the second paragraph is ten times the one in reference 1.",
        "email": "",
        "started": form_token("article-report", issued_at=time.time() - 30),
        **fields,
    }


# --- The form ---------------------------------------------------------------------------


def test_get_shows_the_article_problems_only_and_sets_no_cookie(client, pain):
    response = client.get(url(pain))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Report a mistake in Ketamine for pain: the basics" in html
    for value in ARTICLE_PROBLEMS:
        assert f'value="{value}"' in html
    for value in LISTING_ONLY_PROBLEMS:
        assert f'value="{value}"' not in html
    assert "A reference is wrong or its link does not work" in html
    assert 'name="details"' in html
    assert 'maxlength="2000"' in html
    assert "leave out anything about your health" in html
    assert 'name="email"' in html
    assert "Optional, only if you would like a reply." in html
    assert '<meta name="robots" content="noindex">' in html
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_draft_or_unknown_article_has_no_report_form(client, editor_client, draft):
    for path in [url(draft), "/articles/no-such-article/report/"]:
        assert client.get(path).status_code == 404
        assert client.post(path, report_data()).status_code == 404
        assert client.get(f"{path}sent/").status_code == 404
    # Not even for an editor, who may preview the draft itself.
    assert editor_client.get(url(draft)).status_code == 404
    assert not Submission.objects.exists()


def test_an_article_scheduled_for_later_has_no_report_form_yet(client, pain):
    Article.objects.filter(pk=pain.pk).update(published_at=timezone.now() + timedelta(days=1))
    assert client.get(url(pain)).status_code == 404


def test_other_methods_are_refused(client, pain):
    assert client.put(url(pain)).status_code == 405
    assert client.delete(url(pain)).status_code == 405


# --- Filing -------------------------------------------------------------------------------


def test_a_good_report_is_filed_and_redirects_to_the_thank_you_page(client, pain):
    details = "  The dose in the second paragraph is wrong.  "
    response = client.post(url(pain), report_data(details=details, email="pat@example.org"))
    assert response.status_code == 303
    assert response["Location"] == "/articles/pain-basics/report/sent/"
    report = Submission.objects.get()
    assert report.kind == Submission.Kind.ARTICLE
    assert report.status == Submission.Status.NEW
    assert report.page == "/articles/pain-basics/"
    assert report.page_title == "Ketamine for pain: the basics"
    assert report.provider is None
    assert report.problem == "fact"
    assert report.details == "The dose in the second paragraph is wrong."
    assert report.email == "pat@example.org"
    assert str(report) == "Report of a mistake in an article: Ketamine for pain: the basics"
    assert response.cookies == {}
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    html = thanks.content.decode()
    assert "Thank you" in html
    assert "Ketamine for pain: the basics" in html
    assert 'href="/articles/pain-basics/"' in html


@pytest.mark.parametrize("problem", ARTICLE_PROBLEMS)
def test_each_problem_is_filed_with_its_details(client, pain, problem):
    response = client.post(url(pain), report_data(problem=problem))
    assert response.status_code == 303
    assert Submission.objects.get().problem == problem


def test_the_article_itself_does_not_change(client, pain):
    version = pain.version
    client.post(url(pain), report_data())
    pain.refresh_from_db()
    assert pain.version == version
    assert not pain.corrections.exists()


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"problem": ""}, "problem", "Choose what is wrong with this article."),
        ({"problem": "phone"}, "problem", "Select a valid choice"),  # a listing's problem
        ({"problem": "exploded"}, "problem", "Select a valid choice"),
        *[
            ({"problem": problem, "details": ""}, "details", DETAILS_REQUIRED)
            for problem in ARTICLE_PROBLEMS
        ],
        ({"details": "  \n "}, "details", DETAILS_REQUIRED),
        ({"details": "x" * 2001}, "details", "at most 2000 characters"),
        ({"email": "not an address"}, "email", "valid email"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_in_the_summary(
    client, pain, fields, field, message
):
    response = client.post(url(pain), report_data(**fields))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'role="alert"' in html
    anchor = "#id_problem_0" if field == "problem" else f"#id_{field}"
    assert f'href="{anchor}"' in html  # the summary links to the field
    assert not Submission.objects.exists()
    if fields.get("details", "").strip():
        assert fields["details"][:50] in html  # what was typed comes back


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_typed_text_comes_back_inert(client, pain, payload):
    data = report_data(details=payload[:2000], email="not an address")
    response = client.post(url(pain), data)
    assert response.status_code == 400
    inspect(response.content.decode())


# --- The guards every public form shares --------------------------------------------------


def test_a_filled_honeypot_is_refused(client, pain):
    response = client.post(url(pain), report_data(homepage="http://spam.example"))
    assert response.status_code == 400
    assert HONEYPOT_FILLED in response.context["form"].non_field_errors()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("form_name", "seconds_ago", "message"),
    [
        (None, 0, NOT_CHECKED),
        ("report", 60, NOT_CHECKED),  # the listing form's
        ("article-report", 25 * 60 * 60, NOT_CHECKED),
        ("article-report", 0, TOO_FAST),
    ],
    ids=["missing", "other form", "expired", "too fast"],
)
def test_a_bad_start_time_is_refused_and_the_text_kept(
    client, pain, settings, form_name, seconds_ago, message
):
    settings.FORM_MIN_FILL_SECONDS = 3
    started = form_token(form_name, issued_at=time.time() - seconds_ago) if form_name else ""
    response = client.post(url(pain), report_data(started=started))
    assert response.status_code == 400
    assert message in response.context["form"].non_field_errors()
    assert "ten times the one in reference 1" in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "headers", [{"HTTP_SEC_FETCH_SITE": "cross-site"}, {"HTTP_ORIGIN": "https://evil.example"}]
)
def test_a_post_from_another_site_is_refused(client, pain, headers):
    response = client.post(url(pain), report_data(), **headers)
    assert response.status_code == 403
    assert "only be sent from ketanet" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_post_needs_no_csrf_cookie(pain):
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(pain), report_data(), HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 303
    assert not client.cookies


def test_the_sixth_post_in_an_hour_from_one_address_gets_429(client, pain):
    statuses = [
        client.post(url(pain), report_data(), REMOTE_ADDR="203.0.113.7").status_code
        for _ in range(5)
    ]
    assert statuses == [303] * 5
    response = client.post(url(pain), report_data(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "try again after" in response.content.decode()
    assert Submission.objects.count() == 5
    assert client.get(url(pain), REMOTE_ADDR="203.0.113.7").status_code == 200


# --- Where readers find it ----------------------------------------------------------------


def test_the_article_links_to_the_form_under_corrections(client, pain):
    html = client.get(pain.get_absolute_url()).content.decode()
    link = '<a class="standalone-link" href="/articles/pain-basics/report/">'
    assert f"{link}Report a mistake in this article</a>" in html
    assert "Tell us how to put it right" not in html


def test_an_editor_previewing_a_draft_sees_no_dead_report_link(editor_client, draft):
    response = editor_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "/report/" not in response.content.decode()


def test_the_editorial_policy_says_how_a_report_is_handled(client):
    html = client.get("/editorial-policy/").content.decode()
    assert "Report a mistake in this article" in html
    assert "An editor checks every report against the article's sources" in html
    assert "listed at the end of the article, with the date, what changed and why" in html


# --- The moderation queue -----------------------------------------------------------------


def listed(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def filed(client, pain, **fields):
    """File a report through the form, as a reader would; return it."""
    response = client.post(url(pain), report_data(**fields))
    assert response.status_code == 303
    return Submission.objects.latest("pk")


def test_the_queue_lists_an_article_report_with_a_link_to_the_article(client, editor_client, pain):
    report = filed(client, pain, problem="source", details="Reference 1 is a dead link.")
    listing = Submission.objects.create(kind=Submission.Kind.REPORT, problem="phone")
    assert listed(editor_client) == [listing, report]
    assert listed(editor_client, kind__exact="article") == [report]
    assert listed(editor_client, q="pain") == [report]
    html = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert '<a href="/articles/pain-basics/">Ketamine for pain: the basics</a>' in html
    assert "A reference is wrong or its link does not work — Reference 1 is a dead link." in html
    assert '<a href="?kind__exact=article">Report of a mistake in an article</a>' in html


def test_the_change_view_shows_what_was_sent_without_verification(client, editor_client, pain):
    report = filed(client, pain, email="pat@example.org")
    response = editor_client.get(reverse("admin:directory_submission_change", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A fact is wrong or out of date" in html
    assert "ten times the one in reference 1" in html
    assert "pat@example.org" in html
    assert 'href="/articles/pain-basics/"' in html
    data = admin_form_data(response, "submission_form")
    assert "verify_method" not in data  # no listing to verify


def test_a_page_that_is_not_a_path_on_this_site_is_shown_not_linked(editor_client):
    for page in ["javascript:alert(1)", "//evil.example/", "https://evil.example/"]:
        Submission.objects.create(kind=Submission.Kind.ARTICLE, page=page, page_title="X")
    html = editor_client.get(reverse(CHANGELIST)).content.decode()
    inspect(html, allow={"svg"})  # no javascript: link
    assert "evil.example" not in html


@pytest.mark.parametrize("name", ["script", "double-quote breakout", "img onerror", "svg onload"])
def test_typed_text_is_inert_in_the_queue(client, editor_client, pain, name):
    payload = PAYLOADS[name]
    report = filed(client, pain, problem="other", details=payload)
    change = reverse("admin:directory_submission_change", args=[report.pk])
    for path in [reverse(CHANGELIST), change]:
        page = inspect(editor_client.get(path).content.decode(), allow={"svg"})
        assert payload in "".join(page.text)


def test_closing_erases_the_email_and_purge_deletes_old_reports(client, editor_client, pain):
    closed = filed(client, pain, email="pat@example.org")
    data = {"action": "resolve", "index": "0", "_selected_action": [closed.pk]}
    editor_client.post(reverse(CHANGELIST), data)
    closed.refresh_from_db()
    assert (closed.status, closed.email) == (Submission.Status.RESOLVED, "")
    old = filed(client, pain)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    call_command("purge_moderation", stdout=io.StringIO())
    assert list(Submission.objects.all()) == [closed]


# --- The editors' notice --------------------------------------------------------------------


def test_editors_are_told_which_article_without_what_was_typed(
    client, pain, editor, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MODERATION_NOTIFY_EDITORS = True
    settings.SITE_URL = "https://ketanet.example"
    editor.email = "eddie@ketanet.example"
    editor.save()
    with django_capture_on_commit_callbacks(execute=True):
        report = filed(client, pain, email="pat@example.org")
    [notice] = mailoutbox
    assert notice.to == ["eddie@ketanet.example"]
    assert notice.subject == "New report of a mistake in an article on ketanet"
    assert "Report of a mistake in an article: Ketamine for pain: the basics" in notice.body
    change = f"https://ketanet.example/admin/directory/submission/{report.pk}/change/"
    assert change in notice.body
    assert "ten times" not in notice.body
    assert "pat@example.org" not in notice.body
