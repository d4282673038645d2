"""Verification with evidence: how a listing was checked, shown to patients, worked by editors."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.facts import TELEHEALTH_RULES_CHANGE
from directory.models import Provider, Verification
from directory.moderation import provider_verify
from tests import cast
from tests.admin_forms import form_data as admin_form_data
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_provider_changelist"


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


def profile(client, provider):
    response = client.get(provider.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def listed(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {provider.name for provider in response.context["cl"].result_list}


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


# --- provider_verify --------------------------------------------------------------------


def test_a_verification_moves_the_date_forward_with_a_history_record(editor):
    provider = cast.round_rock_clinic()
    verification = provider_verify(provider, method="phone", by=editor, note="Front desk")
    provider.refresh_from_db()
    assert provider.last_verified == timezone.localdate()
    assert (verification.verified_by, verification.note) == (editor, "Front desk")
    record = provider.history.first()
    assert record.history_user == editor
    assert record.last_verified == timezone.localdate()
    assert record.history_change_reason == str(verification)
    assert str(verification).endswith("(by phone)")


def test_an_older_verification_entered_late_is_kept_but_never_moves_the_date_back(editor):
    provider = cast.austin_clinic()  # verified 2026-10-01
    version = provider.version
    provider_verify(provider, method="website", by=editor, on=date(2026, 9, 1))
    provider.refresh_from_db()
    assert provider.last_verified == date(2026, 10, 1)
    assert provider.version == version
    assert provider.verifications.get().verified_on == date(2026, 9, 1)


# --- The profile ------------------------------------------------------------------------


def test_profile_says_when_and_how_the_listing_was_verified(client, editor):
    provider = cast.round_rock_clinic()
    provider_verify(provider, method="phone", by=editor, on=days_ago(3))
    on = days_ago(3)
    html = profile(client, provider)
    assert f"{on:%B} {on.day}, {on.year}</time> (by phone)" in html
    assert "Verified on" in html
    assert 'class="notice"' not in html


def test_the_latest_verification_of_that_date_names_the_method(client, editor):
    provider = cast.round_rock_clinic()
    provider_verify(provider, method="website", by=editor, on=days_ago(30))
    provider_verify(provider, method="registry", by=editor, on=days_ago(40))
    assert "(on the provider’s website)" in profile(client, provider)


def test_an_imported_date_without_a_record_shows_the_date_alone(client):
    provider = cast.austin_clinic()  # last_verified from the cast, as an import sets it
    html = profile(client, provider)
    assert "Verified on <time" in html
    assert "October 1, 2026</time></dd>" in html


def test_a_never_verified_listing_says_so_and_asks_patients_to_call_ahead(client):
    html = profile(client, cast.round_rock_clinic())
    assert "Not yet verified" in html
    assert '<p class="notice">Not verified yet: call ahead to check the details.</p>' in html


@pytest.mark.parametrize(("age", "notice"), [(365, False), (366, True), (30, False)])
def test_a_notice_shows_only_after_twelve_months_without_verification(client, age, notice):
    on = days_ago(age)
    provider = cast.round_rock_clinic(last_verified=on)
    html = profile(client, provider)
    text = f'<p class="notice">Not verified since {on:%B} {on.day}, {on.year}: call ahead'
    assert (text in html) is notice


# --- The admin: the inline ------------------------------------------------------------------


def provider_form(client, provider):
    url = reverse("admin:directory_provider_change", args=[provider.pk])
    return url, admin_form_data(client.get(url), "provider_form")


def test_last_verified_is_read_only_in_the_provider_form(editor_client):
    provider = cast.austin_clinic()
    url, data = provider_form(editor_client, provider)
    assert "last_verified" not in data
    data["last_verified"] = "2030-01-01"
    assert editor_client.post(url, data).status_code == 302
    provider.refresh_from_db()
    assert provider.last_verified == date(2026, 10, 1)


def test_editor_adds_a_verification_inline_through_provider_verify(editor_client, editor):
    provider = cast.round_rock_clinic()
    url, data = provider_form(editor_client, provider)
    assert data["verifications-TOTAL_FORMS"] == "0"
    data.update(
        {
            "verifications-TOTAL_FORMS": "1",
            "verifications-0-verified_on": days_ago(1).isoformat(),
            "verifications-0-method": "document",
            "verifications-0-note": "Licence copy received",
        }
    )
    response = editor_client.post(url, data)
    assert response.status_code == 302
    verification = provider.verifications.get()
    assert (verification.method, verification.verified_by) == ("document", editor)
    assert verification.note == "Licence copy received"
    provider.refresh_from_db()
    assert provider.last_verified == days_ago(1)
    # One history record for the whole save, by the editor, with the new date.
    record = provider.history.first()
    assert (record.history_user, record.last_verified) == (editor, days_ago(1))


def test_a_verification_dated_in_the_future_is_refused_inline(editor_client):
    provider = cast.round_rock_clinic()
    url, data = provider_form(editor_client, provider)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data.update(
        {
            "verifications-TOTAL_FORMS": "1",
            "verifications-0-verified_on": tomorrow.isoformat(),
            "verifications-0-method": "phone",
        }
    )
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "A verification cannot be dated in the future." in response.content.decode()
    assert not Verification.objects.exists()


def test_existing_verifications_cannot_be_changed_or_deleted_by_editors(editor_client, editor):
    provider = cast.round_rock_clinic()
    verification = provider_verify(provider, method="phone", by=editor, note="As it was")
    url, data = provider_form(editor_client, provider)
    assert data["verifications-INITIAL_FORMS"] == "1"
    assert "verifications-0-note" not in data  # shown as text
    assert "verifications-0-DELETE" not in data
    data.update({"verifications-0-note": "Rewritten", "verifications-0-DELETE": "on"})
    assert editor_client.post(url, data).status_code == 302
    verification.refresh_from_db()
    assert verification.note == "As it was"
    assert not editor.has_perm("directory.change_verification")
    assert not editor.has_perm("directory.delete_verification")


# --- The admin: the intermediate action --------------------------------------------------------


def test_record_verification_asks_how_before_recording(editor_client):
    austin, round_rock = cast.austin_clinic(), cast.round_rock_clinic()
    chosen = {"action": "record_verification", "_selected_action": [austin.pk, round_rock.pk]}
    response = editor_client.post(reverse(CHANGELIST), {**chosen, "index": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Record how you verified 2 providers" in html
    assert "Round Rock Infusion Center" in html
    assert response.context["form"]["verified_on"].value() == timezone.localdate()
    assert not Verification.objects.exists()


def test_record_verification_refuses_a_missing_method_or_a_future_date(editor_client):
    austin = cast.austin_clinic()
    data = {"action": "record_verification", "_selected_action": [austin.pk], "apply": "1"}
    response = editor_client.post(reverse(CHANGELIST), data)
    assert response.status_code == 200
    assert response.context["form"].errors["method"] == ["This field is required."]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = editor_client.post(
        reverse(CHANGELIST), {**data, "method": "phone", "verified_on": tomorrow}
    )
    assert response.context["form"].errors["verified_on"] == [
        "A verification cannot be dated in the future."
    ]
    assert not Verification.objects.exists()


def test_record_verification_records_one_for_each_provider(editor_client, editor):
    austin, round_rock, untouched = (
        cast.austin_clinic(),
        cast.round_rock_clinic(),
        cast.at_home_service(),
    )
    response = editor_client.post(
        reverse(CHANGELIST),
        {
            "action": "record_verification",
            "_selected_action": [austin.pk, round_rock.pk],
            "apply": "1",
            "method": "registry",
            "note": "NPI registry",
            "verified_on": days_ago(2).isoformat(),
        },
        follow=True,
    )
    assert "Verification recorded for 2 providers." in messages_of(response)
    rows = Verification.objects.order_by("provider__name")
    assert [(v.provider, v.method, v.verified_by, v.note) for v in rows] == [
        (austin, "registry", editor, "NPI registry"),
        (round_rock, "registry", editor, "NPI registry"),
    ]
    for provider in (austin, round_rock, untouched):
        provider.refresh_from_db()
    assert austin.last_verified == max(date(2026, 10, 1), days_ago(2))
    assert round_rock.last_verified == days_ago(2)
    assert untouched.last_verified is None


# --- The admin: filters --------------------------------------------------------------------


def test_verification_filter_by_six_and_twelve_months(editor_client):
    make_provider(name="Fresh", last_verified=days_ago(10))
    make_provider(name="Seven months", last_verified=days_ago(210))
    make_provider(name="Exactly a year", last_verified=days_ago(365))
    make_provider(name="Thirteen months", last_verified=days_ago(395))
    make_provider(name="Never")
    assert listed(editor_client, verified="stale") == {
        "Seven months", "Exactly a year", "Thirteen months", "Never",
    }  # fmt: skip
    assert listed(editor_client, verified="notice") == {"Thirteen months", "Never"}
    assert listed(editor_client, verified="fresh") == {"Fresh"}


def test_telehealth_filter_finds_at_home_services_to_recheck(editor_client):
    recheck_before = TELEHEALTH_RULES_CHANGE - timedelta(days=90)
    make_provider(name="Never confirmed", serves_states=["TX"])
    make_provider(
        name="Confirmed long ago",
        serves_states=["OH"],
        telehealth_confirmed=recheck_before - timedelta(days=1),
    )
    make_provider(
        name="Confirmed lately", serves_states=["TX"], telehealth_confirmed=recheck_before
    )
    make_provider(name="Clinic only")
    assert listed(editor_client, telehealth="recheck") == {"Never confirmed", "Confirmed long ago"}
    assert listed(editor_client, telehealth="current") == {"Confirmed lately", "Clinic only"}
    assert set(Provider.objects.telehealth_to_recheck().values_list("name", flat=True)) == {
        "Never confirmed",
        "Confirmed long ago",
    }
