"""GET /api/providers/<slug>/: one published provider, every fact, every site."""

from datetime import date

import pytest

from directory.models import Location, Provider
from tests.cast import austin_clinic, draft_provider, make_provider

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "id", "slug", "name", "url", "conditions", "treatments", "serves_states",
    "accepting_new_patients", "phone", "website", "price_min", "price_max", "payment_options",
    "languages", "kap", "rems_certified", "last_verified",
}  # fmt: skip
DETAIL_KEYS = SUMMARY_KEYS | {
    "description", "email", "consultation_fee", "course_price", "price_includes",
    "cancellation_terms", "payment_declined", "prescriber_types", "board_certified", "npi",
    "medical_director", "medical_director_credential", "vitals_monitored", "present_throughout",
    "observation_minutes", "ride_home_required", "consultation_required", "referral_required",
    "existing_patients_only", "consultation_fee_refunded", "course_sessions", "course_weeks",
    "course_notes", "in_person_evaluation", "compounded", "sent_home", "wait_days", "confirmed",
    "locations",
}  # fmt: skip
LOCATION_KEYS = {
    "address1", "address2", "city", "state", "zip", "latitude", "longitude", "phone",
    "opening_hours", "hours_note", "wheelchair_accessible", "private_room",
}  # fmt: skip
GROUPS = [
    "cost", "payment", "treatments", "prescribers", "safety", "intake", "psychotherapy",
    "course", "telehealth", "access",
]  # fmt: skip


def detail(client, slug):
    return client.get(f"/api/providers/{slug}/")


def known_provider():
    provider = make_provider(
        name="Known Clinic",
        conditions=["depression"],
        treatments=["iv-infusion", "esketamine-nasal-spray"],
        serves_states=["TX"],
        payment_options=["self-pay", "commercial-insurance"],
        payment_declined=["medicaid"],
        prescriber_types=["np", "psychiatrist"],
        languages=["es", "en"],
        price_min=400,
        price_max=650,
        consultation_fee=150,
        course_price=2400,
        price_includes="The infusion, monitoring and a follow-up call.",
        cancellation_terms="Full refund with 48 hours' notice.",
        rems_certified=True,
        board_certified=True,
        npi="1234567893",
        medical_director_name="Sam Rivera",
        medical_director_credential="MD",
        vitals_monitored=True,
        present_throughout=Provider.Presence.NURSE,
        observation_minutes=120,
        ride_home_required=True,
        consultation_required=True,
        referral_required=False,
        existing_patients_only=False,
        consultation_fee_refunded=True,
        kap=Provider.Kap.PARTNER,
        course_sessions=6,
        course_weeks=3,
        course_notes="Boosters as needed.",
        in_person_evaluation=True,
        compounded=False,
        sent_home="A blood-pressure cuff.",
        accepting_new_patients=True,
        wait_days=7,
        last_verified=date(2026, 11, 2),
        cost_confirmed=date(2026, 11, 2),
        access_confirmed=date(2026, 10, 5),
        locations=[
            {
                "address1": "1 Second St",
                "city": "Austin",
                "state_id": "TX",
                "zip": "78701",
                "latitude": 30.26,
                "longitude": -97.74,
                "opening_hours": [
                    {"day": 0, "opens": "08:00", "closes": "12:00"},
                    {"day": 0, "opens": "13:00", "closes": "17:00"},
                    {"day": 5, "opens": "09:00", "closes": "12:00"},
                ],
                "hours": "Closed on federal holidays.",
                "wheelchair_accessible": True,
                "private_room": False,
            },
            {
                "address1": "9 Ninth St",
                "city": "Dallas",
                "state_id": "TX",
                "zip": "75201",
                "latitude": 32.78,
                "longitude": -96.8,
            },
        ],
    )
    return provider


