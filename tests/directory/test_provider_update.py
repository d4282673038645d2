"""“Is this your practice?”: the public update form, from the page to the stored proposal."""

import time

import pytest
from django.core import mail
from django.urls import reverse

from core.public_forms import HONEYPOT_FILLED, TOO_FAST, form_token
from directory.admin import fact_fieldsets
from directory.models import Condition, Provider
from directory.proposals import NOTHING_CHANGED, PROPOSAL_FIELDS
from directory.submissions import Submission
from tests import cast
from tests.cast import make_provider
from tests.update_forms import post_update, update_data, update_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return cast.austin_clinic(
        email="Front.Desk@Austin-Ketamine.example",
        price_min=400,
        payment_options=["self-pay"],
        languages=["en"],
    )


def test_the_form_shows_the_listing_as_it_is(client, clinic):
    response = client.get(update_url(clinic))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["name"].value() == "Austin Ketamine Clinic"
    assert form["phone"].value() == "(512) 555-0100"
    assert form["price_min"].value() == 400
    assert form["payment_options"].value() == ["self-pay"]
    assert form["accepting_new_patients"].value() is True
    content = response.content.decode()
    assert content.count("<h1") == 1
    assert 'value="Austin Ketamine Clinic"' in content
    assert '<option value="unknown">Not confirmed</option>' in content
    assert 'name="homepage"' in content
    assert 'name="started"' in content


def test_the_form_offers_the_listings_own_languages_and_the_common_ones(client):
    clinic = cast.austin_clinic(languages=["cy"])  # Welsh: not among the search's offers

    codes = {
        choice.data["value"]
        for choice in client.get(update_url(clinic)).context["form"]["languages"]
    }

    assert {"cy", "en", "es", "vi"} <= codes
    assert "kl" not in codes  # Kalaallisut: neither spoken here nor offered


def test_a_proposal_stores_only_what_changed_and_leaves_the_listing_alone(client, clinic):
    version = clinic.version
    depression = Condition.objects.get(slug="depression")
    data = update_data(
        client,
        clinic,
        phone="512 555 0199",
        price_min="350",
        payment_options=["self-pay", "hsa-fsa"],
        rems_certified="true",
        languages=["en", "es"],
        work_email="dana@gmail.com",
        details="We also open on Saturdays now.",
    )

    response = post_update(client, clinic, data)

    assert response.status_code == 303
    assert (
        response["Location"] == reverse("provider-update-sent", args=[clinic.slug]) + "?email=none"
    )
    submission = Submission.objects.get()
    assert submission.kind == Submission.Kind.UPDATE
    assert submission.status == Submission.Status.NEW
    assert submission.provider == clinic
    assert (submission.submitter_name, submission.submitter_role) == (
        "Dana Reyes",
        "Office manager",
    )
    assert submission.email == "dana@gmail.com"
    assert submission.details == "We also open on Saturdays now."
    # The phone as it would be saved; many-to-many as sorted keys.
    assert submission.changes == {
        "phone": "(512) 555-0199",
        "price_min": 350,
        "payment_options": ["hsa-fsa", "self-pay"],
        "rems_certified": True,
        "languages": ["en", "es"],
    }
    assert submission.original == {
        "phone": "(512) 555-0100",
        "price_min": 400,
        "payment_options": ["self-pay"],
        "rems_certified": None,
        "languages": ["en"],
    }
    assert submission.confirmation == Submission.Confirmation.UNCONFIRMED
    assert mail.outbox == []
    clinic.refresh_from_db()
    assert (clinic.version, clinic.phone, clinic.price_min) == (version, "(512) 555-0100", 400)
    assert list(clinic.conditions.order_by("slug")) == [
        depression,
        Condition.objects.get(slug="ptsd"),
    ]


def test_details_alone_are_a_proposal(client, clinic):
    data = update_data(
        client, clinic, work_email="dana@example.org", details="New site in Cedar Park"
    )

    assert post_update(client, clinic, data).status_code == 303
    assert Submission.objects.get().changes == {}


