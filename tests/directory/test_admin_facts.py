"""The editors' admin for listing facts: fact groups, payment, hours, filters, completeness."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.facts import FACT_GROUPS
from directory.models import Location, PaymentOption
from tests import cast
from tests.admin_forms import form_data as admin_form_data
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:directory_provider_changelist"
DAY = date(2026, 9, 1)


def change_url(provider):
    return reverse("admin:directory_provider_change", args=[provider.pk])


def form_data(client, provider):
    return admin_form_data(client.get(change_url(provider)), "provider_form")


def rows(client, **params):
    """(name, "Facts confirmed" cell) per changelist row, in the page's order."""
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    admin = response.context["cl"].model_admin
    return [(p.name, admin.completeness(p)) for p in response.context["cl"].result_list]


def names(client, **params):
    return {name for name, _ in rows(client, **params)}


def confirm(provider, *groups):
    for group in groups:
        setattr(provider, f"{group}_confirmed", DAY)
    provider.save()
    return provider


def filter_choices(client, title):
    """The choices the changelist's filter `title` offers, after "All"."""
    changelist = client.get(reverse(CHANGELIST)).context["cl"]
    [spec] = [spec for spec in changelist.filter_specs if spec.title == title]
    return [choice["display"] for choice in spec.choices(changelist)][1:]


def field_errors(response, field):
    return response.context["adminform"].form.errors.get(field, [])


def location_errors(response, field):
    # The change view also has the verifications inline.
    [formset] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Location
    ]
    return formset.formset.forms[0].errors.get(field, [])


def offer(provider, accepted=(), declined=(), languages=()):
    provider.payment_options.set(accepted)
    provider.payment_declined.set(declined)
    provider.languages.set(languages)
    return provider


# --- The change page ------------------------------------------------------------------


def test_change_page_has_one_fieldset_per_fact_group_each_with_its_confirmed_date(editor_client):
    response = editor_client.get(change_url(cast.austin_clinic()))
    fieldsets = [(fs.name, fs.fields) for fs in response.context["adminform"]]
    titles = [name for name, _ in fieldsets]
    assert titles[:3] == [None, "Contact", "Conditions treated"]
    assert titles[3:-1] == [group.title for group in FACT_GROUPS]
    for group, (_, fields) in zip(FACT_GROUPS, fieldsets[3:-1], strict=True):
        assert fields[0] == f"{group.key}_confirmed"
    # Every editable fact is somewhere on the page.
    form = response.context["adminform"].form
    for name in ["price_includes", "npi", "kap", "sent_home", "wait_days", "payment_declined"]:
        assert name in form.fields


def test_change_page_shows_when_a_group_was_confirmed(editor_client):
    provider = confirm(cast.austin_clinic(), "cost")
    data = form_data(editor_client, provider)
    assert data["cost_confirmed"] == "2026-09-01"
    assert data["payment_confirmed"] == ""


