"""`manage.py seed_demo`: fictional, clearly labelled, reproducible demo providers."""

import io

import pytest
from django.core.management import CommandError, call_command

from directory.models import Location, Place, Provider
from directory.states import STATES
from tests.cast import austin_clinic

pytestmark = pytest.mark.django_db


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
            sorted((loc.zip, loc.address1) for loc in provider.locations.all()),
        )
        for provider in Provider.objects.order_by("external_id").prefetch_related(
            "conditions", "serves_states", "locations"
        )
    ]


def test_same_seed_gives_the_same_providers():
    seed(120, seed=7)
    first = demo_snapshot()
    seed(120, seed=7)
    assert demo_snapshot() == first
    seed(120, seed=8)
    assert demo_snapshot() != first


def test_demo_providers_are_clearly_fictional():
    seed(100)
    for provider in Provider.objects.all():
        assert provider.name.endswith("(demo)")
        assert provider.external_id.startswith("demo-")
        assert provider.website.endswith(".example")
        assert "555-01" in provider.phone
        assert "fictional" in provider.description


def test_demo_providers_sit_at_real_zip_centroids_in_every_state():
    seed(200)
    clinic_states = set(Location.objects.values_list("state_id", flat=True))
    assert clinic_states == set(STATES)
    for location in Location.objects.all()[:50]:
        place = Place.objects.get(kind="zip", zip=location.zip)
        assert (location.latitude, location.longitude) == (place.latitude, place.longitude)
        assert (location.state_id, location.city) == (place.state_id, place.name)
        assert location.coordinates_source == Location.Source.GAZETTEER


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


def test_reseeding_replaces_demo_providers_and_keeps_real_ones():
    real = austin_clinic()
    seed(50)
    seed(20)
    assert Provider.objects.filter(external_id__startswith="demo-").count() == 20
    assert Provider.objects.filter(pk=real.pk).exists()
    assert real.locations.count() == 1


def test_seeding_needs_the_gazetteer():
    Place.objects.all().delete()
    with pytest.raises(CommandError, match="load_gazetteer"):
        seed(10)


def test_negative_count_is_refused():
    with pytest.raises(CommandError, match="--providers"):
        seed(-1)
