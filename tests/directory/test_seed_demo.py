"""`manage.py seed_demo`: fictional, clearly labelled, reproducible demo providers."""

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from directory import demo
from directory.admin import with_completeness
from directory.facts import PAYMENT_OPTIONS, check_hours
from directory.fields import validate_npi
from directory.models import PROVIDER_RELATIONS, SEARCH_COPIES, Location, Place, Provider
from directory.states import STATES
from tests.cast import austin_clinic

# Every test here runs in a transaction but one: seeding side by side on PostgreSQL,
# which needs autocommit (and tidies up after itself).
in_transaction = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's; elsewhere bulk_create()"
)


def seed(providers, seed=1):
    call_command("seed_demo", providers=providers, seed=seed, stdout=io.StringIO())


def demo_snapshot():
    return [
        (
            provider.external_id,
            provider.name,
            provider.slug,
            provider.status,
            provider.phone,
            sorted(c.slug for c in provider.conditions.all()),
            sorted(s.code for s in provider.serves_states.all()),
            sorted(
                (loc.zip, loc.address1, str(loc.opening_hours)) for loc in provider.locations.all()
            ),
            sorted(o.slug for o in provider.payment_options.all()),
            sorted(o.slug for o in provider.payment_declined.all()),
            sorted(lang.slug for lang in provider.languages.all()),
            (provider.price_min, provider.npi, provider.kap, provider.cost_confirmed),
        )
        for provider in Provider.objects.order_by("external_id").prefetch_related(
            "conditions",
            "serves_states",
            "locations",
            "payment_options",
            "payment_declined",
            "languages",
        )
    ]


def every_column():
    """The demo rows, every column but ids and timestamps, and every link, by external_id."""
    volatile = {"id", "created_at", "updated_at", "provider_id"}
    providers = Provider.objects.order_by("external_id").values_list(
        *(f.attname for f in Provider._meta.concrete_fields if f.attname not in volatile)
    )
    locations = Location.objects.order_by("provider__external_id", "zip").values_list(
        "provider__external_id",
        *(f.attname for f in Location._meta.concrete_fields if f.attname not in volatile),
    )
    links = {}
    for relation in PROVIDER_RELATIONS:
        field = Provider._meta.get_field(relation)
        linked = field.remote_field.through._meta.get_field(field.m2m_reverse_field_name())
        links[relation] = sorted(
            field.remote_field.through.objects.values_list("provider__external_id", linked.attname)
        )
    return list(providers), list(locations), links


@in_transaction
def test_same_seed_gives_the_same_providers():
    seed(120, seed=7)
    first = demo_snapshot()
    seed(120, seed=7)
    assert demo_snapshot() == first
    seed(120, seed=8)
    assert demo_snapshot() != first


@in_transaction
def test_sites_carry_copies_of_what_a_search_filters_on_of_their_provider():
    seed(150)

    def copies():
        rows = Location.objects.order_by("pk").values(*SEARCH_COPIES)
        # SQLite's aggregate of the languages keeps no order.
        return [{**row, "languages": sorted(row["languages"].split())} for row in rows]

    seeded = copies()
    for name in SEARCH_COPIES:  # each copy tells sites apart
        assert len({str(row[name]) for row in seeded}) > 1
    Location.objects.copy_provider_filters()
    assert copies() == seeded


@in_transaction
@postgresql_only
def test_copy_writes_what_bulk_create_writes():
    pools = demo._pools(date(2026, 6, 1))
    for specs in demo._specs(150, 5, pools):
        demo._copy(specs)
    copied = every_column()
    demo.delete_demo_providers()
    for specs in demo._specs(150, 5, pools):
        demo._bulk_create(specs)
    assert every_column() == copied


@postgresql_only
def test_seeding_outside_a_transaction_writes_the_same_rows_side_by_side(
    django_db_setup, django_db_blocker, monkeypatch
):
    monkeypatch.setattr(demo, "CHUNK", 40)  # chunks enough for every writer
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                seed(230, seed=6)
                one_connection = every_column()
                transaction.set_rollback(True)
            seed(230, seed=6)
            assert every_column() == one_connection
        finally:
            demo.delete_demo_providers()


@in_transaction
def test_demo_providers_are_clearly_fictional():
    seed(100)
    for provider in Provider.objects.all():
        assert provider.name.endswith("(demo)")
        assert provider.external_id.startswith("demo-")
        assert provider.website.endswith(".example")
        assert "555-01" in provider.phone
        assert "fictional" in provider.description


@in_transaction
def test_demo_providers_sit_at_real_zip_centroids_in_every_state():
    seed(200)
    clinic_states = set(Location.objects.values_list("state_id", flat=True))
    assert clinic_states == set(STATES)
    for location in Location.objects.all()[:50]:
        place = Place.objects.get(kind="zip", zip=location.zip)
        assert (location.latitude, location.longitude) == (place.latitude, place.longitude)
        assert (location.state_id, location.city) == (place.state_id, place.name)
        assert location.coordinates_source == Location.Source.GAZETTEER


@in_transaction
def test_demo_mix_has_clinics_at_home_services_and_both():
    seed(300)
    providers = Provider.objects.prefetch_related("locations", "serves_states", "treatments")
    kinds = {(bool(p.locations.all()), bool(p.serves_states.all())) for p in providers}
    assert kinds == {(True, False), (False, True), (True, True)}
    location_counts = {len(p.locations.all()) for p in providers}
    assert location_counts == {0, 1, 2, 3}
    assert max(len(p.serves_states.all()) for p in providers) <= 20
    assert all(p.treatments.all() and p.conditions.exists() for p in providers)
    assert Provider.objects.published().count() > 250
    assert Provider.objects.stale().exists()
    assert Provider.objects.exclude(pk__in=Provider.objects.stale()).exists()