@pytest.mark.parametrize(
    ("work_email", "awaiting"),
    [
        ("front.desk@austin-ketamine.example", True),  # the address on file, another case
        ("dana@AUSTIN-KETAMINE.example", True),  # the website's domain
        ("dana@austin-ketamine.example.evil.test", False),
        ("dana@evil-austin-ketamine.example", False),
        ("dana@gmail.com", False),
        ("dana@example.org", False),
    ],
)
def test_a_work_email_of_the_practice_gets_a_confirmation_link(
    client, clinic, work_email, awaiting
):
    data = update_data(client, clinic, work_email=work_email, wait_days="3")

    response = post_update(client, clinic, data)

    submission = Submission.objects.get()
    if awaiting:
        assert submission.confirmation == Submission.Confirmation.AWAITING
        assert submission.confirmation_sent_at is not None
        [message] = mail.outbox
        assert message.to == [work_email]
        assert response["Location"].endswith("?email=sent")
    else:
        assert submission.confirmation == Submission.Confirmation.UNCONFIRMED
        assert submission.confirmation_sent_at is None
        assert mail.outbox == []
        assert response["Location"].endswith("?email=none")


def test_the_websites_www_is_not_part_of_its_domain(client):
    clinic = make_provider(
        name="Austin Ketamine", website="https://WWW.Austin-Ketamine.example/about"
    )

    post_update(
        client,
        clinic,
        update_data(client, clinic, work_email="dana@austin-ketamine.example", wait_days="3"),
    )

    assert Submission.objects.get().confirmation == Submission.Confirmation.AWAITING


def test_the_email_on_files_domain_counts_unless_anyone_can_have_an_address_there(client):
    by_domain = make_provider(name="Austin KC", email="info@austinkc.example")
    free_mail = cast.round_rock_clinic(email="roundrockinfusion@gmail.com")

    post_update(
        client,
        by_domain,
        update_data(client, by_domain, work_email="dr@austinkc.example", wait_days="3"),
    )
    post_update(
        client,
        free_mail,
        update_data(client, free_mail, work_email="someone@gmail.com", wait_days="3"),
    )
    post_update(
        client,
        free_mail,
        update_data(client, free_mail, work_email="RoundRockInfusion@gmail.com", wait_days="4"),
    )

    assert [s.confirmation for s in Submission.objects.order_by("pk")] == [
        Submission.Confirmation.AWAITING,
        Submission.Confirmation.UNCONFIRMED,
        Submission.Confirmation.AWAITING,
    ]


def test_bad_input_comes_back_with_each_error_by_its_field_and_nothing_lost(client, clinic):
    data = update_data(
        client,
        clinic,
        name="",
        npi="1234567890",
        price_min="500",
        price_max="300",
        payment_declined=["self-pay"],
        phone="555",
        website="javascript:alert(1)",
        wait_days="-1",
        work_email="not an address",
        your_role="",
        details="x" * 2001,
        course_notes="Six sessions over three weeks",
    )

    response = post_update(client, clinic, data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {
        "name",
        "npi",
        "price_max",
        "payment_declined",
        "phone",
        "website",
        "wait_days",
        "work_email",
        "your_role",
        "details",
    }
    assert "check digit" in errors["npi"][0]
    assert "at least the lowest price" in errors["price_max"][0]
    assert "Self-pay cannot be both accepted and not accepted" in errors["payment_declined"][0]
    content = response.content.decode()
    # Each message next to its field, the field pointing at it; what was typed kept.
    assert '<p class="field__error" id="id_npi_error">' in content
    assert 'aria-describedby="id_name_error"' in content
    assert 'aria-describedby="id_npi_error id_npi_helptext"' in content
    assert 'aria-describedby="id_phone_error id_phone_helptext"' in content
    assert 'id="id_payment_declined" aria-describedby="id_payment_declined_error"' in content
    assert 'value="1234567890"' in content
    assert 'value="Six sessions over three weeks"' in content
    assert 'value="not an address"' in content
    assert "x" * 2001 in content
    assert content.count("<h1") == 1
    assert Submission.objects.count() == 0


def test_a_work_email_longer_than_the_column_is_refused_not_a_server_error(client, clinic):
    data = update_data(client, clinic, work_email="d" * 60 + "@" + "a" * 60 + ".example" * 20)

    response = post_update(client, clinic, data)

    assert response.status_code == 400
    assert "work_email" in response.context["form"].errors


def test_a_form_with_nothing_changed_and_nothing_said_is_sent_back(client, clinic):
    response = post_update(
        client, clinic, update_data(client, clinic, work_email="dana@example.org")
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [NOTHING_CHANGED]
    assert NOTHING_CHANGED in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_filled_honeypot_is_refused_with_the_data_kept(client, clinic):
    data = update_data(
        client, clinic, homepage="https://spam.example", work_email="a@b.example", wait_days="2"
    )

    response = post_update(client, clinic, data)

    assert response.status_code == 400
    assert HONEYPOT_FILLED in response.content.decode()
    assert 'value="a@b.example"' in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_form_sent_faster_than_a_person_types_is_refused(client, clinic):
    data = update_data(client, clinic, work_email="a@b.example", wait_days="2")
    data["started"] = form_token("update", issued_at=time.time() - 1)

    response = post_update(client, clinic, data)

    assert response.status_code == 400
    assert TOO_FAST in response.content.decode()
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}],
)
def test_a_post_from_another_site_is_refused(client, clinic, headers):
    data = update_data(client, clinic, work_email="a@b.example", wait_days="2")

    response = post_update(client, clinic, data, **headers)

    assert response.status_code == 403
    assert "This form can only be sent from ketanet’s own pages." in response.content.decode()
    assert Submission.objects.count() == 0


