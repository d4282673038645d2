"""Two editors on one provider or article: the second save is refused, never lost silently."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from core.editors import EDITORS_GROUP
from directory.csvfile import export_csv
from directory.models import Provider
from tests import cast
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db

STALE = "since you opened it"


@pytest.fixture
def other_editor(django_user_model):
    user = django_user_model.objects.create_user(
        username="fiona", password="another-long-editor-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    client = Client()
    client.force_login(user)
    return client


def provider_form(client, provider):
    url = reverse("admin:directory_provider_change", args=[provider.pk])
    return url, form_data(client.get(url), "provider_form")


def article_form(client, article):
    url = reverse("admin:articles_article_change", args=[article.pk])
    return url, form_data(client.get(url), "article_form")


def form_errors(response):
    """The errors above the re-displayed admin form."""
    assert response.status_code == 200, "expected the form again, with errors"
    return [str(error) for error in response.context["adminform"].form.non_field_errors()]


def saved_at(obj):
    return f"{timezone.localtime(obj.history.first().history_date):%H:%M}"


# --- Providers -------------------------------------------------------------------------


def test_second_editor_saving_a_provider_is_refused_and_the_first_save_kept(
    editor_client, other_editor
):
    provider = cast.austin_clinic()
    url, first = provider_form(editor_client, provider)
    _, second = provider_form(other_editor, provider)

    first["phone"] = "512-555-0111"
    assert editor_client.post(url, first).status_code == 302

    second["website"] = "https://second-editor.example"
    second["locations-0-hours"] = "Mon–Fri 9–5"
    response = other_editor.post(url, second)
    provider.refresh_from_db()
    assert form_errors(response) == [
        f"Someone else saved this provider since you opened it (at {saved_at(provider)} by "
        "eddie). Reload the page to see their changes, then make yours again."
    ]
    assert provider.phone == "(512) 555-0111"
    assert provider.website == "https://austin-ketamine.example"
    assert provider.locations.get().hours == ""  # the inline was not saved either
    assert provider.version == 2

    # After a reload the second editor's change goes through, on top of the first.
    _, reloaded = provider_form(other_editor, provider)
    assert reloaded["phone"] == "(512) 555-0111"
    reloaded["website"] = "https://second-editor.example"
    assert other_editor.post(url, reloaded).status_code == 302
    provider.refresh_from_db()
    assert (provider.phone, provider.website, provider.version) == (
        "(512) 555-0111",
        "https://second-editor.example",
        3,
    )
    latest, previous = provider.history.all()[:2]
    assert (latest.history_user.username, previous.history_user.username) == ("fiona", "eddie")
    assert [change.field for change in latest.diff_against(previous).changes] == ["website"]
    assert [change.field for change in previous.diff_against(previous.prev_record).changes] == [
        "phone"
    ]


def test_a_save_without_the_loaded_version_is_refused_with_the_message(editor_client):
    provider = cast.austin_clinic()
    url, data = provider_form(editor_client, provider)
    for version in [None, "", "abc", "99"]:
        posted = dict(data, phone="512-555-0199")
        if version is None:
            del posted["loaded_version"]
        else:
            posted["loaded_version"] = version
        errors = form_errors(editor_client.post(url, posted))
        assert len(errors) == 1
        assert STALE in errors[0]
    provider.refresh_from_db()
    assert provider.phone == "(512) 555-0100"
    assert provider.version == 1


def test_an_import_since_the_form_was_opened_refuses_the_save(editor_client, tmp_path):
    provider = cast.austin_clinic()
    url, data = provider_form(editor_client, provider)
    csv_file = tmp_path / "providers.csv"
    csv_file.write_text(
        "external_id,name,status,website,phone,email,description,address1,address2,city,"
        "state,zip,latitude,longitude,conditions,treatments,serves_states,"
        "accepting_new_patients\n"
        "austin-1,Austin Ketamine Clinic,published,https://austin-ketamine.example,"
        "512-555-0177,,,100 Congress Ave,,Austin,TX,78701,30.2672,-97.7431,depression;ptsd,"
        "iv-infusion,,yes\n"
    )
    call_command("import_providers", str(csv_file), stdout=io.StringIO())
    provider.refresh_from_db()
    assert provider.phone == "(512) 555-0177"
    assert provider.version == 2

    data["name"] = "Austin Ketamine Clinic (renamed)"
    errors = form_errors(editor_client.post(url, data))
    assert "by an import or a script" in errors[0]
    provider.refresh_from_db()
    assert provider.name == "Austin Ketamine Clinic"


def test_an_unchanged_import_leaves_the_version_alone(tmp_path):
    provider = cast.austin_clinic()
    csv_file = tmp_path / "providers.csv"
    csv_file.write_text(export_csv(Provider.objects.all()))
    call_command("import_providers", str(csv_file), stdout=io.StringIO())
    provider.refresh_from_db()
    assert provider.version == 1


def test_an_admin_action_since_the_form_was_opened_refuses_the_save(editor_client, other_editor):
    provider = cast.austin_clinic()
    url, data = provider_form(editor_client, provider)
    response = other_editor.post(
        reverse("admin:directory_provider_changelist"),
        {
            "action": "record_verification",
            "_selected_action": [provider.pk],
            "apply": "1",
            "method": "phone",
            "verified_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.last_verified == timezone.localdate()
    assert provider.version == 2
    assert provider.history.first().history_user.username == "fiona"

    data["name"] = "Austin Ketamine Clinic (renamed)"
    errors = form_errors(editor_client.post(url, data))
    assert "by fiona" in errors[0]


def test_reverting_to_a_past_version_is_a_checked_save(editor_client, other_editor):
    provider = cast.austin_clinic()
    url, data = provider_form(editor_client, provider)
    original = provider.history.first()
    data["phone"] = "512-555-0111"
    assert editor_client.post(url, data).status_code == 302

    revert_url = reverse(
        "admin:directory_provider_simple_history", args=[provider.pk, original.history_id]
    )
    revert = form_data(editor_client.get(revert_url), "historicalprovider_form")
    assert revert["phone"] == "(512) 555-0100"
    assert revert["loaded_version"] == "2"  # the stored version, not the past one

    # Someone saves while the revert page is open: the revert is refused.
    _, meanwhile = provider_form(other_editor, provider)
    assert other_editor.post(url, dict(meanwhile, email="desk@example.com")).status_code == 302
    errors = form_errors(editor_client.post(revert_url, revert))
    assert STALE in errors[0]
    provider.refresh_from_db()
    assert provider.phone == "(512) 555-0111"

    revert = form_data(editor_client.get(revert_url), "historicalprovider_form")
    assert editor_client.post(revert_url, revert).status_code == 302
    provider.refresh_from_db()
    assert provider.phone == "(512) 555-0100"
    assert provider.version == 4
    assert provider.history.first().history_user.username == "eddie"


# --- Articles --------------------------------------------------------------------------


@pytest.fixture
def pain(db):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    return Article.objects.get(slug="ketamine-for-pain-management")


def test_second_editor_saving_an_article_is_refused_and_the_first_save_kept(
    editor_client, other_editor, pain
):
    url, first = article_form(editor_client, pain)
    _, second = article_form(other_editor, pain)
    old_title = pain.title

    first["title"] = "Ketamine for pain: what the trials show"
    assert editor_client.post(url, first).status_code == 302

    second["summary"] = "Overwritten by the second editor."
    second["citations-0-text"] = "A changed first reference."
    errors = form_errors(other_editor.post(url, second))
    pain.refresh_from_db()
    assert errors == [
        f"Someone else saved this article since you opened it (at {saved_at(pain)} by eddie). "
        "Reload the page to see their changes, then make yours again."
    ]
    assert pain.title == "Ketamine for pain: what the trials show"
    assert pain.summary != "Overwritten by the second editor."
    assert pain.citations.get(position=1).text != "A changed first reference."

    _, reloaded = article_form(other_editor, pain)
    reloaded["summary"] = "Kept after a reload."
    assert other_editor.post(url, reloaded).status_code == 302
    pain.refresh_from_db()
    assert (pain.title, pain.summary) == (
        "Ketamine for pain: what the trials show",
        "Kept after a reload.",
    )
    latest, previous = pain.history.all()[:2]
    assert latest.history_user.username == "fiona"
    assert previous.history_user.username == "eddie"
    assert previous.prev_record.title == old_title
