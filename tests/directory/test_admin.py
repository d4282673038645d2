"""The editors' admin: what an Editors-group member may do to the directory, and how."""

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from directory.models import Condition, Location, Place, Provider
from ketanet.editors import EDITORS_GROUP
from tests.cast import at_home_service, austin_clinic, draft_provider, make_provider, round_rock_clinic

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_provider_changelist"
HEADER = (
    "external_id,name,status,website,phone,email,description,address1,address2,city,state,"
    "zip,latitude,longitude,conditions,treatments,serves_states,accepting_new_patients\n"
)


class FormFields(HTMLParser):
    """What a browser submits from the admin's provider form, read from the page itself."""

    def __init__(self):
        super().__init__()
        self.data, self.inside, self.select, self.textarea = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "provider_form"
        name = attrs.get("name") or ""
        if not self.inside or "__prefix__" in name:  # the "Add another" template
            return
        kind = attrs.get("type")
        if tag == "input" and name and kind not in {"submit", "checkbox"}:
            self.data[name] = attrs.get("value") or ""
        elif tag == "input" and name and "checked" in attrs:
            self.data[name] = "on"
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.setdefault(self.select, []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        self.select = None if tag == "select" else self.select
        self.textarea = None if tag == "textarea" else self.textarea

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data.strip()


def form_data(response):
    assert response.status_code == 200
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.data


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
    return [str(message) for message in response.context["messages"]]


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
    }  # fmt: skip
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps <= {"directory", "articles"}
    assert not editor.is_superuser
    assert not editor.has_perm("directory.delete_provider")
    assert not editor.has_perm("auth.view_user")


@pytest.mark.parametrize("page", ["changelist", "add"])
def test_editor_can_open_provider_pages(editor_client, page):
    assert editor_client.get(reverse(f"admin:directory_provider_{page}")).status_code == 200


def test_editor_can_open_a_provider_change_page(editor_client):
    provider = austin_clinic()
    url = reverse("admin:directory_provider_change", args=[provider.pk])
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
    provider = austin_clinic()
    delete_page = reverse("admin:directory_provider_delete", args=[provider.pk])
    assert editor_client.get(delete_page).status_code == 403
    assert editor_client.post(delete_page, {"post": "yes"}).status_code == 403
    response = editor_client.get(reverse(CHANGELIST))
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"publish", "unpublish", "mark_verified_today", "regeocode"} <= set(actions)
    editor_client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [provider.pk]}
    )
    assert Provider.objects.filter(pk=provider.pk).exists()


# --- The changelist ----------------------------------------------------------------------


def test_changelist_shows_where_each_provider_is(editor_client):
    make_provider(
        name="Two Site Clinic",
        locations=[
            {"address1": "1 A St", "city": "Austin", "state_id": "TX", "zip": "78701"},
            {"address1": "2 B St", "city": "Dallas", "state_id": "TX", "zip": "75201"},
        ],
    )
    at_home_service()
    html = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert "Austin, TX (+1)" in html
    assert "At home only" in html


def test_changelist_filters_by_status_verification_and_state(editor_client):
    today = timezone.localdate()

    def verified(provider, days_ago):
        # Relative to today, so the cast's fixed dates cannot turn stale with time.
        provider.last_verified = None if days_ago is None else today - timedelta(days=days_ago)
        provider.save()

    verified(austin_clinic(), 10)
    verified(round_rock_clinic(), 181)
    verified(at_home_service(), None)
    verified(draft_provider(), 0)
    columbus = {"address1": "1 High St", "city": "Columbus", "state_id": "OH", "zip": "43215"}
    verified(make_provider(name="Columbus Clinic", locations=[columbus]), 180)
    assert listed(editor_client, status__exact="draft") == {"Unfinished Clinic"}
    assert listed(editor_client, verified="stale") == {
        "Round Rock Infusion Center",
        "Lone Star Ketamine at Home",
    }
    assert listed(editor_client, verified="fresh") == {
        "Austin Ketamine Clinic",
        "Unfinished Clinic",
        "Columbus Clinic",
    }
    assert listed(editor_client, state="OH") == {"Lone Star Ketamine at Home", "Columbus Clinic"}
    assert listed(editor_client, state="TX") == {
        "Austin Ketamine Clinic",
        "Round Rock Infusion Center",
        "Lone Star Ketamine at Home",
        "Unfinished Clinic",
    }


def test_changelist_searches_city_zip_and_external_id_once_per_provider(editor_client):
    austin_clinic()
    round_rock_clinic()
    at_home_service()
    make_provider(
        name="Hill Country Wellness",
        locations=[
            {"address1": "1 Main St", "city": "Georgetown", "state_id": "TX", "zip": "78626"},
            {"address1": "9 Rock St", "city": "Georgetown", "state_id": "TX", "zip": "78628"},
        ],
    )
    response = editor_client.get(reverse(CHANGELIST), {"q": "Georgetown"})
    assert [p.name for p in response.context["cl"].result_list] == ["Hill Country Wellness"]
    assert listed(editor_client, q="78664") == {"Round Rock Infusion Center"}
    assert listed(editor_client, q="at-home-1") == {"Lone Star Ketamine at Home"}


def test_changelist_queries_do_not_grow_with_rows(editor_client, django_assert_max_num_queries):
    def add_providers(start, stop):
        for n in range(start, stop):
            make_provider(
                name=f"Clinic {n:02}",
                conditions=["depression"],
                locations=[
                    {"address1": f"{n} A St", "city": "Austin", "state_id": "TX", "zip": "78701"},
                    {"address1": f"{n} B St", "city": "Dallas", "state_id": "TX", "zip": "75201"},
                ],
            )

    add_providers(0, 5)
    editor_client.get(reverse(CHANGELIST))  # warm per-process caches (content types …)
    with CaptureQueriesContext(connection) as five:
        assert len(listed(editor_client)) == 5
    add_providers(5, 30)
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert len(listed(editor_client)) == 30


def test_probe(editor_client):
    data = form_data(editor_client.get(reverse("admin:directory_provider_add")))
    print(data)
    p = austin_clinic()
    print(form_data(editor_client.get(reverse("admin:directory_provider_change", args=[p.pk]))))
    assert 0