def test_the_sixth_post_in_an_hour_from_one_address_is_refused_with_the_form_kept(client, clinic):
    for days in range(1, 6):
        data = update_data(client, clinic, work_email="a@b.example", wait_days=str(days))
        assert post_update(client, clinic, data, REMOTE_ADDR="198.51.100.7").status_code == 303

    data = update_data(client, clinic, work_email="a@b.example", wait_days="9")
    response = post_update(client, clinic, data, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    content = response.content.decode()
    assert "you have sent this form several times in the last hour" in content
    assert 'value="9"' in content
    assert Submission.objects.count() == 5
    # Another address is not held back.
    assert post_update(client, clinic, data, REMOTE_ADDR="203.0.113.20").status_code == 303


def test_drafts_and_unknown_listings_have_no_update_form(client):
    draft = cast.draft_provider()

    assert client.get(update_url(draft)).status_code == 404
    assert client.post(update_url(draft), {}).status_code == 404
    assert client.get(reverse("provider-update-sent", args=[draft.slug])).status_code == 404
    assert client.get("/providers/no-such-clinic/update/").status_code == 404


def test_only_get_and_post(client, clinic):
    assert client.put(update_url(clinic)).status_code == 405
    assert client.post(reverse("provider-update-sent", args=[clinic.slug])).status_code == 405


def test_no_cookies_are_set(client, clinic):
    form_page = client.get(update_url(clinic))
    bad_post = post_update(client, clinic, {"name": ""})
    good_post = post_update(
        client, clinic, update_data(client, clinic, work_email="a@b.example", wait_days="2")
    )
    thanks = client.get(good_post["Location"])

    for response in (form_page, bad_post, good_post, thanks):
        assert response.cookies == {}
    assert client.cookies == {}


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("sent", "We sent an email to your work address"),
        ("failed", "we could not send the confirmation email just now"),
        ("none", "An editor will check it"),
        ("<script>", "An editor will check it"),
    ],
)
def test_the_thank_you_page_says_what_became_of_the_confirmation(client, clinic, email, says):
    response = client.get(reverse("provider-update-sent", args=[clinic.slug]), {"email": email})

    assert response.status_code == 200
    content = response.content.decode()
    assert says in content
    assert content.count("<h1") == 1
    assert "front.desk" not in content.lower()  # the address on file stays private


def test_every_listing_fact_an_editor_edits_can_be_proposed():
    editors_facts = {
        name
        for _, options in fact_fieldsets()
        for row in options["fields"]
        for name in (row if isinstance(row, tuple) else (row,))
        if not name.endswith("_confirmed")
    }
    editors_only = {"description", "status", "slug", "last_verified", "external_id"}

    assert editors_facts <= set(PROPOSAL_FIELDS)
    assert not editors_only & set(PROPOSAL_FIELDS)
    assert {f.name for f in Provider._meta.get_fields()} >= set(PROPOSAL_FIELDS)


def test_the_form_page_reads_the_same_queries_however_many_facts(
    client, django_assert_max_num_queries
):
    # One for the listing, one per list's choices, one per list's current value.
    few = make_provider(name="Few Facts")
    many = make_provider(
        name="Many Facts",
        conditions=["depression", "ptsd", "anxiety"],
        serves_states=["OH", "PA", "WV", "KY", "IN", "MI"],
        languages=["en", "es", "de", "fr", "cy"],
        payment_options=["self-pay", "medicare", "hsa-fsa"],
        prescriber_types=["psychiatrist", "crna"],
    )

    for provider in (few, many):
        with django_assert_max_num_queries(16):
            assert client.get(update_url(provider)).status_code == 200
