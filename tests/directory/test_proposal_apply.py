"""Applying a practice's update in the admin: old → new, conflicts, the admin's save path."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from directory.models import Provider, Verification
from directory.proposals import current_value
from directory.submissions import Submission
from tests import cast
from tests.admin_forms import form_data
from tests.update_forms import post_update, update_data
from tests.xss_corpus import PAYLOADS, inspect

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return cast.austin_clinic(price_min=400, payment_options=["self-pay"], wait_days=14)


def propose(client, clinic, **changes):
    """File an update through the public form, as a practice would."""
    data = update_data(client, clinic, work_email="dana@example.org", **changes)
    response = post_update(client, clinic, data)
    assert response.status_code == 303, response.context["form"].errors
    return Submission.objects.latest("pk")


def apply_url(submission):
    return reverse("admin:directory_submission_apply", args=[submission.pk])


def change_url(submission):
    return reverse("admin:directory_submission_change", args=[submission.pk])


def history(provider):
    return list(provider.history.order_by("-history_date", "-history_id"))


def test_applying_an_update_saves_the_listing_as_the_admin_does(client, editor, clinic):
    submission = propose(
        client,
        clinic,
        phone="(512) 555-0199",
        price_min="350",
        payment_options=["self-pay", "hsa-fsa"],
        rems_certified="true",
    )
    records, version = len(history(clinic)), clinic.version
    client.force_login(editor)

    page = client.get(apply_url(submission))
    data = form_data(page, "apply_form")
    assert sorted(data["chosen"]) == ["payment_options", "phone", "price_min", "rems_certified"]
    assert "verify" not in data  # an unconfirmed update: not a verification by default
    response = client.post(apply_url(submission), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(submission)
    clinic.refresh_from_db()
    assert clinic.phone == "(512) 555-0199"
    assert clinic.price_min == 350
    assert clinic.rems_certified is True
    assert set(clinic.payment_options.values_list("pk", flat=True)) == {"self-pay", "hsa-fsa"}
    assert clinic.version == version + 1
    # One history record, by the editor, relations included, saying where it came from.
    records_now = history(clinic)
    assert len(records_now) == records + 1
    latest = records_now[0]
    assert latest.history_user == editor
    assert latest.price_min == 350
    assert f"queue item {submission.pk}" in latest.history_change_reason
    assert LogEntry.objects.filter(user=editor, object_id=str(clinic.pk)).count() == 1
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RESOLVED
    assert submission.handled_by == editor
    assert submission.handled_at is not None
    assert submission.email == ""  # erased once closed
    assert "Applied: phone" in submission.editor_note
    assert Verification.objects.count() == 0


def test_unticked_fields_are_left_as_they_are(client, editor, clinic):
    submission = propose(client, clinic, phone="(512) 555-0199", wait_days="3")
    client.force_login(editor)

    data = form_data(client.get(apply_url(submission)), "apply_form")
    data["chosen"] = ["wait_days"]
    assert client.post(apply_url(submission), data).status_code == 302

    clinic.refresh_from_db()
    assert (clinic.phone, clinic.wait_days) == ("(512) 555-0100", 3)
    assert "Not applied: phone" in Submission.objects.get().editor_note


def test_a_field_changed_since_the_proposal_is_a_conflict_left_unticked(client, editor, clinic):
    submission = propose(client, clinic, price_min="350", wait_days="3")
    clinic.price_min = 380  # an editor's save after the practice's proposal
    clinic.save()
    client.force_login(editor)

    change_page = client.get(change_url(submission)).content.decode()
    page = client.get(apply_url(submission))
    rows = {row.name: (row, ticked) for row, ticked in page.context["rows"]}
    data = form_data(page, "apply_form")

    assert "conflict: changed since it was proposed" in change_page
    row, ticked = rows["price_min"]
    assert (row.conflict, ticked) == (True, False)
    assert (row.original, row.now, row.proposed) == ("400", "380", "350")
    assert rows["wait_days"][0].conflict is False
    assert data["chosen"] == ["wait_days"]
    assert "changed on the listing after this update was proposed" in page.content.decode()

    assert client.post(apply_url(submission), data).status_code == 302
    clinic.refresh_from_db()
    assert (clinic.price_min, clinic.wait_days) == (380, 3)  # nothing overwritten silently


def test_a_conflicting_field_is_applied_when_the_editor_ticks_it(client, editor, clinic):
    submission = propose(client, clinic, price_min="350")
    clinic.price_min = 380
    clinic.save()
    client.force_login(editor)

    data = form_data(client.get(apply_url(submission)), "apply_form")
    data["chosen"] = ["price_min"]
    assert client.post(apply_url(submission), data).status_code == 302

    clinic.refresh_from_db()
    assert clinic.price_min == 350


def test_a_field_changed_to_the_proposed_value_is_no_conflict(client, editor, clinic):
    submission = propose(client, clinic, price_min="350")
    clinic.price_min = 350
    clinic.save()

    client.force_login(editor)
    [(row, ticked)] = client.get(apply_url(submission)).context["rows"]

    assert (row.conflict, ticked) == (False, True)


def test_a_save_between_opening_and_applying_is_refused(client, editor, clinic):
    submission = propose(client, clinic, wait_days="3")
    client.force_login(editor)
    data = form_data(client.get(apply_url(submission)), "apply_form")
    clinic.refresh_from_db()
    clinic.name = "Austin Ketamine Clinic & Wellness"  # someone else saves meanwhile
    clinic.save()
    records = len(history(clinic))

    response = client.post(apply_url(submission), data)

    assert response.status_code == 400
    assert "Someone else saved this provider since you opened it" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.wait_days == 14
    assert len(history(clinic)) == records
    assert Submission.objects.get().status == Submission.Status.NEW


def test_a_proposal_the_listing_no_longer_accepts_is_refused_with_the_reason(
    client, editor, clinic
):
    submission = propose(client, clinic, price_max="450")
    clinic.price_min = 500  # now above the proposed highest price
    clinic.save()
    client.force_login(editor)

    response = client.post(
        apply_url(submission), form_data(client.get(apply_url(submission)), "apply_form")
    )

    assert response.status_code == 400
    assert "The highest price must be at least the lowest price." in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.price_max is None


def test_nothing_ticked_applies_nothing(client, editor, clinic):
    submission = propose(client, clinic, wait_days="3")
    client.force_login(editor)
    data = form_data(client.get(apply_url(submission)), "apply_form")
    del data["chosen"]

    response = client.post(apply_url(submission), data)

    assert response.status_code == 400
    assert "Tick at least one field to apply." in response.content.decode()
    assert Submission.objects.get().is_open


def test_a_confirmed_update_records_a_verification_when_applied(client, editor, clinic):
    submission = propose(client, clinic, wait_days="3")
    Submission.objects.filter(pk=submission.pk).update(
        confirmation=Submission.Confirmation.CONFIRMED, confirmed_at=timezone.now()
    )
    client.force_login(editor)

    data = form_data(client.get(apply_url(submission)), "apply_form")
    assert data["verify"] == "on"
    assert client.post(apply_url(submission), data).status_code == 302

    verification = Verification.objects.get()
    assert verification.method == Verification.Method.PRACTICE_UPDATE
    assert verification.submission_id == submission.pk
    assert verification.verified_by == editor
    clinic.refresh_from_db()
    assert clinic.last_verified == timezone.localdate()
    assert clinic.wait_days == 3


def test_the_change_page_shows_old_now_and_proposed_with_names(client, editor, clinic):
    submission = propose(
        client,
        clinic,
        payment_options=["self-pay", "medicare"],
        kap="partner",
        vitals_monitored="false",
    )
    client.force_login(editor)

    content = client.get(change_url(submission)).content.decode()

    assert "<td>Self-pay</td><td>Self-pay</td><td>Medicare, Self-pay</td>" in content
    assert "<td>not confirmed</td><td>not confirmed</td><td>Through a partner</td>" in content
    assert "<td>not confirmed</td><td>not confirmed</td><td>No</td>" in content
    assert f'href="{apply_url(submission)}"' in content


def test_a_closed_update_cannot_be_applied(client, editor, clinic):
    submission = propose(client, clinic, wait_days="3")
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.REJECTED)
    client.force_login(editor)

    response = client.post(apply_url(submission), {"chosen": ["wait_days"], "loaded_version": "1"})

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.wait_days == 14


def test_only_updates_have_an_apply_page(client, editor, clinic):
    report = Submission.objects.create(kind=Submission.Kind.REPORT, provider=clinic, details="x")
    client.force_login(editor)

    assert client.get(apply_url(report)).status_code == 404
    assert client.get(reverse("admin:directory_submission_apply", args=[9999])).status_code == 404


def test_applying_needs_change_permission_on_the_queue_and_the_listing(
    client, django_user_model, clinic
):
    submission = propose(client, clinic, wait_days="3")
    viewer = django_user_model.objects.create_user(
        username="vera", password="x" * 20, is_staff=True
    )
    viewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_submission", "change_submission", "view_provider"]
        )
    )
    client.force_login(viewer)

    assert client.get(apply_url(submission)).status_code == 403
    response = client.post(apply_url(submission), {"chosen": ["wait_days"], "loaded_version": "1"})
    assert response.status_code == 403
    clinic.refresh_from_db()
    assert clinic.wait_days == 14


def test_anonymous_visitors_are_sent_to_log_in(client, clinic):
    submission = propose(client, clinic, wait_days="3")

    response = client.get(apply_url(submission))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_what_a_practice_typed_is_inert_in_the_admin(client, editor, clinic, payload):
    texts = {
        "name": payload[:200],
        "price_includes": payload[:300],
        "course_notes": payload[:300],
        "medical_director_name": payload[:200],
        "sent_home": payload[:200],
    }
    submission = Submission.objects.create(
        kind=Submission.Kind.UPDATE,
        provider=clinic,
        submitter_name=payload[:200],
        submitter_role=payload[:200],
        email="dana@example.org",
        details=payload,
        changes=texts,
        original={name: current_value(clinic, name) for name in texts},
        confirmation=Submission.Confirmation.UNCONFIRMED,
    )
    client.force_login(editor)

    for url in (change_url(submission), apply_url(submission)):
        response = client.get(url)
        assert response.status_code == 200
        page = inspect(response.content.decode(), allow={"svg"})
        assert payload[:200] in "\n".join(page.text), url


def test_proposals_keep_a_listing_deleted_since_readable(client, editor, clinic):
    submission = propose(client, clinic, wait_days="3")
    Provider.objects.filter(pk=clinic.pk).delete()
    client.force_login(editor)

    assert "The listing has been deleted." in client.get(change_url(submission)).content.decode()
    assert client.get(apply_url(submission)).status_code == 302
