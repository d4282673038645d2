"""Editors' changes are recorded: who changed which field, when, from what to what."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from core.history import record_change
from directory.csvfile import export_csv
from directory.models import PROVIDER_RELATIONS, Condition, Location, Provider
from tests import cast
from tests.admin_forms import form_data
from tests.directory.test_nearby import assert_copies_in_step

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,name,status,website,phone,email,description,address1,address2,city,state,"
    "zip,latitude,longitude,conditions,treatments,serves_states,accepting_new_patients\n"
)
ROW = (
    "hc-1,Hill Country,published,https://hc.example,512.555.0199,,,1 A St,,Austin,TX,78701,,,"
    "depression;ptsd,iv-infusion,,yes\n"
)


def change_provider(client, provider, **changes):
    url = reverse("admin:directory_provider_change", args=[provider.pk])
    data = form_data(client.get(url), "provider_form")
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]


def history_page(client, obj):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def import_file(tmp_path, rows):
    path = tmp_path / "providers.csv"
    path.write_text(HEADER + rows)
    call_command("import_providers", str(path), stdout=io.StringIO())


# --- Providers -------------------------------------------------------------------------


def test_editor_changing_a_phone_is_recorded_with_who_when_and_old_and_new(editor_client):
    provider = cast.austin_clinic()
    before = timezone.now()
    change_provider(editor_client, provider, phone="512-555-0111")

    record = provider.history.first()
    assert record.history_type == "~"
    assert record.history_user.username == "eddie"
    assert before <= record.history_date <= timezone.now()
    [change] = record.diff_against(record.prev_record).changes
    assert (change.field, change.old, change.new) == ("phone", "(512) 555-0100", "(512) 555-0111")

    html = history_page(editor_client, provider)
    assert "eddie" in html
    assert "(512) 555-0100" in html
    assert "(512) 555-0111" in html


def test_one_admin_save_is_one_record_with_its_relations(editor_client):
    provider = cast.austin_clinic()
    records = provider.history.count()
    anxiety = Condition.objects.get(slug="anxiety").pk
    change_provider(
        editor_client,
        provider,
        name="Austin Ketamine & Mood Clinic",
        conditions=[*provider.conditions.values_list("pk", flat=True), anxiety],
        serves_states=["TX"],
    )
    assert provider.history.count() == records + 1
    record = provider.history.first()
    changed = {change.field for change in record.diff_against(record.prev_record).changes}
    assert changed == {"name", "conditions", "serves_states"}
    assert sorted(record.conditions.values_list("condition__slug", flat=True)) == [
        "anxiety",
        "depression",
        "ptsd",
    ]


def clinic_with_every_relation():
    return cast.austin_clinic(
        serves_states=["TX", "OK"],
        payment_options=["self-pay", "hsa-fsa"],
        payment_declined=["medicare"],
        prescriber_types=["anesthesiologist"],
        languages=["en", "es"],
    )


def links_stored_and_kept(provider, record):
    """{relation: (its link rows as stored, as the record keeps them)}, ids included."""
    links = {}
    for relation in PROVIDER_RELATIONS:
        through = getattr(Provider, relation).through
        columns = [field.attname for field in through._meta.concrete_fields]
        stored = set(through.objects.filter(provider=provider).values_list(*columns))
        links[relation] = (stored, set(getattr(record, relation).values_list(*columns)))
    return links


def test_a_record_keeps_every_relation_as_stored_reading_each_once(django_assert_num_queries):
    provider = clinic_with_every_relation()
    # The record, then for each of the seven relations one read of its links and one
    # insert of their copies. simple-history's own also read the provider back once
    # for each relation, and each relation's links joined with both of their models.
    with django_assert_num_queries(1 + 7 + 7):
        record_change(provider)
    record = provider.history.first()
    for relation, (stored, kept) in links_stored_and_kept(provider, record).items():
        assert kept == stored, relation
        assert stored, relation


def test_location_changes_are_recorded_with_the_editor(editor_client):
    provider = cast.austin_clinic()
    change_provider(editor_client, provider, **{"locations-0-hours": "Mon–Fri 9–5"})
    location = provider.locations.get()
    record = location.history.first()
    assert record.history_user.username == "eddie"
    assert record.prev_record.hours == ""
    assert record.hours == "Mon–Fri 9–5"


def test_admin_actions_are_recorded(editor_client):
    draft = cast.draft_provider()
    response = editor_client.post(
        reverse("admin:directory_provider_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    record = draft.history.first()
    assert record.history_user.username == "eddie"
    assert (record.prev_record.status, record.status) == ("draft", "published")


def test_history_page_is_for_editors_only(editor_client):
    provider = cast.austin_clinic()
    url = reverse("admin:directory_provider_history", args=[provider.pk])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert editor_client.get(url).status_code == 200


# --- Imports ---------------------------------------------------------------------------


def test_command_line_import_records_each_provider_once_without_a_user(tmp_path):
    import_file(tmp_path, ROW)
    provider = Provider.objects.get(external_id="hc-1")
    [created] = provider.history.all()
    assert created.history_type == "+"
    assert created.history_user is None
    assert sorted(created.conditions.values_list("condition__slug", flat=True)) == [
        "depression",
        "ptsd",
    ]
    assert Location.history.filter(provider_id=provider.pk, history_type="+").count() == 1

    import_file(tmp_path, ROW.replace("depression;ptsd", "anxiety"))
    updated = provider.history.first()
    assert provider.history.count() == 2
    changes = {c.field: (c.old, c.new) for c in updated.diff_against(created).changes}
    assert list(changes) == ["conditions"]

    import_file(tmp_path, ROW.replace("depression;ptsd", "anxiety"))  # nothing new
    assert provider.history.count() == 2


def test_a_new_provider_is_imported_and_recorded_without_reading_its_links_back(
    tmp_path, django_assert_num_queries
):
    """A provider new to the site is linked a relation an INSERT, and its record copies
    the rows written: before, each link was read before it was added, and each of the
    seven relations read back for the record (30 queries for a provider, now 17)."""
    original = clinic_with_every_relation()
    text = export_csv(Provider.objects.filter(pk=original.pk))
    path = tmp_path / "providers.csv"
    path.write_text(text.replace("austin-1", "austin-2").replace("Austin", "Hill", 1))
    # The whole import: the file's terms (5); the savepoint, and the file's providers
    # locked and read, none found (2); the slugs taken, the row, seven relations' links,
    # the record and their seven copies (1 + 1 + 7 + 1 + 7); the site and its record
    # (2); the version and the sites' copies (2); the savepoint's release (1). The new
    # providers of a file are written together: a thousand cost about as many queries
    # (tests/directory/test_import.py).
    with django_assert_num_queries(5 + 2 + 17 + 2 + 2 + 1):
        call_command("import_providers", str(path), stdout=io.StringIO())
    provider = Provider.objects.get(external_id="austin-2")
    [record] = provider.history.all()
    assert record.history_type == "+"
    for relation, (stored, kept) in links_stored_and_kept(provider, record).items():
        assert kept == stored, relation
        targets = {row[2] for row in stored}  # (id, provider, the term)
        assert targets == set(getattr(original, relation).values_list("pk", flat=True)), relation


def test_a_changed_provider_is_relinked_and_recorded_from_links_read_once(
    tmp_path, django_assert_num_queries
):
    """A provider the file changes is relinked from its link rows, read once for the whole
    import, a relation one query: set() read a changed relation's links twice, and the
    record read all seven relations back (41 queries for this import, now 31)."""
    provider = clinic_with_every_relation()
    record_change(provider, created=True)  # so its save writes no baseline record first
    text = export_csv(Provider.objects.filter(pk=provider.pk))
    assert ",depression;ptsd," in text
    assert ",en;es," in text
    path = tmp_path / "providers.csv"
    path.write_text(text.replace(",depression;ptsd,", ",anxiety;ptsd,").replace(",en;es,", ",es,"))
    # The file's terms (5); the savepoint, the provider locked, its sites and its seven
    # relations' links (1 + 1 + 1 + 7); which of the file's providers have a record yet
    # and its row (2), a condition and a language unlinked and a condition linked
    # (2 + 1), the record and its seven relations' copies (1 + 7), written with the
    # import's others; the version and the sites' copies (2); the savepoint's release (1).
    with django_assert_num_queries(5 + 10 + 5 + 8 + 2 + 1):
        call_command("import_providers", str(path), stdout=io.StringIO())
    record = provider.history.first()
    assert record.history_type == "~"
    changes = record.diff_against(record.prev_record).changes
    assert {change.field for change in changes} == {"conditions", "languages"}
    for relation, (stored, kept) in links_stored_and_kept(provider, record).items():
        assert kept == stored, relation
    assert set(provider.conditions.values_list("slug", flat=True)) == {"anxiety", "ptsd"}
    assert set(provider.languages.values_list("pk", flat=True)) == {"es"}
    assert_copies_in_step()  # m2m_changed, which would have copied the terms, is not sent


def test_admin_import_records_the_editor(editor_client):
    upload = SimpleUploadedFile("providers.csv", (HEADER + ROW).encode(), content_type="text/csv")
    preview = editor_client.post(
        reverse("admin:directory_provider_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert not Provider.history.exists()  # the preview is a rolled-back dry run
    response = editor_client.post(
        reverse("admin:directory_provider_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert response.status_code == 302
    record = Provider.objects.get(external_id="hc-1").history.get()
    assert record.history_user.username == "eddie"


def test_demo_data_is_seeded_and_replaced_without_history():
    call_command("seed_demo", providers=60, stdout=io.StringIO())
    call_command("seed_demo", providers=40, stdout=io.StringIO())
    assert Provider.objects.count() == 40
    assert not Provider.history.exists()
    assert not Location.history.exists()


# --- Articles --------------------------------------------------------------------------


@pytest.fixture
def pain(db):
    call_command("loaddata", "fixtures/people.json", "fixtures/articles.json", verbosity=0)
    return Article.objects.get(slug="ketamine-for-pain-management")


def test_editor_changing_an_article_title_is_recorded_and_shown(editor_client, pain):
    old_title = pain.title
    url = reverse("admin:articles_article_change", args=[pain.pk])
    data = form_data(editor_client.get(url), "article_form")
    data["title"] = "Ketamine for pain: what the trials show"
    assert editor_client.post(url, data).status_code == 302

    record = pain.history.first()
    assert record.history_user.username == "eddie"
    assert record.history_type == "~"
    assert record.title == "Ketamine for pain: what the trials show"
    assert not hasattr(record, "body_html")  # derived from the body, not recorded

    html = history_page(editor_client, pain)
    assert "eddie" in html
    assert "Ketamine for pain: what the trials show" in html
    assert old_title in html