def test_editor_saves_facts_and_they_round_trip_through_the_form(editor_client):
    provider = cast.austin_clinic()
    data = form_data(editor_client, provider)
    data.update(
        price_min="400",
        price_max="700",
        payment_options=["self-pay", "hsa-fsa"],
        payment_declined=["medicare"],
        prescriber_types=["anesthesiologist", "crna"],
        languages=["en", "es"],
        kap="partner",
        vitals_monitored="true",
        ride_home_required="false",
        npi="1234567893",
        payment_confirmed="2026-09-01",
    )
    response = editor_client.post(change_url(provider), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    provider.refresh_from_db()
    assert {o.slug for o in provider.payment_options.all()} == {"self-pay", "hsa-fsa"}
    assert [o.slug for o in provider.payment_declined.all()] == ["medicare"]
    assert {p.slug for p in provider.prescriber_types.all()} == {"anesthesiologist", "crna"}
    assert {lang.slug for lang in provider.languages.all()} == {"en", "es"}
    assert (provider.vitals_monitored, provider.ride_home_required) == (True, False)
    assert provider.consultation_required is None  # left unknown, not "no"
    assert provider.payment_confirmed == DAY
    # Saved again unchanged, the page keeps every fact.
    again = form_data(editor_client, provider)
    assert sorted(again["payment_options"]) == ["hsa-fsa", "self-pay"]
    assert again["payment_declined"] == ["medicare"]
    assert sorted(again["languages"]) == ["en", "es"]
    assert editor_client.post(change_url(provider), again).status_code == 302
    provider.refresh_from_db()
    assert provider.payment_options.count() == 2
    assert provider.kap == "partner"


def test_an_option_both_accepted_and_declined_is_refused_on_the_field(editor_client):
    provider = cast.austin_clinic()
    data = form_data(editor_client, provider)
    data.update(
        payment_options=["medicare", "self-pay", "tricare"],
        payment_declined=["medicare", "tricare", "medicaid"],
    )
    response = editor_client.post(change_url(provider), data)
    assert response.status_code == 200
    [error] = field_errors(response, "payment_declined")
    assert error.startswith("Medicare, TRICARE cannot be both accepted and not accepted")
    assert not provider.payment_options.exists()
    assert not provider.payment_declined.exists()


def test_a_bad_npi_is_refused_on_the_field(editor_client):
    provider = cast.austin_clinic()
    data = form_data(editor_client, provider)
    data["npi"] = "1234567890"
    response = editor_client.post(change_url(provider), data)
    assert response.status_code == 200
    assert "check digit" in field_errors(response, "npi")[0]


# --- Opening hours on a site ---------------------------------------------------------------


def post_hours(client, provider, text, **location):
    data = form_data(client, provider)
    data["locations-0-opening_hours"] = text
    data.update({f"locations-0-{key}": value for key, value in location.items()})
    return client.post(change_url(provider), data)


def test_hours_are_typed_as_one_line_and_stored_as_a_list(editor_client):
    provider = cast.austin_clinic()
    response = post_hours(
        editor_client,
        provider,
        "sat 09:00-12:00;  Mon-Fri 8:00-17:00",
        hours="Closed on federal holidays.",
        wheelchair_accessible="true",
        private_room="false",
    )
    assert response.status_code == 302
    location = provider.locations.get()
    assert location.opening_hours[0] == {"day": 0, "opens": "08:00", "closes": "17:00"}
    assert location.opening_hours[-1] == {"day": 5, "opens": "09:00", "closes": "12:00"}
    assert len(location.opening_hours) == 6
    assert location.hours == "Closed on federal holidays."
    assert (location.wheelchair_accessible, location.private_room) == (True, False)
    # The page shows the stored hours in the same format, and saving them again changes nothing.
    data = form_data(editor_client, provider)
    assert data["locations-0-opening_hours"] == "Mon-Fri 08:00-17:00; Sat 09:00-12:00"
    assert editor_client.post(change_url(provider), data).status_code == 302
    location.refresh_from_db()
    assert len(location.opening_hours) == 6


def test_hours_help_text_shows_the_format(editor_client):
    html = editor_client.get(change_url(cast.austin_clinic())).content.decode()
    assert "Mon-Fri 08:00-17:00; Sat 09:00-12:00, 13:00-15:00" in html
    assert "note on hours" in html.lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri 17:00-08:00", "closes before it opens"),
        ("Fri-Mon 08:00-17:00", "runs backwards"),
        ("Mon-Fri 08:00-12:00, 11:00-17:00", "two ranges overlap"),
        ("Funday 08:00-17:00", "is not a day"),
        ("weekdays", "should be days then times"),
    ],
)
def test_bad_hours_reshow_the_form_with_the_reason(editor_client, text, message):
    provider = cast.austin_clinic()
    response = post_hours(editor_client, provider, text)
    assert response.status_code == 200
    [error] = location_errors(response, "opening_hours")
    assert message in error
    # The editor's own text comes back, to correct rather than retype.
    data = admin_form_data(response, "provider_form")
    assert data["locations-0-opening_hours"] == text
    assert provider.locations.get().opening_hours == []


