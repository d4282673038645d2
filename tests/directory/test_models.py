"""Validation where data enters: states, ZIPs, coordinates, websites, phones, prices."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from directory.models import Location, Provider
from tests.cast import austin_clinic, make_provider

pytestmark = pytest.mark.django_db


def location(**fields):
    if "provider" not in fields:
        fields["provider"] = make_provider(name="Validation Clinic")
    values = {
        "address1": "1 Main St",
        "city": "Austin",
        "state_id": "TX",
        "zip": "78701",
    }
    values.update(fields)
    return Location(**values)


def errors(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize("zip_code", ["78701", "78701-1234"])
def test_five_digit_zip_and_zip_plus_four_are_valid(zip_code):
    location(zip=zip_code).full_clean()


@pytest.mark.parametrize("zip_code", ["7870", "787011", "78701-12", "ABCDE", "78701 1234", "7870١"])
def test_malformed_zip_is_rejected(zip_code):
    assert "zip" in errors(location(zip=zip_code))


@pytest.mark.parametrize("code", ["TX", "DC", "PR", "GU", "VI", "AS", "MP"])
def test_states_dc_and_territories_are_valid(code):
    location(state_id=code).full_clean()


@pytest.mark.parametrize("code", ["XX", "AE", "FM", "tx"])
def test_unknown_state_code_is_rejected(code):
    assert "state" in errors(location(state_id=code))


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (90.01, 0, "latitude"),
        (-90.5, 0, "latitude"),
        (0, 180.5, "longitude"),
        (0, -181, "longitude"),
    ],
)
def test_coordinates_out_of_range_are_rejected(latitude, longitude, field):
    assert field in errors(location(latitude=latitude, longitude=longitude))


def test_coordinates_at_the_limits_are_valid():
    south_east = location(latitude=-90, longitude=180)
    south_east.full_clean()
    location(provider=south_east.provider, latitude=90, longitude=-180).full_clean()


def test_one_coordinate_without_the_other_is_rejected():
    assert "__all__" in errors(location(latitude=30.0))


def test_database_refuses_coordinates_out_of_range():
    bad = location(latitude=91, longitude=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_database_refuses_half_a_coordinate_pair():
    bad = location(latitude=30, longitude=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_typed_coordinates_are_recorded_as_manual():
    saved = location(latitude=30.1, longitude=-97.1)
    saved.save()
    saved.refresh_from_db()
    assert saved.coordinates_source == Location.Source.MANUAL
    assert saved.city_slug == "austin"


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("512-555-0100", "(512) 555-0100"),
        ("(512) 555 0100", "(512) 555-0100"),
        ("+1 512.555.0100", "(512) 555-0100"),
        ("5125550100 x12", "(512) 555-0100 ext. 12"),
        ("787-555-0100", "(787) 555-0100"),
    ],
)
def test_phone_numbers_are_normalised_to_one_format(typed, saved):
    provider = Provider(name="Phone Clinic", slug="phone-clinic", phone=typed)
    provider.full_clean()
    assert provider.phone == saved


@pytest.mark.parametrize("typed", ["12345", "555-0100", "+44 20 7946 0958", "call us"])
def test_phone_numbers_that_are_not_us_numbers_are_rejected(typed):
    assert "phone" in errors(Provider(name="Phone Clinic", slug="phone-clinic", phone=typed))


@pytest.mark.parametrize("website", ["ftp://clinic.example", "javascript:alert(1)", "clinic"])
def test_website_must_be_http_or_https(website):
    assert "website" in errors(Provider(name="Web Clinic", slug="web-clinic", website=website))


def test_https_website_is_valid():
    Provider(name="Web Clinic", slug="web-clinic", website="https://clinic.example/a").full_clean()


def test_price_range_must_be_ordered_in_model_and_database():
    provider = Provider(name="Price Clinic", slug="price-clinic", price_min=500, price_max=400)
    assert "price_max" in errors(provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        provider.save()


def test_external_id_is_unique_and_blank_is_stored_as_null():
    austin_clinic()
    duplicate = Provider(name="Copy", slug="copy", external_id="austin-1")
    assert "external_id" in errors(duplicate)
    first = Provider(name="No Key A", slug="no-key-a", external_id="  ")
    first.full_clean()
    first.save()
    second = Provider.objects.create(name="No Key B", slug="no-key-b", external_id=None)
    assert Provider.objects.filter(external_id__isnull=True).count() == 2
    assert second.pk


def test_stale_providers_are_those_not_verified_in_180_days():
    from datetime import date

    fresh = make_provider(name="Fresh", last_verified=date(2026, 6, 1))
    old = make_provider(name="Old", last_verified=date(2026, 5, 1))
    never = make_provider(name="Never")
    stale = set(Provider.objects.stale(today=date(2026, 11, 25)))
    assert stale == {old, never}
    assert fresh not in stale


def test_visible_to_shows_only_published_to_the_public(django_user_model):
    from django.contrib.auth.models import AnonymousUser

    published = make_provider(name="Open")
    draft = make_provider(name="Hidden", status=Provider.Status.DRAFT)
    closed = make_provider(name="Gone", status=Provider.Status.CLOSED)
    assert set(Provider.objects.visible_to(AnonymousUser())) == {published}
    staff_without_permission = django_user_model.objects.create_user("staff", is_staff=True)
    assert set(Provider.objects.visible_to(staff_without_permission)) == {published}
    superuser = django_user_model.objects.create_superuser("root", password="x")
    assert set(Provider.objects.visible_to(superuser)) == {published, draft, closed}


@pytest.mark.django_db
def test_a_city_name_without_letters_is_refused():
    location = Location(city="<!--", state_id="TX", zip="78701", address1="1 Main St")
    with pytest.raises(ValidationError) as error:
        location.clean()
    assert "city" in error.value.message_dict
