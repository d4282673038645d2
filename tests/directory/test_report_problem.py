"""Report a problem: /providers/<slug>/report/ files a report for editors, nothing else."""

import time

import pytest

from core.public_forms import form_token
from directory.submissions import Submission
from tests import cast
from tests.xss_corpus import PAYLOADS, inspect

pytestmark = pytest.mark.django_db


def report_data(**fields):
    return {
        "problem": "phone",
        "details": "The number rings a fax machine; the right one is 512-555-0199.",
        "email": "",
        "started": form_token("report", issued_at=time.time() - 30),
        **fields,
    }


@pytest.fixture
def clinic():
    return cast.austin_clinic()


def url(provider):
    return f"/providers/{provider.slug}/report/"


def test_get_shows_the_form_with_every_problem_and_no_cookie(client, clinic):
    response = client.get(url(clinic))
    assert response.status_code == 200
    html = response.content.decode()
    problems = [
        "closed",
        "phone",
        "address",
        "website",
        "hours",
        "prices",
        "not-accepting",
        "other",
    ]
    for value in problems:
        assert f'value="{value}"' in html
    assert 'name="details"' in html
    assert 'maxlength="2000"' in html
    assert 'name="email"' in html
    assert "Report a problem with Austin Ketamine Clinic" in html
    assert "do not include anything about your own health" in html
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_form_offers_only_a_listings_problems_not_an_articles(client, clinic):
    html = client.get(url(clinic)).content.decode()
    for value in ["fact", "source", "unclear"]:
        assert f'value="{value}"' not in html
    response = client.post(url(clinic), report_data(problem="fact"))
    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["problem"])
    assert not Submission.objects.exists()


def test_a_good_report_is_filed_and_redirects_to_the_thank_you_page(client, clinic):
    response = client.post(url(clinic), report_data(email="pat@example.org"))
    assert response.status_code == 303
    assert response["Location"] == f"/providers/{clinic.slug}/report/sent/"
    report = Submission.objects.get()
    assert report.kind == "report"
    assert report.status == "new"
    assert report.provider == clinic
    assert report.problem == "phone"
    assert report.details.startswith("The number rings")
    assert report.email == "pat@example.org"
    assert response.cookies == {}
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you" in thanks.content.decode()


def test_the_listing_itself_does_not_change(client, clinic):
    version = clinic.version
    client.post(url(clinic), report_data(problem="closed"))
    clinic.refresh_from_db()
    assert clinic.version == version
    assert clinic.status == "published"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"problem": ""}, "problem", "Choose what is wrong"),
        ({"problem": "exploded"}, "problem", "Select a valid choice"),
        ({"problem": "other", "details": "  "}, "details", "Tell us what is wrong"),
        ({"details": "x" * 2001}, "details", "at most 2000 characters"),
        ({"email": "not an address"}, "email", "valid email"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_kept(client, clinic, fields, field, message):
    response = client.post(url(clinic), report_data(**fields))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert not Submission.objects.exists()
    if fields.get("details", "").strip():
        assert fields["details"][:50] in html  # what was typed comes back


def test_a_draft_or_unknown_provider_has_no_report_form(client):
    draft = cast.draft_provider()
    assert client.get(url(draft)).status_code == 404
    assert client.get("/providers/no-such-clinic/report/").status_code == 404
    assert client.post("/providers/no-such-clinic/report/", report_data()).status_code == 404


def test_other_methods_are_refused(client, clinic):
    assert client.put(url(clinic)).status_code == 405
    assert client.delete(url(clinic)).status_code == 405


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_typed_text_comes_back_inert(client, clinic, payload):
    # The form comes back (a bad email) with the payload in the details box.
    data = report_data(problem="other", details=payload[:2000], email="not an address")
    response = client.post(url(clinic), data)
    assert response.status_code == 400
    inspect(response.content.decode())


def test_the_profile_links_to_the_report_form(client, clinic):
    html = client.get(clinic.get_absolute_url()).content.decode()
    assert f'href="/providers/{clinic.slug}/report/"' in html


def test_editors_are_told_of_a_new_report_without_what_was_typed(
    client, clinic, editor, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.MODERATION_NOTIFY_EDITORS = True
    editor.email = "eddie@ketanet.example"
    editor.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(clinic), report_data(email="pat@example.org"))
    assert response.status_code == 303
    [notice] = mailoutbox
    assert notice.to == ["eddie@ketanet.example"]
    assert clinic.name in notice.body
    assert "fax machine" not in notice.body
    assert "pat@example.org" not in notice.body
