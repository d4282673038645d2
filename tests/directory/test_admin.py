"""The editors' admin: what an Editors-group member may do to the directory, and how."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.editors import EDITORS_GROUP
from directory.models import Condition, Location, Place, Provider
from tests import cast
from tests.admin_forms import form_data as admin_form_data
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_provider_changelist"
HEADER = (
    "external_id,name,status,website,phone,email,description,address1,address2,city,state,"
    "zip,latitude,longitude,conditions,treatments,serves_states,accepting_new_patients\n"
)


def form_data(response):
    return admin_form_data(response, "provider_form")


def listed(client, **params):
    """Names on the provider changelist for these query parameters."""
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {provider.name for provider in response.context["cl"].result_list}


def centre(zip_code):
    place = Place.objects.get(kind=Place.Kind.ZIP, zip=zip_code)
    return pytest.approx((place.latitude, place.longitude))


def coordinates(location):
    location.refresh_from_db()
    return (location.latitude, location.longitude)


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


def sites(city, *zips, state="TX"):
    """Location dicts for make_provider: one site per ZIP, in one city."""
    return [
        {"address1": f"{n} Main St", "city": city, "state_id": state, "zip": zip_code}
        for n, zip_code in enumerate(zips, start=1)
    ]


# --- Who editors are ---------------------------------------------------------------


def test_editors_group_has_exactly_the_directory_permissions_and_none_on_auth(editor):
    group = Group.objects.get(name=EDITORS_GROUP)
    directory = group.permissions.filter(content_type__app_label="directory")
    assert set(directory.values_list("codename", flat=True)) == {
        "add_provider", "change_provider", "view_provider",
        "add_location", "change_location", "delete_location", "view_location",
        "add_condition", "change_condition", "view_condition",
        "add_treatment", "change_treatment", "view_treatment",
        "view_state",
        "change_submission", "view_submission",
        "add_verification", "view_verification",
    }  # fmt: skip
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps <= {"directory", "articles"}
    assert not editor.is_superuser
    assert not editor.has_perm("directory.delete_provider")
    assert not editor.has_perm("auth.view_user")


def test_editor_can_open_provider_changelist_add_and_change_pages(editor_client):
    provider = cast.austin_clinic()
    for url in [
        reverse(CHANGELIST),
        reverse("admin:directory_provider_add"),
        reverse("admin:directory_provider_change", args=[provider.pk]),
    ]:
        assert editor_client.get(url).status_code == 200


@pytest.mark.parametrize("url_name", ["admin:auth_user_changelist", "admin:auth_group_changelist"])
def test_editor_cannot_open_users_or_groups_admin(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_editor_cannot_make_themselves_superuser_or_grant_permissions(editor_client, editor):
    own_page = reverse("admin:auth_user_change", args=[editor.pk])
    assert editor_client.get(own_page).status_code == 403
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = editor_client.post(
        own_page,
        {"username": "eddie", "is_active": "on", "is_staff": "on", "is_superuser": "on",
         "user_permissions": everything, "groups": [], "date_joined_0": "2026-01-01",
         "date_joined_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 403
    group = Group.objects.get(name=EDITORS_GROUP)
    granted = group.permissions.count()
    group_page = reverse("admin:auth_group_change", args=[group.pk])
    response = editor_client.post(group_page, {"name": EDITORS_GROUP, "permissions": everything})
    assert response.status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser
    assert not editor.user_permissions.exists()
    assert list(editor.groups.values_list("name", flat=True)) == [EDITORS_GROUP]
    assert group.permissions.count() == granted


def test_editor_cannot_delete_providers(editor_client):
    provider = cast.austin_clinic()
    delete_page = reverse("admin:directory_provider_delete", args=[provider.pk])
    assert editor_client.get(delete_page).status_code == 403
    assert editor_client.post(delete_page, {"post": "yes"}).status_code == 403
    response = editor_client.get(reverse(CHANGELIST))
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"publish", "unpublish", "record_verification", "regeocode"} <= set(actions)
    editor_client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [provider.pk]}
    )
    assert Provider.objects.filter(pk=provider.pk).exists()


# --- The changelist ----------------------------------------------------------------------


def test_changelist_shows_where_each_provider_is(editor_client):
    make_provider(name="Two Site Clinic", locations=sites("Austin", "78701", "78702"))
    cast.at_home_service()
    html = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert "Austin, TX (+1)" in html
    assert "At home only" in html


def test_changelist_filters_by_status_verification_and_state(editor_client):
    today = timezone.localdate()

    def verified(provider, days_ago):
        # Relative to today, so the cast's fixed dates cannot turn stale with time.
        provider.last_verified = None if days_ago is None else today - timedelta(days=days_ago)
        provider.save()

    verified(cast.austin_clinic(), 10)
    verified(cast.round_rock_clinic(), 181)
    verified(cast.at_home_service(), None)
    verified(cast.draft_provider(), 0)
    ohio = sites("Columbus", "43215", state="OH")
    verified(make_provider(name="Columbus Clinic", locations=ohio), 180)  # last fresh day
    austin, round_rock = "Austin Ketamine Clinic", "Round Rock Infusion Center"
    at_home, draft, columbus = "Lone Star Ketamine at Home", "Unfinished Clinic", "Columbus Clinic"
    assert listed(editor_client, status__exact="draft") == {draft}
    assert listed(editor_client, verified="stale") == {round_rock, at_home}
    assert listed(editor_client, verified="fresh") == {austin, draft, columbus}
    assert listed(editor_client, state="OH") == {at_home, columbus}
    assert listed(editor_client, state="TX") == {austin, round_rock, at_home, draft}


def test_changelist_searches_city_zip_and_external_id_once_per_provider(editor_client):
    cast.austin_clinic()
    cast.round_rock_clinic()
    cast.at_home_service()
    make_provider(name="Hill Country Wellness", locations=sites("Georgetown", "78626", "78628"))
    response = editor_client.get(reverse(CHANGELIST), {"q": "Georgetown"})
    # Two matching sites, one row.
    assert [p.name for p in response.context["cl"].result_list] == ["Hill Country Wellness"]
    assert listed(editor_client, q="78664") == {"Round Rock Infusion Center"}
    assert listed(editor_client, q="at-home-1") == {"Lone Star Ketamine at Home"}


def test_changelist_queries_do_not_grow_with_rows(editor_client, django_assert_max_num_queries):
    def add_providers(start, stop):
        for n in range(start, stop):
            locations = sites("Austin", "78701", "78702")
            make_provider(name=f"Clinic {n:02}", conditions=["depression"], locations=locations)

    add_providers(0, 5)
    editor_client.get(reverse(CHANGELIST))  # warm per-process caches (content types …)
    with CaptureQueriesContext(connection) as five:
        assert len(listed(editor_client)) == 5
    add_providers(5, 30)
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert len(listed(editor_client)) == 30


# --- Adding and editing through the form ---------------------------------------------------


def add_provider(client, follow=False, fields=(), **location):
    """Fill the add page as an editor would: provider fields and its one location form."""
    data = form_data(client.get(reverse("admin:directory_provider_add")))
    # The inline's prefix and its single empty form, as rendered.
    assert data["locations-TOTAL_FORMS"] == "1"
    assert data["locations-INITIAL_FORMS"] == "0"
    data.update(
        name="Hill Country Ketamine",
        slug="hill-country-ketamine",
        website="hillcountry.example",
        phone="512.555.0199",
        conditions=[Condition.objects.get(slug="depression").pk],
    )
    street = {"address1": "100 Congress Ave", "city": "Austin", "state": "TX", "zip": "78701"}
    data.update({f"locations-0-{key}": value for key, value in {**street, **location}.items()})
    data.update(fields)
    return client.post(reverse("admin:directory_provider_add"), data, follow=follow)


def test_editor_adds_provider_placed_at_the_zip_centre(editor_client):
    response = add_provider(editor_client)
    assert response.status_code == 302
    provider = Provider.objects.get(slug="hill-country-ketamine")
    assert provider.phone == "(512) 555-0199"
    assert provider.website == "https://hillcountry.example"
    assert [c.slug for c in provider.conditions.all()] == ["depression"]
    location = provider.locations.get()
    assert (location.latitude, location.longitude) == pytest.approx((30.2713, -97.7426), abs=1e-3)
    assert (location.latitude, location.longitude) == centre("78701")
    assert location.coordinates_source == Location.Source.GAZETTEER


def test_editor_typed_coordinates_are_kept_as_manual(editor_client):
    add_provider(editor_client, latitude="30.2672", longitude="-97.7431")
    location = Location.objects.get(provider__slug="hill-country-ketamine")
    assert (location.latitude, location.longitude) == (30.2672, -97.7431)
    assert location.coordinates_source == Location.Source.MANUAL


def test_unknown_zip_saves_without_coordinates_and_warns(editor_client):
    assert not Place.objects.filter(zip="00001").exists()
    response = add_provider(editor_client, follow=True, zip="00001")
    assert response.status_code == 200
    location = Location.objects.get(provider__slug="hill-country-ketamine")
    assert not location.has_coordinates
    assert location.coordinates_source == ""
    assert "ZIP 00001 is not in our gazetteer" in messages_of(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [("locations-0-zip", "7870"), ("website", "not a website"), ("phone", "555-01")],
)
def test_invalid_input_reshows_the_form_and_writes_nothing(editor_client, field, value):
    response = add_provider(editor_client, fields={field: value})
    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["errors"]
    assert not Provider.objects.exists()
    assert not Location.objects.exists()


def test_address_change_regeocodes_unless_coordinates_were_typed(editor_client):
    austin = cast.austin_clinic()  # manual coordinates
    round_rock = cast.round_rock_clinic()  # gazetteer coordinates
    for provider in (austin, round_rock):
        url = reverse("admin:directory_provider_change", args=[provider.pk])
        data = form_data(editor_client.get(url))
        data["locations-0-zip"] = "78702"
        assert editor_client.post(url, data).status_code == 302
    assert coordinates(austin.locations.get()) == (30.2672, -97.7431)
    assert coordinates(round_rock.locations.get()) == centre("78702")


# --- Actions -------------------------------------------------------------------------------


def act(client, action, *providers):
    data = {"action": action, "index": "0", "_selected_action": [p.pk for p in providers]}
    response = client.post(reverse(CHANGELIST), data, follow=True)
    assert response.status_code == 200
    return response


def test_editor_publishes_and_unpublishes(editor_client):
    draft, published = cast.draft_provider(), cast.austin_clinic()
    act(editor_client, "publish", draft)
    draft.refresh_from_db()
    assert draft.status == Provider.Status.PUBLISHED
    act(editor_client, "unpublish", published, draft)
    statuses = Provider.objects.filter(pk__in=[draft.pk, published.pk]).values_list("status")
    assert set(statuses) == {(Provider.Status.DRAFT,)}


def test_editor_records_a_verification_for_chosen_providers(editor_client):
    stale, untouched = cast.round_rock_clinic(), cast.at_home_service()
    response = editor_client.post(
        reverse(CHANGELIST),
        {"action": "record_verification", "_selected_action": [stale.pk], "apply": "1",
         "method": "phone", "note": "", "verified_on": timezone.localdate().isoformat()},
        follow=True,
    )  # fmt: skip
    stale.refresh_from_db()
    untouched.refresh_from_db()
    assert stale.last_verified == timezone.localdate()
    assert untouched.last_verified is None
    assert "Verification recorded for 1 provider." in messages_of(response)


def test_regeocode_recomputes_all_but_typed_coordinates(editor_client):
    austin, draft = cast.austin_clinic(), cast.draft_provider()  # manual; none yet
    [site] = sites("Austin", "78701")
    site.update(latitude=40.0, longitude=-80.0, coordinates_source="gazetteer")  # stale centre
    wrong = make_provider(name="Misplaced Clinic", locations=[site])
    act(editor_client, "regeocode", austin, draft, wrong)
    assert coordinates(austin.locations.get()) == (30.2672, -97.7431)
    assert coordinates(draft.locations.get()) == centre("78702")
    assert coordinates(wrong.locations.get()) == centre("78701")
    assert austin.locations.get().coordinates_source == Location.Source.MANUAL
    assert wrong.locations.get().coordinates_source == Location.Source.GAZETTEER


def test_editor_autocompletes_states_for_at_home_care(editor_client):
    params = {"app_label": "directory", "model_name": "provider"}
    response = editor_client.get(
        reverse("admin:autocomplete"), {**params, "field_name": "serves_states", "term": "tex"}
    )
    assert [r["id"] for r in response.json()["results"]] == ["TX"]


# --- Import and export -------------------------------------------------------------------


def preview(client, rows, name="providers.csv"):
    upload = SimpleUploadedFile(name, (HEADER + rows).encode(), content_type="text/csv")
    url = reverse("admin:directory_provider_import")
    return client.post(url, {"import_file": upload, "format": "0", "resource": "0"})


def confirm(client, preview_response):
    data = preview_response.context["confirm_form"].initial
    url = reverse("admin:directory_provider_process_import")
    return client.post(url, data, follow=True)


# Spreadsheet rows 2 to 4 (the header is row 1): a two-site clinic and an at-home service.
GOOD_ROWS = (
    "hc-1,Hill Country,published,https://hc.example,512.555.0199,,,1 A St,,Austin,TX,78701,,,"
    "depression;ptsd,iv-infusion,,yes\n"
    "hc-1,Hill Country,published,https://hc.example,512.555.0199,,,2 B St,,Round Rock,TX,78664,,,"
    "depression;ptsd,iv-infusion,,yes\n"
    "home-1,Buckeye at Home,published,,,,,,,,,,,,anxiety,oral-sublingual,OH;TX,unknown\n"
)


def test_editor_can_open_the_import_page(editor_client):
    response = editor_client.get(reverse("admin:directory_provider_import"))
    assert response.status_code == 200
    assert "import_file" in response.context["form"].fields


def test_editor_imports_after_preview_and_confirm(editor_client):
    response = preview(editor_client, GOOD_ROWS)
    assert response.status_code == 200
    assert "confirm_form" in response.context
    assert not Provider.objects.exists()  # a preview writes nothing
    response = confirm(editor_client, response)
    assert "Import finished: 2 new, 0 updated" in messages_of(response)
    clinic = Provider.objects.get(external_id="hc-1")
    assert clinic.phone == "(512) 555-0199"
    assert clinic.status == Provider.Status.PUBLISHED
    assert sorted(c.slug for c in clinic.conditions.all()) == ["depression", "ptsd"]
    first, second = clinic.locations.all()
    assert coordinates(first) == centre("78701")
    assert coordinates(second) == centre("78664")
    home = Provider.objects.get(external_id="home-1")
    assert sorted(s.code for s in home.serves_states.all()) == ["OH", "TX"]
    assert not home.locations.exists()


def test_import_with_a_bad_row_reports_it_and_writes_nothing(editor_client):
    bad = GOOD_ROWS.replace("home-1,Buckeye at Home,published,,", "home-1,Buckeye,published,nope,")
    response = preview(editor_client, bad)
    assert "confirm_form" not in response.context
    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 4
    assert set(invalid.field_specific_errors) == {"website"}
    assert "Enter a valid URL." in response.content.decode()
    assert not Provider.objects.exists()


def test_import_row_numbers_count_blank_lines_like_a_spreadsheet(editor_client):
    # The command line reads blank lines as rows (spreadsheet numbering); the
    # admin must name the same row, or editors look at the wrong line.
    bad = "\n" + GOOD_ROWS.replace("home-1,Buckeye at Home,published,,", "home-1,B,published,x,")
    response = preview(editor_client, bad)
    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 5


def test_confirm_writes_nothing_when_the_data_changed_since_preview(editor_client):
    response = preview(editor_client, GOOD_ROWS)
    Condition.objects.filter(slug="anxiety").delete()  # another editor, meanwhile
    response = confirm(editor_client, response)
    assert "row 4, conditions: unknown slug 'anxiety'" in messages_of(response)
    assert not Provider.objects.exists()


def test_export_escapes_formulas(editor_client):
    make_provider(name="=HYPERLINK(1)", slug="hyperlink", external_id="x-1")
    cast.austin_clinic()
    response = editor_client.get(reverse("admin:directory_provider_export"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["name"] for row in rows} == {"'=HYPERLINK(1)", "Austin Ketamine Clinic"}
