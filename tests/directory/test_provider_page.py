"""/providers/<slug>/: everything about one provider as a fact sheet; drafts only for editors."""

import json
import re
from datetime import date
from html import unescape

import pytest
from django.utils.translation import override

from directory.compare import picked_candidates
from directory.facts import DAYS, FACT_GROUPS, PAYMENT_OPTIONS
from directory.factsheet import UNKNOWN, Fact, hours_lines
from directory.models import Language, Location, PaymentOption, PrescriberType, Provider
from directory.templatetags.directory_tags import fact_items
from tests.cast import (
    at_home_service,
    austin_clinic,
    draft_provider,
    make_provider,
    round_rock_clinic,
)

pytestmark = pytest.mark.django_db

# Each group confirmed on its own day of September 2026, in FACT_GROUPS order.
CONFIRMED = {
    f"{group.key}_confirmed": date(2026, 9, index + 1) for index, group in enumerate(FACT_GROUPS)
}
FDA_PAGE = (
    "https://www.fda.gov/drugs/human-drug-compounding/fda-warns-patients-and-health-care-providers"
    "-about-potential-risks-associated-compounded-ketamine-products-including-oral"
)
HHS_TELEHEALTH = (
    "https://telehealth.hhs.gov/providers/telehealth-policy/"
    "prescribing-controlled-substances-via-telehealth"
)
REMS_SITE = "https://www.spravatorems.com/"


def fully_confirmed_clinic(**fields):
    """A clinic and at-home service in Houston with every fact confirmed (none unknown)."""
    provider = make_provider(
        name="Bayou Ketamine Center",
        external_id="bayou-1",
        phone="(713) 555-0100",
        conditions=["depression"],
        treatments=["iv-infusion", "esketamine-nasal-spray"],
        serves_states=["TX"],
        accepting_new_patients=True,
        price_min=400,
        price_max=1200,
        consultation_fee=150,
        course_price=2400,
        price_includes="Monitoring and a follow-up call",
        cancellation_terms="Full refund with 48 hours' notice",
        rems_certified=True,
        board_certified=False,
        npi="1234567893",
        medical_director_name="Dana Ruiz",
        medical_director_credential="MD",
        vitals_monitored=True,
        present_throughout=Provider.Presence.PHYSICIAN,
        observation_minutes=120,
        ride_home_required=True,
        consultation_required=True,
        referral_required=False,
        existing_patients_only=False,
        consultation_fee_refunded=True,
        kap=Provider.Kap.PARTNER,
        course_sessions=6,
        course_weeks=3,
        course_notes="Maintenance sessions monthly",
        in_person_evaluation=True,
        compounded=False,
        sent_home="A blood-pressure cuff",
        wait_days=7,
        **CONFIRMED,
        locations=[
            {
                "address1": "10 Main St",
                "city": "Houston",
                "state_id": "TX",
                "zip": "77002",
                "latitude": 29.7604,
                "longitude": -95.3698,
                "opening_hours": [
                    *({"day": day, "opens": "08:00", "closes": "17:00"} for day in range(5)),
                    {"day": 5, "opens": "09:00", "closes": "12:00"},
                ],
                "hours": "Closed on federal holidays",
                "wheelchair_accessible": True,
                "private_room": False,
            }
        ],
        **fields,
    )
    provider.payment_options.set(PaymentOption.objects.filter(slug__in=["self-pay", "hsa-fsa"]))
    provider.payment_declined.set(PaymentOption.objects.filter(slug__in=["medicare", "medicaid"]))
    provider.prescriber_types.set(PrescriberType.objects.filter(slug__in=["psychiatrist", "crna"]))
    provider.languages.set(Language.objects.filter(slug__in=["en", "es"]))
    return provider


def nothing_confirmed_clinic():
    """A published clinic that serves patients at home too, with no fact confirmed."""
    return make_provider(
        name="Unknown Quantity Clinic",
        serves_states=["TX"],
        locations=[{"address1": "1 Elm St", "city": "Dallas", "state_id": "TX", "zip": "75201"}],
    )


def page_text(html):
    """The page's visible text in <main>, tags dropped, whitespace squeezed."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def groups_of(html):
    """{group title: the text of its section} for each fact group on the page."""
    sections = re.findall(r'<section class="factgroup"[^>]*>(.*?)</section>', html, re.S)
    found = {}
    for section in sections:
        title = re.search(r"<h2>(.*?)</h2>", section).group(1)
        found[unescape(title)] = section
    return found


def facts_of(section):
    """{label: value} of a section's first <dl>."""
    dl = re.search(r"<dl[^>]*>(.*?)</dl>", section, re.S).group(1)
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", dl, re.S)
    return {unescape(label): unescape(value) for label, value in pairs}


