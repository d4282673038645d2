"""The admin's defences: no escalation for editors, login throttling, passwords, sessions."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.editors import EDITORS_GROUP
from directory.models import Provider
from tests.cast import austin_clinic
from tests.test_settings import load_settings

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-editor-password"  # the `editor` fixture's


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser(
        username="ada", password="a-long-admin-password-1"
    )


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="olive", password="olive-password-9")


def log_in(client, username, password, **extra):
    """Post the admin's login form as a browser would."""
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **extra,
    )


# --- Editors stay editors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:auth_user_changelist",
        "admin:auth_user_add",
        "admin:auth_group_changelist",
        "admin:auth_group_add",
        # Axes' records: an editor cannot lift their own lockout.
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
    ],
)
def test_editor_cannot_open_account_admin_pages(editor_client, url_name):
    assert editor_client.get(reverse(url_name)).status_code == 403


def test_permissions_have_no_admin_page_at_all(editor_client, admin_user, client):
    path = reverse("admin:index") + "auth/permission/"
    assert editor_client.get(path).status_code == 404
    client.force_login(admin_user)
    assert client.get(path).status_code == 404


def test_editor_cannot_open_or_change_any_user_or_their_password(editor_client, editor, other_user):
    for user in (editor, other_user):
        for url_name in ["admin:auth_user_change", "admin:auth_user_password_change"]:
            url = reverse(url_name, args=[user.pk])
            assert editor_client.get(url).status_code == 403, (url_name, user)
        response = editor_client.post(
            reverse("admin:auth_user_password_change", args=[user.pk]),
            {"password1": "new-Pa55word-xyz", "password2": "new-Pa55word-xyz"},
        )
        assert response.status_code == 403
    other_user.refresh_from_db()
    assert other_user.check_password("olive-password-9")


def test_editor_cannot_raise_their_own_rights_by_any_post(editor_client, editor):
    everything = list(Permission.objects.values_list("pk", flat=True))
    group = Group.objects.get(name=EDITORS_GROUP)
    admins = Group.objects.create(name="Admins")
    admins.permissions.set(everything)
    granted = set(group.permissions.values_list("pk", flat=True))

    attempts = [
        (
            reverse("admin:auth_user_change", args=[editor.pk]),
            {"username": "eddie", "is_active": "on", "is_staff": "on", "is_superuser": "on",
             "groups": [group.pk, admins.pk], "user_permissions": everything,
             "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"},
        ),
        (
            reverse("admin:auth_group_change", args=[admins.pk]),
            {"name": "Admins", "permissions": everything},
        ),
        (
            reverse("admin:auth_group_change", args=[group.pk]),
            {"name": EDITORS_GROUP, "permissions": everything},
        ),
        (reverse("admin:auth_group_add"), {"name": "Mine", "permissions": everything}),
        (
            reverse("admin:auth_user_add"),
            {"username": "sock", "password1": "a-Str0ng-passphrase", "password2":
             "a-Str0ng-passphrase", "usable_password": "true"},
        ),
        (
            reverse("admin:auth_user_changelist"),
            {"action": "delete_selected", "_selected_action": [editor.pk], "post": "yes"},
        ),
    ]  # fmt: skip
    for url, data in attempts:
        assert editor_client.post(url, data).status_code == 403, url

    editor.refresh_from_db()
    assert (editor.is_superuser, editor.is_staff, editor.is_active) == (False, True, True)
    assert not editor.user_permissions.exists()
    assert list(editor.groups.values_list("name", flat=True)) == [EDITORS_GROUP]
    assert set(group.permissions.values_list("pk", flat=True)) == granted
    assert not Group.objects.filter(name="Mine").exists()
    assert not editor.has_perm("auth.change_user")
    assert not editor.has_perm("auth.add_user")


def test_editor_cannot_delete_a_provider_but_a_superuser_can(editor_client, client, admin_user):
    provider = austin_clinic()
    delete = reverse("admin:directory_provider_delete", args=[provider.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Provider.objects.filter(pk=provider.pk).exists()

    client.force_login(admin_user)
    response = client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert not Provider.objects.filter(pk=provider.pk).exists()


# --- What the admin cannot look up ------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "/admin/directory/provider/?status__exact=a%00b",
        "/admin/directory/provider/?q=mind%00",
        "/admin/directory/submission/?kind=a%00b",
        "/admin/articles/article/?status=%00",
        "/admin/directory/state/a%00b/change/",
        "/admin/directory/provider/?a%00b=1",
    ],
)
def test_a_nul_character_in_an_admin_address_is_a_400_not_a_500(editor_client, address):
    # PostgreSQL cannot compare text holding NUL: a filter's value or an object's id
    # holding one was a 500 there. The rule covers a search and a parameter's name too.
    response = editor_client.get(address)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_the_admin_still_answers_lookups_without_nul(editor_client):
    austin_clinic()
    response = editor_client.get("/admin/directory/provider/?q=austin&status__exact=published")
    assert response.status_code == 200
    assert "Austin Ketamine Clinic" in response.content.decode()


AUTOCOMPLETED = [
    (model_admin.model, name)
    for model_admin in admin.site._registry.values()
    for name in model_admin.autocomplete_fields
]