@in_transaction
def test_reseeding_replaces_demo_providers_and_keeps_real_ones():
    real = austin_clinic()
    seed(50)
    seed(20)
    assert Provider.objects.filter(external_id__startswith="demo-").count() == 20
    assert Provider.objects.filter(pk=real.pk).exists()
    assert real.locations.count() == 1


@in_transaction
def test_seeding_needs_the_gazetteer():
    Place.objects.all().delete()
    with pytest.raises(CommandError, match="load_gazetteer"):
        seed(10)


@in_transaction
def test_negative_count_is_refused():
    with pytest.raises(CommandError, match="--providers"):
        seed(-1)


# --- The listing facts ----------------------------------------------------------------------

# Each fact, and what "not confirmed yet" is for it.
FACTS = {
    **dict.fromkeys(
        ["price_min", "price_max", "consultation_fee", "course_price", "board_certified",
         "vitals_monitored", "observation_minutes", "ride_home_required",
         "consultation_required", "referral_required", "existing_patients_only",
         "consultation_fee_refunded", "course_sessions", "course_weeks", "wait_days"],
        None,
    ),
    **dict.fromkeys(
        ["price_includes", "cancellation_terms", "npi", "present_throughout", "kap",
         "course_notes"],
        "",
    ),
}  # fmt: skip
AT_HOME_FACTS = {"in_person_evaluation": None, "compounded": None, "sent_home": ""}


@pytest.fixture
def seeded(db):
    seed(300)
    return list(
        Provider.objects.prefetch_related(
            "treatments", "serves_states", "locations", "payment_options", "payment_declined",
            "prescriber_types", "languages",
        )
    )  # fmt: skip


def slugs(related):
    return {item.slug for item in related.all()}


def test_every_fact_is_sometimes_known_and_sometimes_not(seeded):
    unknown = Counter()
    for provider in seeded:
        for name, blank in FACTS.items():
            unknown[name] += getattr(provider, name) == blank
    for name in FACTS:
        assert 0 < unknown[name] < len(seeded), name
    share = sum(unknown.values()) / (len(FACTS) * len(seeded))
    assert 0.2 <= share <= 0.4
    for relation in ["payment_options", "prescriber_types", "languages"]:
        known = sum(bool(getattr(provider, relation).all()) for provider in seeded)
        assert 0.55 * len(seeded) < known < 0.85 * len(seeded), relation


def test_facts_agree_with_what_each_provider_offers(seeded):
    for provider in seeded:
        treatments = slugs(provider.treatments)
        at_home = bool(provider.serves_states.all())
        if provider.price_min is not None:
            assert provider.price_min <= provider.price_max
            low, high = (300, 1500) if provider.locations.all() else (100, 300)
            assert low <= provider.price_min <= provider.price_max <= high
        if "esketamine-nasal-spray" in treatments:
            assert provider.rems_certified is True
        else:
            assert provider.rems_certified is not True
        if provider.kap:
            offered = "ketamine-assisted-psychotherapy" in treatments
            assert (provider.kap != "not-offered") == offered
        for name, blank in AT_HOME_FACTS.items():
            if not at_home:
                assert getattr(provider, name) == blank, name
        if not at_home:
            assert provider.telehealth_confirmed is None
        assert not slugs(provider.payment_options) & slugs(provider.payment_declined)
        if provider.npi:
            validate_npi(provider.npi)
    at_home_facts = [p for p in seeded if p.serves_states.all() and p.compounded is not None]
    assert at_home_facts


def test_every_search_filter_has_demo_providers_to_find(seeded):
    accepted = Counter(slug for p in seeded for slug in slugs(p.payment_options))
    declined = Counter(slug for p in seeded for slug in slugs(p.payment_declined))
    assert set(accepted) == set(PAYMENT_OPTIONS)
    assert declined
    spoken = Counter(slug for p in seeded for slug in slugs(p.languages))
    assert spoken["en"] > spoken["es"] > 0
    assert len(set(spoken) - {"en", "es"}) >= 3
    assert {p.kap for p in seeded} == {"", "in-house", "partner", "not-offered"}
    prices = [p.price_min for p in seeded if p.price_min is not None]
    assert min(prices) <= 300 < 1000 <= max(prices)
    assert any(p.price_min is None for p in seeded)
    assert len({p.last_verified for p in seeded}) > 20


def test_sites_have_valid_hours_and_access_facts_with_unknowns(seeded):
    locations = [location for provider in seeded for location in provider.locations.all()]
    for location in locations:
        assert check_hours(location.opening_hours) == location.opening_hours
    assert any(location.opening_hours for location in locations)
    assert any(not location.opening_hours for location in locations)
    assert any(location.hours for location in locations)
    for name in ["wheelchair_accessible", "private_room"]:
        assert {getattr(location, name) for location in locations} == {True, False, None}


def test_some_listings_are_fully_confirmed_some_partly_and_some_not_at_all(seeded):
    providers = with_completeness(Provider.objects.all())
    fully = providers.filter(facts_confirmed=F("facts_applicable")).count()
    none = providers.filter(facts_confirmed=0).count()
    assert fully > 10
    assert none > 10
    assert fully + none < len(seeded) - 100