def test_fact_items_mark_unknown_facts_and_the_listings_english_and_escape_text():
    facts = [
        Fact("price", "Price <b>", "$400 & up"),
        Fact("hours", "Hours", None),
        Fact("note", "Note", "Bring <ID>", as_written=True),
    ]
    with override("es"):
        unknown = str(UNKNOWN)
        html = fact_items(facts)
    assert unknown != "Not confirmed yet"
    assert html == (
        "<dt>Price &lt;b&gt;</dt><dd>$400 &amp; up</dd>\n"
        f'<dt>Hours</dt><dd class="unknown">{unknown}</dd>\n'
        '<dt>Note</dt><dd lang="en">Bring &lt;ID&gt;</dd>'
    )
    # On the English page the listing's words need no mark.
    assert "<dd>Bring &lt;ID&gt;</dd>" in fact_items(facts)


def test_profile_shows_address_phone_website_and_directions(client):
    provider = austin_clinic()
    response = client.get(provider.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Austin Ketamine Clinic</h1>" in html
    assert "100 Congress Ave" in html
    assert "Austin, TX 78701" in html
    assert 'href="tel:+1-512-555-0100"' in html
    assert 'href="https://austin-ketamine.example"' in html
    assert "https://www.openstreetmap.org/directions?route=%3B30.26720%2C-97.74310" in html
    assert "Accepting new patients" in html
    assert "October 1, 2026" in html
    assert "noindex" not in html


def test_a_profile_with_nothing_confirmed_says_so_in_every_group(client):
    html = client.get(nothing_confirmed_clinic().get_absolute_url()).content.decode()
    groups = groups_of(html)

    assert list(groups) == [group.title for group in FACT_GROUPS]
    for title, section in groups.items():
        facts = facts_of(section)
        assert facts, title
        assert set(facts.values()) == {UNKNOWN} or title == "Treatment at home", (title, facts)
        assert "Confirmed with the provider" not in section, title
    # The states served are known (that is what makes it an at-home service); the rest is not.
    at_home = facts_of(groups["Treatment at home"])
    assert at_home.pop("States") == "Texas"
    assert set(at_home.values()) == {UNKNOWN}
    assert facts_of(groups["Payment"]) == {"Ways to pay": UNKNOWN}
    location = html.split('<li class="card location">', 1)[1]
    assert facts_of(location) == {
        "Opening hours": UNKNOWN,
        "Wheelchair access": UNKNOWN,
        "Private treatment room": UNKNOWN,
    }
    # Unknown is never shown as a "No".
    assert not re.search(r">\s*No\s*<", html)
    assert "Not accepted" not in page_text(html)


def test_a_fully_confirmed_profile_shows_every_fact_and_when_it_was_confirmed(client):
    html = client.get(fully_confirmed_clinic().get_absolute_url()).content.decode()
    groups = groups_of(html)

    assert list(groups) == [group.title for group in FACT_GROUPS]
    for index, (title, section) in enumerate(groups.items()):
        assert f"September {index + 1}, 2026" in section, title
        assert f'datetime="2026-09-{index + 1:02d}"' in section, title
        assert UNKNOWN not in facts_of(section).values() or title == "Payment", title
    assert facts_of(groups["Cost"]) == {
        "Price per session": "$400–$1,200",
        "Consultation fee": "$150",
        "Price of a typical course": "$2,400",
        "What the price includes": "Monitoring and a follow-up call",
        "Cancellation and refunds": "Full refund with 48 hours' notice",
    }
    assert facts_of(groups["Payment"]) == {
        "Accepted": "Self-pay, HSA or FSA",
        "Not accepted": "Medicare, Medicaid",
        UNKNOWN: "Commercial insurance, TRICARE, VA Community Care, "
        "Superbill for out-of-network claims, Financing, Spravato savings program",
    }
    assert facts_of(groups["Treatments offered"]) == {
        "Treatments offered": "Esketamine nasal spray (Spravato), IV infusion",
        "Certified to give Spravato (REMS)": "Certified",
    }
    assert facts_of(groups["Who prescribes and supervises"]) == {
        "Who prescribes": "Psychiatrist, Nurse anesthetist (CRNA)",
        "Prescribers board-certified": "No",
        "Medical director": "Dana Ruiz, MD",
        "National Provider Identifier (NPI)": "1234567893",
    }
    assert facts_of(groups["Safety and monitoring"]) == {
        "Vital signs monitored": "Yes",
        "Who is present throughout": "A physician",
        "Observation after a dose": "120 minutes (2 hours)",
        "Ride home required": "Yes",
    }
    assert facts_of(groups["Intake"]) == {
        "Consultation required first": "Yes",
        "Consultation fee refunded if not a candidate": "Yes",
        "Referral or records required": "No",
        "Existing patients only": "No",
    }
    assert facts_of(groups["Psychotherapy"]) == {
        "Ketamine-assisted psychotherapy": "Through a partner"
    }
    assert facts_of(groups["Typical course"]) == {
        "Sessions in a course": "6 sessions",
        "Length of a course": "3 weeks",
        "About the course": "Maintenance sessions monthly",
    }
    assert facts_of(groups["Treatment at home"]) == {
        "States": "Texas",
        "In-person evaluation first": "Yes",
        "Compounded ketamine": "No",
        "What is sent home": "A blood-pressure cuff",
    }
    assert facts_of(groups["Access"]) == {
        "Accepting new patients": "Yes",
        "Wait for a first appointment": "7 days",
        "Languages spoken": "English, Spanish",
    }


def test_each_location_shows_its_hours_by_day_and_its_access(client):
    html = client.get(fully_confirmed_clinic().get_absolute_url()).content.decode()
    location = html.split('<li class="card location">', 1)[1].split("</li>", 1)[0]
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', location)
    assert rows == [
        ("Monday to Friday", "8:00 AM to 5:00 PM"),
        ("Saturday", "9:00 AM to noon"),
        ("Sunday", "Closed"),
    ]
    assert "<caption>Opening hours" in location
    assert facts_of(location) == {
        "About the hours": "Closed on federal holidays",
        "Wheelchair access": "Yes",
        "Private treatment room": "No",
    }


def test_hours_lines_group_days_and_name_midnight():
    lines = hours_lines(
        [
            {"day": 5, "opens": "00:00", "closes": "24:00"},
            {"day": 6, "opens": "00:00", "closes": "24:00"},
            {"day": 0, "opens": "08:00", "closes": "12:00"},
            {"day": 0, "opens": "13:30", "closes": "18:00"},
        ]
    )
    assert [(line.days, line.times) for line in lines] == [
        ("Monday", "8:00 AM to noon, 1:30 PM to 6:00 PM"),
        ("Tuesday to Friday", "Closed"),
        ("Saturday and Sunday", "midnight to midnight"),
    ]
    assert [line.short_days for line in lines] == ["Mon", "Tue–Fri", "Sat–Sun"]
    assert hours_lines([]) == ()


def test_payment_lists_what_is_accepted_and_declined_and_the_rest_as_unconfirmed(client):
    provider = austin_clinic()
    provider.payment_options.set(PaymentOption.objects.filter(slug="self-pay"))
    html = client.get(provider.get_absolute_url()).content.decode()
    payment = facts_of(groups_of(html)["Payment"])
    assert payment["Accepted"] == "Self-pay"
    assert "Not accepted" not in payment
    assert payment[UNKNOWN].split(", ") == [
        name for slug, name in PAYMENT_OPTIONS.items() if slug != "self-pay"
    ]


def test_at_home_profile_has_the_telehealth_group_and_its_safety_notes(client):
    html = client.get(at_home_service().get_absolute_url()).content.decode()
    groups = groups_of(html)
    at_home = groups["Treatment at home"]
    assert facts_of(at_home)["States"] == "Ohio, Texas"
    assert "In October 2023 the U.S. Food and Drug Administration" in at_home
    assert f'href="{FDA_PAGE}"' in at_home
    assert "December 31, 2026" in at_home
    assert f'href="{HHS_TELEHEALTH}"' in at_home
    assert '<time datetime="2026-12-01">December 1, 2026</time>' in at_home
    assert REMS_SITE not in html  # it offers no Spravato
    assert "A listing is not an endorsement." in html


def test_clinic_profile_has_no_telehealth_group_or_at_home_notes(client):
    html = client.get(austin_clinic().get_absolute_url()).content.decode()
    assert "Treatment at home" not in groups_of(html)
    assert FDA_PAGE not in html
    assert HHS_TELEHEALTH not in html
    assert REMS_SITE not in html
    assert "A listing is not an endorsement." in html


def test_spravato_profile_says_what_rems_means_for_the_patient(client):
    html = client.get(fully_confirmed_clinic().get_absolute_url()).content.decode()
    treatments = groups_of(html)["Treatments offered"]
    assert "at least two hours" in treatments
    assert "plan a ride home" in treatments
    assert f'href="{REMS_SITE}"' in treatments
    assert "accessdata.fda.gov" in treatments
    assert REMS_SITE not in groups_of(html)["Treatment at home"]


def test_profile_offers_nearby_clinics_to_compare_without_javascript(client):
    austin, round_rock = austin_clinic(), round_rock_clinic()
    draft_provider()  # drafts are never offered
    at_home_service()  # no site: not near anything
    html = client.get(austin.get_absolute_url()).content.decode()
    form = re.search(r'<form method="get" action="/compare/".*?</form>', html, re.S).group(0)
    assert f'<input type="hidden" name="p" value="{austin.slug}">' in form
    assert re.findall(r'type="checkbox" name="p" value="([^"]+)"', form) == [round_rock.slug]
    assert "Round Rock Infusion Center" in form
    assert "17 mi away" in form
    assert '<button class="button" type="submit">Compare</button>' in form
    assert "<script" not in form


def test_a_picked_clinic_is_offered_with_its_survey_distance_unless_closed_since(client):
    # The survey's picks are read by id (compare.picked_candidates), with the miles the
    # survey measured to each one's nearest site.
    austin, round_rock = austin_clinic(), round_rock_clinic()
    site = austin.locations.get()
    point = (site.latitude, site.longitude)
    survey = (
        Location.objects.searchable()
        .exclude(provider=austin)
        .within(point, 100)
        .survey(point, 5, read=100, after=0)
    )
    assert [pk for pk, _ in survey.picked] == [round_rock.pk]
    [candidate] = picked_candidates(survey.picked)
    assert (candidate.provider, candidate.distance) == (round_rock, survey.picked[0][1])
    assert candidate.provider.get_deferred_fields() >= {"description", "phone"}
    round_rock.status = Provider.Status.CLOSED
    round_rock.save()
    assert picked_candidates(survey.picked) == []
    assert picked_candidates(()) == []


def test_profile_without_coordinates_offers_clinics_in_its_state(client):
    austin = austin_clinic()
    unplaced = make_provider(
        name="Unplaced Clinic",
        locations=[{"address1": "9 Oak St", "city": "Waco", "state_id": "TX", "zip": "76701"}],
    )
    html = client.get(unplaced.get_absolute_url()).content.decode()
    assert re.findall(r'type="checkbox" name="p" value="([^"]+)"', html) == [austin.slug]


def test_at_home_profile_offers_other_services_in_its_state(client):
    home = at_home_service()
    other = make_provider(name="Texas Telehealth Ketamine", serves_states=["TX"])
    austin_clinic()
    html = client.get(home.get_absolute_url()).content.decode()
    assert re.findall(r'type="checkbox" name="p" value="([^"]+)"', html) == [other.slug]


def test_profile_with_nobody_to_compare_has_no_compare_form(client):
    html = client.get(austin_clinic().get_absolute_url()).content.decode()
    assert 'action="/compare/"' not in html


def test_profile_uses_a_fixed_number_of_queries(client, django_assert_num_queries):
    # The provider (with how its verified date was checked, and the content version
    # that core.cache.kept_for_readers keeps the page under: a kept page costs only
    # that, tests/test_fragments.py), its sites and its links (load_facts), and the
    # nearby clinics to compare (a survey, then the nearest, read by id; in Houston no
    # other clinic is within reach, and the survey that read none is the last query).
    plain, full = austin_clinic(), fully_confirmed_clinic()
    round_rock_clinic()
    assert plain.last_verified is not None
    assert full.last_verified is None
    for provider, queries in ((plain, 5), (full, 4)):
        with django_assert_num_queries(queries):
            client.get(provider.get_absolute_url())


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_unpublished_provider_is_404_for_the_public(client, status):
    provider = draft_provider(status=status)
    assert client.get(provider.get_absolute_url()).status_code == 404


def test_editor_previews_a_draft_with_a_banner_and_noindex(editor_client):
    austin_clinic()
    response = editor_client.get(draft_provider().get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "patients cannot see this page" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'action="/compare/"' not in html  # a draft cannot be compared


def test_unknown_provider_is_404(client):
    assert client.get("/providers/no-such-clinic/").status_code == 404


def test_profile_refuses_writes(client):
    assert client.post(austin_clinic().get_absolute_url()).status_code == 405


def test_profile_sets_no_cookie(client):
    assert client.get(austin_clinic().get_absolute_url()).cookies == {}


def json_ld_blocks(html):
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_profile_has_medical_clinic_json_ld(client):
    provider = austin_clinic()
    data, breadcrumbs = json_ld_blocks(client.get(provider.get_absolute_url()).content.decode())
    [clinic] = data["@graph"]
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [item["name"] for item in breadcrumbs["itemListElement"]] == [
        "Home",
        "Find treatment",
        "Texas",
        "Austin Ketamine Clinic",
    ]
    assert breadcrumbs["itemListElement"][2]["item"] == "http://testserver/clinics/tx/"
    assert data["@context"] == "https://schema.org"
    assert clinic["@type"] == "MedicalClinic"
    assert clinic["name"] == "Austin Ketamine Clinic"
    assert clinic["url"] == "http://testserver/providers/austin-ketamine-clinic/"
    assert clinic["isAcceptingNewPatients"] is True
    assert clinic["geo"] == {"@type": "GeoCoordinates", "latitude": 30.2672, "longitude": -97.7431}
    assert clinic["address"]["postalCode"] == "78701"
    assert clinic["address"]["addressRegion"] == "TX"
    assert clinic["medicalSpecialty"] == "https://schema.org/Psychiatric"
    assert clinic["availableService"] == [{"@type": "MedicalTherapy", "name": "IV infusion"}]
    # Nothing unconfirmed is claimed, not even as false.
    for unknown in (
        "priceRange", "paymentAccepted", "knowsLanguage", "contactPoint", "identifier",
        "openingHoursSpecification", "amenityFeature",
    ):  # fmt: skip
        assert unknown not in clinic


def test_json_ld_carries_the_confirmed_facts_schema_org_can_say(client):
    provider = fully_confirmed_clinic()
    data, _ = json_ld_blocks(client.get(provider.get_absolute_url()).content.decode())
    [clinic] = data["@graph"]
    assert clinic["priceRange"] == "$400–$1,200"
    assert clinic["paymentAccepted"] == "Self-pay, HSA or FSA"
    languages = [
        {"@type": "Language", "name": "English", "alternateName": "en"},
        {"@type": "Language", "name": "Spanish", "alternateName": "es"},
    ]
    assert clinic["knowsLanguage"] == languages
    assert clinic["contactPoint"] == {
        "@type": "ContactPoint",
        "contactType": "patient enquiries",
        "telephone": "(713) 555-0100",
        "availableLanguage": languages,
    }
    assert clinic["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "NPI",
        "value": "1234567893",
    }
    weekdays = [f"https://schema.org/{day}" for day in DAYS[:5]]
    spec = {"@type": "OpeningHoursSpecification"}
    assert clinic["openingHoursSpecification"] == [
        {**spec, "dayOfWeek": weekdays, "opens": "08:00", "closes": "17:00"},
        {**spec, "dayOfWeek": ["https://schema.org/Saturday"], "opens": "09:00", "closes": "12:00"},
    ]
    assert clinic["amenityFeature"] == [
        {"@type": "LocationFeatureSpecification", "name": "Wheelchair accessible", "value": True},
        {"@type": "LocationFeatureSpecification", "name": "Private treatment room", "value": False},
    ]
    assert clinic["areaServed"] == [{"@type": "State", "name": "Texas"}]


def test_json_ld_writes_a_close_at_midnight_as_23_59(client):
    provider = austin_clinic()
    Location.objects.filter(provider=provider).update(
        opening_hours=[{"day": 6, "opens": "20:00", "closes": "24:00"}]
    )
    data, _ = json_ld_blocks(client.get(provider.get_absolute_url()).content.decode())
    [spec] = data["@graph"][0]["openingHoursSpecification"]
    assert (spec["opens"], spec["closes"]) == ("20:00", "23:59")


def test_json_ld_cannot_be_broken_out_of(client):
    provider = austin_clinic(description="x")
    provider.name = "</script><script>alert(1)</script>"
    provider.save()
    html = client.get(provider.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    data, breadcrumbs = json_ld_blocks(html)
    assert data["@graph"][0]["name"] == "</script><script>alert(1)</script>"
    assert breadcrumbs["itemListElement"][-1]["name"] == "</script><script>alert(1)</script>"