# Not a number beyond the database's range: on SQLite, Django's own field for a
# many-to-many relation still fails on one before any widget draws it.
@pytest.mark.parametrize("value", ["not-a-key", "a\x00b"])
@pytest.mark.parametrize(
    ("model", "name"), AUTOCOMPLETED, ids=[f"{m._meta.model_name}.{n}" for m, n in AUTOCOMPLETED]
)
def test_a_value_no_row_can_have_in_an_autocomplete_field_is_refused_not_a_500(
    client, admin_user, model, name, value
):
    # Django's autocomplete widgets looked the posted value up to draw the form again
    # with its errors: a 500 for text in a numeric key, and for NUL on PostgreSQL.
    client.force_login(admin_user)
    options = model._meta
    response = client.post(
        reverse(f"admin:{options.app_label}_{options.model_name}_add"), {name: value}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert name in errors


# --- Login throttling ------------------------------------------------------------------


def fail(client, times, username="eddie", **extra):
    return [log_in(client, username, "wrong-password", **extra).status_code for _ in range(times)]


def test_wrong_passwords_lock_the_login_and_then_the_right_one_is_refused(client, editor):
    # Four mistakes show the form again; the fifth locks out.
    assert fail(client, 5) == [200, 200, 200, 200, 429]
    response = log_in(client, "eddie", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "<h1>Too many login attempts</h1>" in html
    assert "Wait 60 minutes" in html
    assert "ask a site administrator" in html
    assert "_auth_user_id" not in client.session
    # The lockout page is a public-site page with the site's headers.
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_lockout_ends_after_the_cool_off(client, editor):
    fail(client, 5)
    assert log_in(client, "eddie", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=61))
    assert log_in(client, "eddie", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(client, editor):
    fail(client, 4)
    assert log_in(client, "eddie", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, 4) == [200] * 4
    assert log_in(client, "eddie", PASSWORD).status_code == 302


def test_lockout_is_per_username_and_address(client, editor, other_user):
    fail(client, 5, REMOTE_ADDR="198.51.100.7")
    assert log_in(client, "eddie", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 429
    # The editor at their own desk, and another account from that address, still log in.
    assert log_in(client, "eddie", PASSWORD, REMOTE_ADDR="203.0.113.20").status_code == 302
    client.logout()
    response = log_in(client, "olive", "olive-password-9", REMOTE_ADDR="198.51.100.7")
    # Olive is not staff: the admin refuses her, but not because of the lockout.
    assert response.status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, editor):
    # Without a trusted proxy (the default) X-Forwarded-For is ignored.
    for n in range(5):
        log_in(client, "eddie", "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = log_in(client, "eddie", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_address_it_saw(client, editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    fail(client, 5, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    # Entries left of the proxy's own are the client's word: forging them changes nothing.
    forged = log_in(
        client, "eddie", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7", **proxy
    )
    assert forged.status_code == 429
    # Another editor's address behind the same proxy is not locked.
    other = log_in(client, "eddie", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.20", **proxy)
    assert other.status_code == 302


def test_failure_limit_comes_from_the_environment():
    values, _ = load_settings(
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "TRUSTED_PROXY_COUNT",
        DJANGO_DEBUG="1",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="15",
        TRUSTED_PROXY_COUNT="2",
    )
    assert values == {
        "AXES_FAILURE_LIMIT": 3,
        "AXES_COOLOFF_TIME": "0:15:00",
        "TRUSTED_PROXY_COUNT": 2,
    }


# --- Where the admin lives -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("backstage-7f3k/", "backstage-7f3k/"), ("staff/admin/", "staff/admin/"), ("", "admin/")],
)
def test_admin_url_can_be_moved(value, expected):
    values, stderr = load_settings("ADMIN_URL", DJANGO_DEBUG="1", DJANGO_ADMIN_URL=value)
    assert values == {"ADMIN_URL": expected}, stderr


@pytest.mark.parametrize(
    "value", ["/admin/", "admin", "ad min/", "admin//", "../admin/", "/", "admin/?x/"]
)
def test_a_malformed_admin_url_stops_start_up(value):
    values, stderr = load_settings("ADMIN_URL", DJANGO_DEBUG="1", DJANGO_ADMIN_URL=value)
    assert values is None
    assert "DJANGO_ADMIN_URL must be a path like 'admin/'" in stderr


def test_admin_is_at_the_default_path():
    assert reverse("admin:index") == "/admin/"


# --- Passwords and sessions -----------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["Tr0ub4dor&3", "password1234", "12345678901234"],
    ids=["eleven-characters", "common", "numeric"],
)
def test_weak_passwords_are_rejected(password, editor):
    with pytest.raises(ValidationError):
        validate_password(password, user=editor)


def test_a_long_uncommon_passphrase_is_accepted(editor):
    validate_password("correct horse battery staple", user=editor)


def test_admin_refuses_a_new_user_with_a_weak_password(client, admin_user, django_user_model):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "short1", "password2": "short1",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not django_user_model.objects.filter(username="newbie").exists()


def test_editor_cannot_change_their_own_password_to_a_weak_one(editor_client, editor):
    response = editor_client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "password1234",
         "new_password2": "password1234"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)


def test_an_expired_session_is_logged_out(client, editor):
    assert log_in(client, "eddie", PASSWORD).status_code == 302
    session = Session.objects.get(session_key=client.session.session_key)
    # The server forgets the login after eight hours, whatever the browser keeps.
    remaining = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