def test_bad_hours_are_shown_as_inert_text(editor_client):
    provider = cast.austin_clinic()
    response = post_hours(editor_client, provider, "<script>alert(1)</script> 08:00-09:00")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_empty_hours_mean_not_confirmed_and_an_empty_site_form_is_not_a_site(editor_client):
    provider = cast.austin_clinic()
    assert post_hours(editor_client, provider, "").status_code == 302
    assert provider.locations.get().opening_hours == []
    # The add page's blank site form, left blank: an at-home service with no site.
    data = admin_form_data(
        editor_client.get(reverse("admin:directory_provider_add")), "provider_form"
    )
    data.update(name="Prairie at Home", slug="prairie-at-home", serves_states=["KS"])
    response = editor_client.post(reverse("admin:directory_provider_add"), data)
    assert response.status_code == 302
    assert not Location.objects.filter(provider__slug="prairie-at-home").exists()


# --- The changelist: completeness, payment and language filters -------------------------------


def test_facts_confirmed_counts_only_the_groups_that_apply(editor_client):
    confirm(cast.austin_clinic(), "cost", "payment", "access")
    # A clinic has no at-home care to confirm: a stray date there does not count.
    confirm(cast.round_rock_clinic(), "telehealth")
    confirm(cast.at_home_service(), "cost", "telehealth")
    confirm(cast.draft_provider(), *(group.key for group in FACT_GROUPS))
    assert sorted(rows(editor_client)) == [
        ("Austin Ketamine Clinic", "3 of 9"),
        ("Lone Star Ketamine at Home", "2 of 10"),
        ("Round Rock Infusion Center", "0 of 9"),
        ("Unfinished Clinic", "9 of 9"),
    ]
    # The same figures as the model's own fact_groups() gives.
    admin_queryset = editor_client.get(reverse(CHANGELIST)).context["cl"].result_list
    for provider in admin_queryset:
        groups = provider.fact_groups(provider.serves_states.exists())
        assert provider.facts_applicable == len(groups)
        assert provider.facts_confirmed == sum(bool(provider.confirmed_on(g)) for g in groups)


def test_completeness_filter_has_all_some_and_none(editor_client):
    confirm(cast.austin_clinic(), "cost")
    cast.round_rock_clinic()
    at_home = cast.at_home_service()
    confirm(at_home, *(group.key for group in FACT_GROUPS if group.key != "telehealth"))
    confirm(cast.draft_provider(), *(group.key for group in FACT_GROUPS))
    assert names(editor_client, facts="all") == {"Unfinished Clinic"}
    assert names(editor_client, facts="some") == {
        "Austin Ketamine Clinic",
        "Lone Star Ketamine at Home",  # 9 of 10: at-home care still to ask about
    }
    assert names(editor_client, facts="none") == {"Round Rock Infusion Center"}
    assert len(names(editor_client, facts="bogus")) == 4


def test_changelist_sorts_by_facts_confirmed(editor_client):
    confirm(cast.austin_clinic(), "cost", "payment")
    cast.round_rock_clinic()
    confirm(cast.draft_provider(), "cost", "payment", "intake", "access")
    response = editor_client.get(reverse(CHANGELIST))
    headers = list(response.context["result_headers"])
    [index] = [i for i, h in enumerate(headers) if h["text"] == "Facts confirmed"]
    assert headers[index]["sortable"]
    ascending = [n for n, _ in rows(editor_client, o=str(index))]
    assert ascending == [
        "Round Rock Infusion Center",
        "Austin Ketamine Clinic",
        "Unfinished Clinic",
    ]
    descending = [n for n, _ in rows(editor_client, o=f"-{index}")]
    assert descending == list(reversed(ascending))