def test_a_provider_with_every_fact(client):
    provider = known_provider()
    response = detail(client, provider.slug)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert body["id"] == provider.pk
    assert body["url"] == "http://testserver/providers/known-clinic/"
    assert body["payment_options"] == ["commercial-insurance", "self-pay"]  # the list's order
    assert body["payment_declined"] == ["medicaid"]
    assert body["prescriber_types"] == ["psychiatrist", "np"]
    assert body["languages"] == ["en", "es"]
    assert body["treatments"] == ["esketamine-nasal-spray", "iv-infusion"]
    assert body["serves_states"] == ["TX"]
    assert (body["price_min"], body["price_max"]) == (400, 650)
    assert (body["consultation_fee"], body["course_price"]) == (150, 2400)
    assert body["kap"] == "partner"
    assert body["rems_certified"] is True
    assert body["npi"] == "1234567893"
    assert body["present_throughout"] == "nurse"
    assert body["referral_required"] is False  # a confirmed no stays a no
    assert body["compounded"] is False
    assert body["observation_minutes"] == 120
    assert body["last_verified"] == "2026-11-02"
    assert body["confirmed"] == {
        group: {"cost": "2026-11-02", "access": "2026-10-05"}.get(group) for group in GROUPS
    }
    austin, dallas = body["locations"]
    assert set(austin) == LOCATION_KEYS
    assert austin["opening_hours"] == [
        {"day": "monday", "opens": "08:00", "closes": "12:00"},
        {"day": "monday", "opens": "13:00", "closes": "17:00"},
        {"day": "saturday", "opens": "09:00", "closes": "12:00"},
    ]
    assert austin["hours_note"] == "Closed on federal holidays."
    assert (austin["wheelchair_accessible"], austin["private_room"]) == (True, False)
    assert dallas["city"] == "Dallas"
    assert dallas["opening_hours"] == []
    assert dallas["wheelchair_accessible"] is None


def test_a_provider_with_everything_unknown_has_nulls_and_empty_lists(client):
    provider = make_provider(name="Unknown Clinic")
    body = detail(client, provider.slug).json()
    assert set(body) == DETAIL_KEYS
    for key in [
        "price_min", "price_max", "consultation_fee", "course_price", "kap", "rems_certified",
        "board_certified", "vitals_monitored", "present_throughout", "observation_minutes",
        "ride_home_required", "consultation_required", "referral_required",
        "existing_patients_only", "consultation_fee_refunded", "course_sessions", "course_weeks",
        "in_person_evaluation", "compounded", "wait_days", "last_verified",
        "accepting_new_patients",
    ]:  # fmt: skip
        assert body[key] is None, key
    for key in ["payment_options", "payment_declined", "prescriber_types", "languages"]:
        assert body[key] == [], key
    assert body["confirmed"] == dict.fromkeys(GROUPS)
    assert body["locations"] == []


def test_the_detail_matches_the_search_row(client):
    provider = austin_clinic(payment_options=["medicare"], languages=["en"], price_min=500)
    row = client.get("/api/providers/", {"near": "78701"}).json()["results"][0]
    body = detail(client, provider.slug).json()
    for key in SUMMARY_KEYS:
        assert body[key] == row[key], key


@pytest.mark.parametrize(
    "slug", ["no-such-provider", "unfinished-clinic", "closed-clinic", "%C3%A9t%C3%A9", "x" * 300]
)
def test_anything_but_a_published_provider_is_a_json_404(client, slug):
    draft_provider()
    make_provider(name="Closed Clinic", status=Provider.Status.CLOSED)
    response = client.get(f"/api/providers/{slug}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"errors": {"slug": ["No published provider has this slug."]}}


def test_the_detail_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    one = known_provider()
    for i in range(3):
        Location.objects.create(
            provider=one,
            address1=f"{i} Extra St",
            city="Austin",
            state_id="TX",
            zip="78701",
            latitude=30.2,
            longitude=-97.7,
        )
    other = make_provider(name="Plain Clinic")
    client.get(f"/api/providers/{one.slug}/")  # the reference data is cached from here on
    # The provider, the linked terms (one UNION), declined payment, prescribers, sites.
    with django_assert_num_queries(5):
        assert detail(client, one.slug).status_code == 200
    with django_assert_num_queries(5):
        assert detail(client, other.slug).status_code == 200


def test_only_get_and_head(client):
    provider = make_provider(name="Some Clinic")
    response = client.post(f"/api/providers/{provider.slug}/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
