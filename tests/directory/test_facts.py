"""The facts' own rules: the NPI check digit, opening hours, payment lists, fact groups."""

import pytest
from django.core.exceptions import ValidationError

from directory.facts import (
    FACT_GROUPS,
    LANGUAGES,
    PAYMENT_OPTIONS,
    PRESCRIBER_TYPES,
    HoursError,
    check_hours,
    format_hours,
    parse_hours,
)
from directory.fields import validate_npi
from directory.models import Language, Location, PaymentOption, PrescriberType, Provider
from tests.cast import make_provider

# Valid NPIs: CMS's worked example (1234567893) and other numbers whose last digit is
# the Luhn check digit over 80840 + the first nine digits.
VALID_NPIS = ["1234567893", "1245319599", "1003000126", "1111111112"]
INVALID_NPIS = {
    "1234567890": "check digit",
    "1234567894": "check digit",
    "1245319590": "check digit",
    "123456789": "exactly 10 digits",
    "12345678931": "exactly 10 digits",
    "12345678ab": "exactly 10 digits",
    "１２３４５６７８９３": "exactly 10 digits",  # full-width digits are not ASCII
    "123 456 78": "exactly 10 digits",
}


@pytest.mark.parametrize("npi", VALID_NPIS)
def test_valid_npis_pass(npi):
    validate_npi(npi)


@pytest.mark.parametrize(("npi", "message"), INVALID_NPIS.items())
def test_invalid_npis_are_refused_with_a_clear_message(npi, message):
    with pytest.raises(ValidationError, match=message):
        validate_npi(npi)


@pytest.mark.django_db
def test_the_model_refuses_a_wrong_npi_on_full_clean():
    provider = Provider(name="Npi Clinic", slug="npi-clinic", npi="1234567890")
    with pytest.raises(ValidationError) as raised:
        provider.full_clean()
    assert "check digit" in raised.value.message_dict["npi"][0]
    provider.npi = "1234567893"
    provider.full_clean()


# --- Opening hours ------------------------------------------------------------


def test_hours_are_read_from_one_line_and_written_back_the_same():
    text = "Mon-Fri 08:00-12:00, 13:00-17:00; Sat 09:00-12:00"
    ranges = parse_hours(text)
    assert ranges[:2] == [
        {"day": 0, "opens": "08:00", "closes": "12:00"},
        {"day": 0, "opens": "13:00", "closes": "17:00"},
    ]
    assert len(ranges) == 11
    assert ranges[-1] == {"day": 5, "opens": "09:00", "closes": "12:00"}
    assert format_hours(ranges) == text
    assert parse_hours(format_hours(ranges)) == ranges


def test_hours_accept_day_names_en_dashes_and_single_digit_hours():
    assert parse_hours("monday–WEDNESDAY 8:00–16:30") == [
        {"day": day, "opens": "08:00", "closes": "16:30"} for day in range(3)
    ]
    assert format_hours(parse_hours("Tue 09:00-17:00; Thu 09:00-17:00")) == (
        "Tue 09:00-17:00; Thu 09:00-17:00"  # not consecutive: two spans
    )
    assert parse_hours("") == []
    assert format_hours([]) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon", "days then times"),
        ("Funday 08:00-17:00", "is not a day"),
        ("Fri-Mon 08:00-17:00", "runs backwards"),
        ("Mon 8am-5pm", "should be a range"),
        ("Mon 17:00-08:00", "closes before it opens"),
        ("Mon 25:00-26:00", "not a time of day"),
        ("Mon 08:00-12:00, 11:00-13:00", "overlap"),
        ("Mon 08:00-12:00; Mon 11:00-13:00", "overlap"),
    ],
)
def test_bad_hours_say_what_is_wrong(text, message):
    with pytest.raises(HoursError, match=message):
        parse_hours(text)


@pytest.mark.parametrize(
    "value",
    [
        [{"day": 7, "opens": "08:00", "closes": "09:00"}],
        [{"day": True, "opens": "08:00", "closes": "09:00"}],
        [{"day": 0, "opens": "8:00", "closes": "09:00"}],
        [{"day": 0, "opens": "08:00"}],
        [{"day": 0, "opens": "08:00", "closes": "09:00", "extra": 1}],
        ["Mon 08:00-09:00"],
        [None],
    ],
)
def test_stored_hours_are_checked_too(value):
    with pytest.raises(HoursError):
        check_hours(value)


@pytest.mark.django_db
def test_a_location_refuses_bad_hours_and_sorts_good_ones():
    provider = make_provider(name="Hours Clinic")
    location = Location(
        provider=provider,
        address1="1 Main St",
        city="Austin",
        state_id="TX",
        zip="78701",
        opening_hours={"monday": "9-5"},
    )
    with pytest.raises(ValidationError) as raised:
        location.full_clean()
    assert "opening_hours" in raised.value.message_dict
    location.opening_hours = [
        {"day": 2, "opens": "09:00", "closes": "17:00"},
        {"day": 0, "opens": "09:00", "closes": "17:00"},
    ]
    location.full_clean()
    assert [item["day"] for item in location.opening_hours] == [0, 2]


# --- The fixed lists ----------------------------------------------------------


@pytest.mark.django_db
def test_the_tables_hold_exactly_the_lists():
    assert dict(PaymentOption.objects.values_list("slug", "name")) == PAYMENT_OPTIONS
    assert list(PaymentOption.objects.values_list("slug", flat=True)) == list(PAYMENT_OPTIONS)
    assert list(PrescriberType.objects.values_list("slug", flat=True)) == list(PRESCRIBER_TYPES)
    assert dict(Language.objects.values_list("slug", "name")) == LANGUAGES
    assert len(LANGUAGES) == 184  # every ISO 639-1 code
    assert LANGUAGES["es"] == "Spanish"


def test_the_confirmed_dates_follow_the_groups():
    fields = {field.name for field in Provider._meta.get_fields()}
    assert [group.key for group in FACT_GROUPS] == [
        "cost", "payment", "treatments", "prescribers", "safety", "intake", "psychotherapy",
        "course", "telehealth", "access",
    ]  # fmt: skip
    for group in FACT_GROUPS:
        assert f"{group.key}_confirmed" in fields


def test_the_at_home_group_applies_only_to_at_home_providers():
    provider = Provider()
    assert len(provider.fact_groups(treats_at_home=True)) == 10
    assert "telehealth" not in provider.fact_groups(treats_at_home=False)
    assert len(provider.fact_groups(treats_at_home=False)) == 9