def test_payment_filter_lists_who_accepts_an_option_not_who_declines_it(editor_client):
    offer(cast.austin_clinic(), accepted=["medicare", "self-pay"])
    offer(cast.round_rock_clinic(), accepted=["self-pay"], declined=["medicare"])
    cast.at_home_service()  # payment not confirmed
    offered = filter_choices(editor_client, "payment accepted")
    assert offered == list(PaymentOption.objects.values_list("name", flat=True))
    assert names(editor_client, payment="medicare") == {"Austin Ketamine Clinic"}
    assert names(editor_client, payment="self-pay") == {
        "Austin Ketamine Clinic",
        "Round Rock Infusion Center",
    }
    assert names(editor_client, payment="tricare") == set()
    assert names(editor_client, payment="no-such-option") == set()


def test_language_filter_offers_the_languages_spoken_and_finds_their_speakers(editor_client):
    offer(cast.austin_clinic(), languages=["en", "es"])
    offer(cast.round_rock_clinic(), languages=["en", "vi"])
    cast.at_home_service()
    offered = filter_choices(editor_client, "languages spoken")
    assert offered == ["English", "Spanish", "Vietnamese"]  # not all 184
    assert names(editor_client, language="es") == {"Austin Ketamine Clinic"}
    assert names(editor_client, language="en") == {
        "Austin Ketamine Clinic",
        "Round Rock Infusion Center",
    }
    assert names(editor_client, language="en", payment="self-pay") == set()


def test_changelist_query_count_is_the_same_for_a_few_rows_and_a_full_page(
    editor_client, django_assert_num_queries
):
    def add(start, stop):
        for n in range(start, stop):
            provider = make_provider(
                name=f"Clinic {n:02}",
                serves_states=["TX"] if n % 2 else [],
                locations=[
                    {"address1": "1 Main St", "city": "Austin", "state_id": "TX", "zip": "78701"}
                ],
            )
            offer(provider, accepted=["self-pay"], declined=["medicare"], languages=["en", "es"])
            confirm(provider, "cost", "telehealth")

    params = {"facts": "some", "payment": "self-pay", "language": "es", "o": "5"}
    add(0, 3)
    editor_client.get(reverse(CHANGELIST), params)  # warm per-process caches
    with CaptureQueriesContext(connection) as few:
        assert len(rows(editor_client, **params)) == 3
    add(3, 60)  # more than a page (50)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(rows(editor_client, **params)) == 50


def test_facts_typed_by_editors_are_shown_as_inert_text(editor_client):
    payload = "<script>alert(1)</script>"
    provider = cast.austin_clinic(price_includes=payload, course_notes=payload)
    Location.objects.filter(provider=provider).update(hours=payload)
    html = editor_client.get(change_url(provider)).content.decode()
    assert payload not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


# --- The fixed lists --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "term", "found"),
    [
        ("language", "span", "Spanish"),
        ("paymentoption", "medic", "Medicare"),
        ("prescribertype", "crna", "Nurse anesthetist (CRNA)"),
    ],
)
def test_editors_can_search_the_fixed_lists_but_not_change_them(editor_client, model, term, found):
    changelist = reverse(f"admin:directory_{model}_changelist")
    response = editor_client.get(changelist, {"q": term})
    assert response.status_code == 200
    assert found in [str(row) for row in response.context["cl"].result_list]
    assert editor_client.get(reverse(f"admin:directory_{model}_add")).status_code == 403
    some = response.context["cl"].result_list[0]
    change = reverse(f"admin:directory_{model}_change", args=[some.pk])
    assert editor_client.post(change, {"name": "Changed"}).status_code == 403
    delete = reverse(f"admin:directory_{model}_delete", args=[some.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert str(type(some).objects.get(pk=some.pk)) == str(some)
