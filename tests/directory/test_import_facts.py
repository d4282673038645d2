"""The listing facts in the providers CSV: optional columns after today's 18.

The contract: a file of exactly today's 18 columns imports as it always did and
leaves the facts of the providers it names as they were. Optional columns (one
per fact, directory/csvfile.py's OPTIONAL_COLUMNS) may follow in any order, each
at most once; a column that is there sets its fact (a blank cell is unknown), one
that is not leaves it alone. Each bad value is `row N, column: message` and
nothing is written. Export writes the 18 columns, then every fact, and re-imports
exactly.
"""

import csv
import io
import random
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.csvfile import (
    ALL_COLUMNS,
    COLUMNS,
    LOCATION_FACT_COLUMNS,
    OPTIONAL_COLUMNS,
    PROVIDER_FACT_COLUMNS,
    export_csv,
    is_relation,
)
from directory.facts import FACT_GROUPS
from directory.models import Location, Provider
from tests import cast

pytestmark = pytest.mark.django_db

# A clinic's row of today's 18 columns, with typed coordinates (no geocoding).
CELLS = {
    "external_id": "hill-1",
    "name": "Hill Country Ketamine",
    "status": "published",
    "website": "https://hill.example",
    "phone": "512-555-0142",
    "email": "care@hill.example",
    "description": "Infusions for mood and pain.",
    "address1": "200 Congress Ave",
    "address2": "Suite 4",
    "city": "Austin",
    "state": "TX",
    "zip": "78701",
    "latitude": "30.2669",
    "longitude": "-97.7428",
    "conditions": "depression",
    "treatments": "iv-infusion",
    "serves_states": "",
    "accepting_new_patients": "yes",
}
# Every fact, as export writes it (lists sorted).
FACTS = {
    "price_min": "300",
    "price_max": "750",
    "consultation_fee": "150",
    "course_price": "2700",
    "price_includes": "Infusion, monitoring and a follow-up call",
    "cancellation_terms": "Free until 48 hours before",
    "payment_options": "hsa-fsa;self-pay;superbill",
    "payment_declined": "medicaid;medicare",
    "rems_certified": "yes",
    "prescriber_types": "anesthesiologist;crna",
    "board_certified": "yes",
    "npi": "1234567893",
    "medical_director_name": "Ana Rivera",
    "medical_director_credential": "MD",
    "vitals_monitored": "yes",
    "present_throughout": "nurse",
    "observation_minutes": "60",
    "ride_home_required": "yes",
    "consultation_required": "yes",
    "referral_required": "no",
    "existing_patients_only": "no",
    "consultation_fee_refunded": "yes",
    "kap": "partner",
    "course_sessions": "6",
    "course_weeks": "3",
    "course_notes": "Boosters as needed",
    "in_person_evaluation": "no",
    "compounded": "no",
    "sent_home": "A blood-pressure cuff",
    "wait_days": "7",
    "languages": "en;es",
    **{f"{group.key}_confirmed": f"2026-03-{n:02d}" for n, group in enumerate(FACT_GROUPS, 1)},
    "opening_hours": "Mon-Fri 08:00-17:00; Sat 09:00-12:00",
    "hours_note": "Closed on federal holidays",
    "wheelchair_accessible": "yes",
    "private_room": "no",
}
HOURS = [
    *({"day": day, "opens": "08:00", "closes": "17:00"} for day in range(5)),
    {"day": 5, "opens": "09:00", "closes": "12:00"},
]
# The same facts as stored.
STORED = {
    "price_min": 300,
    "price_max": 750,
    "consultation_fee": 150,
    "course_price": 2700,
    "price_includes": "Infusion, monitoring and a follow-up call",
    "cancellation_terms": "Free until 48 hours before",
    "payment_options": ["hsa-fsa", "self-pay", "superbill"],
    "payment_declined": ["medicaid", "medicare"],
    "rems_certified": True,
    "prescriber_types": ["anesthesiologist", "crna"],
    "board_certified": True,
    "npi": "1234567893",
    "medical_director_name": "Ana Rivera",
    "medical_director_credential": "MD",
    "vitals_monitored": True,
    "present_throughout": "nurse",
    "observation_minutes": 60,
    "ride_home_required": True,
    "consultation_required": True,
    "referral_required": False,
    "existing_patients_only": False,
    "consultation_fee_refunded": True,
    "kap": "partner",
    "course_sessions": 6,
    "course_weeks": 3,
    "course_notes": "Boosters as needed",
    "in_person_evaluation": False,
    "compounded": False,
    "sent_home": "A blood-pressure cuff",
    "wait_days": 7,
    "languages": ["en", "es"],
    **{f"{group.key}_confirmed": date(2026, 3, n) for n, group in enumerate(FACT_GROUPS, 1)},
    "sites": [("200 Congress Ave", HOURS, "Closed on federal holidays", True, False)],
}
RELATIONS = [column for column in PROVIDER_FACT_COLUMNS if is_relation(column)]


def unknown(field):
    """What an unknown fact is stored as: blank text, no list items, or null."""
    if field.many_to_many:
        return []
    return "" if isinstance(field, models.CharField) else None


UNKNOWN = {
    column: unknown(Provider._meta.get_field(column)) for column in PROVIDER_FACT_COLUMNS
} | {"sites": [("200 Congress Ave", [], "", None, None)]}


def line(columns, **cells):
    """One CSV line (no line ending) of the clinic with every fact, with `cells` changed."""
    out = io.StringIO()
    values = {**CELLS, **FACTS, **cells}
    csv.writer(out, lineterminator="\r\n").writerow([values[column] for column in columns])
    return out.getvalue().removesuffix("\r\n")


def csv_bytes(columns, *lines):
    return "\n".join([",".join(columns), *lines, ""]).encode()


def snapshot():
    """Every row an import may touch, to prove that a failed one touched nothing."""
    throughs = [getattr(Provider, name).through for name in ["conditions", *RELATIONS]]
    return (
        list(Provider.objects.order_by("pk").values()),
        list(Location.objects.order_by("pk").values()),
        [sorted(through.objects.values_list()) for through in throughs],
        Provider.history.count(),
        Location.history.count(),
    )


def facts_of(external_id="hill-1"):
    """A provider's facts as stored, and its sites' (address, hours, note, wheelchair, room)."""
    provider = Provider.objects.get(external_id=external_id)
    facts = {
        column: sorted(getattr(provider, column).values_list("pk", flat=True))
        if column in RELATIONS
        else getattr(provider, column)
        for column in PROVIDER_FACT_COLUMNS
    }
    facts["sites"] = [
        (
            site.address1,
            site.opening_hours,
            site.hours,
            site.wheelchair_accessible,
            site.private_room,
        )
        for site in provider.locations.order_by("pk")
    ]
    return facts


def clinic_with_every_fact(**fields):
    """The clinic of CELLS with every fact of STORED, made without the importer."""
    scalars = {
        column: value
        for column, value in STORED.items()
        if column in PROVIDER_FACT_COLUMNS and column not in RELATIONS
    }
    address, hours, note, wheelchair, room = STORED["sites"][0]
    own = {
        "name": CELLS["name"],
        "external_id": CELLS["external_id"],
        "website": CELLS["website"],
        "phone": "(512) 555-0142",
        "email": CELLS["email"],
        "description": CELLS["description"],
        "accepting_new_patients": True,
    }
    provider = cast.make_provider(
        conditions=["depression"],
        treatments=["iv-infusion"],
        locations=[
            {
                "address1": address,
                "address2": "Suite 4",
                "city": "Austin",
                "state_id": "TX",
                "zip": "78701",
                "latitude": 30.2669,
                "longitude": -97.7428,
                "coordinates_source": Location.Source.MANUAL,
                "opening_hours": hours,
                "hours": note,
                "wheelchair_accessible": wheelchair,
                "private_room": room,
            }
        ],
        **(own | scalars | fields),
    )
    for relation in RELATIONS:
        getattr(provider, relation).set(STORED[relation])
    return provider


@pytest.fixture
def importer(tmp_path):
    return Importer(tmp_path)


class Importer:
    """`manage.py import_providers` on bytes: ok() returns the summary, refused() the errors."""

    def __init__(self, tmp_path):
        self.path = tmp_path / "providers.csv"

    def ok(self, data):
        self.path.write_bytes(data)
        out = io.StringIO()
        call_command("import_providers", str(self.path), stdout=out, stderr=io.StringIO())
        return out.getvalue().strip()

    def refused(self, data):
        """The errors, having checked that nothing at all was written."""
        self.path.write_bytes(data)
        before = snapshot()
        err = io.StringIO()
        with pytest.raises(CommandError) as failure:
            call_command("import_providers", str(self.path), stdout=io.StringIO(), stderr=err)
        assert failure.value.returncode == 1
        assert snapshot() == before
        return err.getvalue().splitlines()


# --- Today's 18 columns ------------------------------------------------------------------


def test_a_file_of_todays_18_columns_leaves_every_fact_as_it_was(importer):
    clinic_with_every_fact()
    before = facts_of()
    summary = importer.ok(csv_bytes(COLUMNS, line(COLUMNS, phone="512-555-0199")))
    assert summary == "0 created, 1 updated, 0 unchanged"
    assert Provider.objects.get(external_id="hill-1").phone == "(512) 555-0199"
    assert facts_of() == before == STORED
    assert importer.ok(csv_bytes(COLUMNS, line(COLUMNS, phone="512-555-0199"))) == (
        "0 created, 0 updated, 1 unchanged"
    )


def test_a_file_of_todays_18_columns_creates_providers_with_every_fact_unknown(importer):
    assert importer.ok(csv_bytes(COLUMNS, line(COLUMNS))) == "1 created, 0 updated, 0 unchanged"
    assert facts_of() == UNKNOWN


# --- The optional columns ----------------------------------------------------------------


def test_every_fact_column_is_read(importer):
    assert importer.ok(csv_bytes(ALL_COLUMNS, line(ALL_COLUMNS))) == (
        "1 created, 0 updated, 0 unchanged"
    )
    assert facts_of() == STORED


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_optional_columns_may_come_in_any_order(importer, seed):
    shuffled = random.Random(seed).sample(OPTIONAL_COLUMNS, len(OPTIONAL_COLUMNS))
    columns = [*COLUMNS, *shuffled]
    importer.ok(csv_bytes(columns, line(columns)))
    assert facts_of() == STORED


def test_today_s_columns_may_still_come_in_any_order_before_the_optional_ones(importer):
    columns = [*reversed(COLUMNS), "kap", "npi"]
    importer.ok(csv_bytes(columns, line(columns)))
    assert (facts_of()["kap"], facts_of()["npi"]) == ("partner", "1234567893")


def test_slugs_codes_and_answers_are_read_in_any_case(importer):
    columns = [
        *COLUMNS,
        "payment_options",
        "languages",
        "kap",
        "present_throughout",
        "medical_director_credential",
        "rems_certified",
        "wheelchair_accessible",
        "opening_hours",
    ]
    row = line(
        columns,
        payment_options="SELF-PAY; Hsa-Fsa",
        languages="EN;Es",
        kap="In-House",
        present_throughout="Nurse",
        medical_director_credential="md",
        rems_certified="YES",
        wheelchair_accessible="N",
        opening_hours="monday-FRI 8:00-17:00",
    )
    importer.ok(csv_bytes(columns, row))
    facts = facts_of()
    assert facts["payment_options"] == ["hsa-fsa", "self-pay"]
    assert facts["languages"] == ["en", "es"]
    assert (facts["kap"], facts["present_throughout"]) == ("in-house", "nurse")
    assert (facts["medical_director_credential"], facts["rems_certified"]) == ("MD", True)
    assert facts["sites"] == [("200 Congress Ave", HOURS[:5], "", False, None)]


def test_a_column_with_a_blank_cell_makes_its_fact_unknown(importer):
    clinic_with_every_fact()
    blanks = dict.fromkeys(OPTIONAL_COLUMNS, "")
    summary = importer.ok(csv_bytes(ALL_COLUMNS, line(ALL_COLUMNS, **blanks)))
    assert summary == "0 created, 1 updated, 0 unchanged"
    assert facts_of() == UNKNOWN


def test_booleans_read_unknown_as_blank(importer):
    clinic_with_every_fact()
    columns = [*COLUMNS, "rems_certified", "private_room"]
    importer.ok(csv_bytes(columns, line(columns, rems_certified="unknown", private_room="")))
    assert (facts_of()["rems_certified"], facts_of()["sites"][0][4]) == (None, None)


def test_only_the_facts_with_a_column_change(importer):
    clinic_with_every_fact()
    columns = [*COLUMNS, "wheelchair_accessible", "languages", "price_min"]
    row = line(columns, price_min="250", languages="fr", wheelchair_accessible="no")
    assert importer.ok(csv_bytes(columns, row)) == "0 created, 1 updated, 0 unchanged"
    address, hours, note, _, room = STORED["sites"][0]
    assert facts_of() == STORED | {
        "price_min": 250,
        "languages": ["fr"],
        "sites": [(address, hours, note, False, room)],
    }


def test_a_site_fact_alone_changing_updates_the_provider(importer):
    clinic_with_every_fact()
    columns = [*COLUMNS, "opening_hours"]
    row = line(columns, opening_hours="Mon 09:00-12:00")
    assert importer.ok(csv_bytes(columns, row)) == "0 created, 1 updated, 0 unchanged"
    assert facts_of()["sites"][0][1] == [{"day": 0, "opens": "09:00", "closes": "12:00"}]


# --- The header --------------------------------------------------------------------------


def test_a_duplicate_or_unknown_optional_column_is_reported_on_row_1(importer):
    columns = [*COLUMNS, "kap", "npi", "kap", "insurance"]
    errors = importer.refused(csv_bytes(columns, line(columns[:-1]) + ",x"))
    assert errors == [
        f"row 1, insurance: unknown column; expected {', '.join(COLUMNS)}, "
        f"then any of {', '.join(OPTIONAL_COLUMNS)}",
        "row 1, kap: column appears twice",
    ]


def test_a_misspelt_column_is_named_with_a_suggestion(importer):
    columns = [*COLUMNS, "price-min"]
    [error] = importer.refused(csv_bytes(columns, line(COLUMNS) + ",300"))
    assert error.startswith("row 1, price-min: unknown column (did you mean price_min?); ")


def test_an_optional_column_among_the_required_ones_is_reported(importer):
    columns = [*COLUMNS[:3], "npi", *COLUMNS[3:], "kap"]
    assert importer.refused(csv_bytes(columns, line(columns))) == [
        "row 1, npi: optional columns follow the 18 required ones; "
        "move it after accepting_new_patients"
    ]


def test_a_missing_required_column_is_still_reported_with_optional_ones_present(importer):
    columns = [column for column in ALL_COLUMNS if column != "email"]
    assert importer.refused(csv_bytes(columns, line(columns))) == ["row 1, email: missing column"]


# --- Bad values --------------------------------------------------------------------------

NOT_WHOLE = "not a whole number of 0 or more: {!r}; write digits only, like 450"
NOT_A_DATE = "not a date: {!r}; write YYYY-MM-DD, like 2026-03-31"
YES_NO = "use yes, no or unknown"
# One per fact group's date.
BAD_DATES = [
    "03/01/2026", "2026-02-30", "2026-3-1", "yesterday", "2026-03-01T10:00", "1.3.2026",
    "2026-13-01", "20260301", "２０２６-03-01", "March 2026",
]  # fmt: skip
PAYMENT = (
    "known: commercial-insurance, medicare, medicaid, tricare, va-community-care, self-pay, "
    "hsa-fsa, superbill, financing, spravato-savings"
)
BAD_VALUES = [
    ("price_min", "abc", NOT_WHOLE.format("abc")),
    ("price_max", "$750", NOT_WHOLE.format("$750")),
    ("consultation_fee", "1,500", NOT_WHOLE.format("1,500")),
    ("course_price", "-5", NOT_WHOLE.format("-5")),
    ("observation_minutes", "4.5", NOT_WHOLE.format("4.5")),
    ("course_sessions", "six", NOT_WHOLE.format("six")),
    ("course_weeks", "٣", NOT_WHOLE.format("٣")),  # an Arabic-Indic digit
    ("wait_days", "40000", "too large: '40000'; at most 32767"),
    ("price_min", "3000000000", "too large: '3000000000'; at most 2147483647"),
    ("course_price", "9" * 5000, f"too large: '{'9' * 40}…'; at most 2147483647"),
    ("price_includes", "x" * 301, "Ensure this value has at most 300 characters (it has 301)."),
    ("sent_home", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ("payment_options", "self-pay;visa", f"unknown slug 'visa'; {PAYMENT}"),
    ("payment_declined", "cash", f"unknown slug 'cash'; {PAYMENT}"),
    (
        "prescriber_types",
        "doctor",
        "unknown slug 'doctor'; known: psychiatrist, anesthesiologist, emergency-physician, "
        "other-physician, psychiatric-np, np, crna, pa",
    ),
    ("languages", "xx", "unknown language code 'xx'; use ISO 639-1 codes, like en, es or zh"),
    ("languages", "Spanish", "unknown language code 'Spanish'; use ISO 639-1 codes, Spanish is es"),
    ("languages", "eng", "unknown language code 'eng'; use ISO 639-1 codes, like en, es or zh"),
    ("rems_certified", "maybe", YES_NO),
    ("board_certified", "2", YES_NO),
    ("vitals_monitored", "always", YES_NO),
    ("ride_home_required", "x", YES_NO),
    ("consultation_required", "x", YES_NO),
    ("referral_required", "x", YES_NO),
    ("existing_patients_only", "x", YES_NO),
    ("consultation_fee_refunded", "x", YES_NO),
    ("in_person_evaluation", "x", YES_NO),
    ("compounded", "x", YES_NO),
    (
        "kap",
        "sometimes",
        "unknown value 'sometimes'; use in-house, partner, not-offered, "
        "or leave it blank for unknown",
    ),
    (
        "present_throughout",
        "doctor",
        "unknown value 'doctor'; use physician, advanced-practice, nurse, remote, none, "
        "or leave it blank for unknown",
    ),
    (
        "medical_director_credential",
        "DDS",
        "unknown value 'DDS'; use MD, DO, NP, PA, CRNA, or leave it blank for unknown",
    ),
    ("npi", "1234567890", "This NPI's check digit is wrong; check it against the NPI registry."),
    ("npi", "123456789", "An NPI is exactly 10 digits."),
    ("npi", "12345678ab", "An NPI is exactly 10 digits."),
    ("npi", "1.23457E+09", "An NPI is exactly 10 digits."),  # what a spreadsheet makes of it
    *(
        (f"{group.key}_confirmed", value, NOT_A_DATE.format(value))
        for group, value in zip(FACT_GROUPS, BAD_DATES, strict=True)
    ),
    ("opening_hours", "Mon-Fri 9-5", '"9-5" should be a range like 08:00-17:00.'),
    (
        "opening_hours",
        "08:00-17:00",
        '"08:00-17:00" should be days then times, like "Mon-Fri 08:00-17:00".',
    ),
    (
        "opening_hours",
        "Fri-Mon 08:00-17:00",
        '"Fri-Mon" runs backwards; write Monday first, e.g. "Mon-Fri".',
    ),
    ("opening_hours", "Mon 17:00-08:00", '"17:00-08:00" closes before it opens.'),
    (
        "opening_hours",
        "Fun 08:00-12:00",
        '"Fun" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun.',
    ),
    ("opening_hours", "Mon 08:00-12:00, 11:00-13:00", "On Monday two ranges overlap."),
    ("opening_hours", "Mon 08:00-25:00", "25:00 is not a time of day."),
    ("wheelchair_accessible", "ramp", YES_NO),
    ("private_room", "sometimes", YES_NO),
]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    BAD_VALUES,
    ids=[f"{column}-{n}" for n, (column, _, _) in enumerate(BAD_VALUES)],
)
def test_a_bad_value_is_reported_with_its_row_and_column_and_nothing_is_written(
    importer, column, value, message
):
    clinic_with_every_fact(external_id="other-1", npi="")  # must stay as it is
    columns = [*COLUMNS, column]
    data = csv_bytes(columns, line(columns, external_id="good-1"), line(columns, **{column: value}))
    assert importer.refused(data) == [f"row 3, {column}: {message}"]


def test_every_optional_column_has_a_bad_value_case():
    # Free text without a length limit takes anything.
    free = {"hours_note"}
    # Text with a limit like price_includes: the model's message, as for sent_home.
    limited = {"cancellation_terms", "medical_director_name", "course_notes"}
    assert {column for column, _, _ in BAD_VALUES} == set(OPTIONAL_COLUMNS) - free - limited


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", ""])
def test_a_valid_npi_or_a_blank_one_is_taken(importer, npi):
    columns = [*COLUMNS, "npi"]
    importer.ok(csv_bytes(columns, line(columns, npi=npi)))
    assert facts_of()["npi"] == npi


def test_a_lowest_price_above_the_highest_is_refused(importer):
    columns = [*COLUMNS, "price_min", "price_max"]
    assert importer.refused(csv_bytes(columns, line(columns, price_min="800"))) == [
        "row 2, price_max: The highest price must be at least the lowest price."
    ]


def test_a_payment_option_both_accepted_and_declined_is_refused(importer):
    columns = [*COLUMNS, "payment_declined", "payment_options"]
    row = line(columns, payment_options="medicare;self-pay", payment_declined="Self-Pay;medicare")
    assert importer.refused(csv_bytes(columns, row)) == [
        "row 2, payment_declined: medicare, self-pay also in payment_options; "
        "an option is either accepted or declined"
    ]


def test_one_column_of_a_pair_is_checked_against_the_stored_other(importer):
    clinic_with_every_fact()  # 300 to 750; accepts self-pay; declines medicare
    columns = [*COLUMNS, "price_max", "payment_declined"]
    data = csv_bytes(columns, line(columns, price_max="200", payment_declined="self-pay"))
    assert importer.refused(data) == [
        "row 2, price_max: below this provider's price_min (300); give price_min too",
        "row 2, payment_declined: self-pay also in this provider's payment_options; "
        "give payment_options too",
    ]
    columns = [*COLUMNS, "price_min", "payment_options"]
    data = csv_bytes(columns, line(columns, price_min="800", payment_options="medicare"))
    assert importer.refused(data) == [
        "row 2, price_min: above this provider's price_max (750); give price_max too",
        "row 2, payment_options: medicare also in this provider's payment_declined; "
        "give payment_declined too",
    ]
    # Both columns of a pair: the file is the truth for both.
    columns = [*COLUMNS, "price_min", "price_max", "payment_options", "payment_declined"]
    row = line(
        columns, price_min="800", price_max="900", payment_options="medicare", payment_declined=""
    )
    importer.ok(csv_bytes(columns, row))
    facts = facts_of()
    assert (facts["price_min"], facts["payment_options"], facts["payment_declined"]) == (
        800,
        ["medicare"],
        [],
    )


def test_one_column_of_a_pair_is_free_for_a_new_provider(importer):
    columns = [*COLUMNS, "price_max", "payment_declined"]
    importer.ok(csv_bytes(columns, line(columns, price_max="200", payment_declined="self-pay")))
    assert (facts_of()["price_max"], facts_of()["payment_declined"]) == (200, ["self-pay"])


def test_a_site_fact_on_a_row_without_a_location_is_refused(importer):
    columns = [*COLUMNS, *LOCATION_FACT_COLUMNS]
    no_site = dict.fromkeys(["address1", "address2", "city", "state", "zip"], "") | {
        "latitude": "",
        "longitude": "",
        "serves_states": "TX",
    }
    rule = "a site's fact, but this row has no location; give its address or leave this blank"
    errors = importer.refused(csv_bytes(columns, line(columns, **no_site, private_room="")))
    assert errors == [
        f"row 2, opening_hours: {rule}",
        f"row 2, hours_note: {rule}",
        f"row 2, wheelchair_accessible: {rule}",
    ]
    blanks = dict.fromkeys(LOCATION_FACT_COLUMNS, "")
    importer.ok(csv_bytes(columns, line(columns, **no_site, **blanks)))
    assert not Location.objects.exists()


def test_provider_facts_must_agree_on_every_row_but_site_facts_may_differ(importer):
    columns = ALL_COLUMNS
    second_site = {
        "address1": "1 Main St",
        "address2": "",
        "city": "Round Rock",
        "zip": "78664",
        "latitude": "30.5083",
        "longitude": "-97.6789",
        "opening_hours": "Sat 10:00-14:00",
        "hours_note": "",
        "wheelchair_accessible": "no",
        "private_room": "yes",
    }
    data = csv_bytes(
        columns,
        line(columns),
        line(columns, **second_site, kap="in-house", languages="es;en", npi=""),
    )
    rule = "differs from row 2 for external_id hill-1; provider columns must agree on every row"
    assert importer.refused(data) == [
        f"row 3, npi: {rule} of a provider",
        f"row 3, kap: {rule} of a provider",
        f"row 3, languages: {rule} of a provider",
    ]
    importer.ok(csv_bytes(columns, line(columns), line(columns, **second_site)))
    assert facts_of()["sites"] == [
        *STORED["sites"],
        ("1 Main St", [{"day": 5, "opens": "10:00", "closes": "14:00"}], "", False, True),
    ]


def test_every_bad_value_of_a_file_is_reported_in_row_and_column_order(importer):
    clinic_with_every_fact(external_id="other-1")
    columns = [*COLUMNS, "private_room", "wait_days", "kap", "npi", "price_min"]
    data = csv_bytes(
        columns,
        line(columns, npi="1", private_room="?", phone="12"),
        line(columns, external_id="hill-2", wait_days="soon", kap="no", price_min="1.5"),
    )
    assert importer.refused(data) == [
        "row 2, phone: Enter a U.S. phone number with area code, e.g. (512) 555-0100.",
        "row 2, npi: An NPI is exactly 10 digits.",
        "row 2, private_room: use yes, no or unknown",
        f"row 3, price_min: {NOT_WHOLE.format('1.5')}",
        "row 3, kap: unknown value 'no'; use in-house, partner, not-offered, "
        "or leave it blank for unknown",
        f"row 3, wait_days: {NOT_WHOLE.format('soon')}",
    ]


# --- Export, and back --------------------------------------------------------------------


def exported_rows():
    return list(csv.reader(io.StringIO(export_csv(Provider.objects.all()))))


def test_export_writes_todays_18_columns_then_every_fact():
    clinic_with_every_fact()
    header, row = exported_rows()
    assert header[: len(COLUMNS)] == COLUMNS
    assert header == ALL_COLUMNS
    cells = dict(zip(header, row, strict=True))
    assert {column: cells[column] for column in OPTIONAL_COLUMNS} == FACTS


def test_export_writes_unknown_facts_as_blank_cells():
    cast.austin_clinic()
    header, row = exported_rows()
    cells = dict(zip(header, row, strict=True))
    assert {column: cells[column] for column in OPTIONAL_COLUMNS} == dict.fromkeys(
        OPTIONAL_COLUMNS, ""
    )
    assert cells["accepting_new_patients"] == "yes"  # today's column, as today


def round_trip(importer):
    """Export, import into an empty directory, export again: return both exports."""
    first = export_csv(Provider.objects.all())
    Provider.objects.all().delete()
    importer.ok(first.encode())
    return first, export_csv(Provider.objects.all())


def test_export_reimports_exactly_with_every_fact_set(importer):
    clinic_with_every_fact()
    cast.at_home_service(
        in_person_evaluation=True,
        compounded=True,
        sent_home="=a blood-pressure cuff",  # a formula-looking fact, escaped and back
        price_includes="-10% for veterans",
        telehealth_confirmed=date(2026, 1, 31),
    ).languages.set(["es"])
    first, second = round_trip(importer)
    assert second == first
    assert facts_of() == STORED
    assert Provider.objects.get(external_id="at-home-1").sent_home == "=a blood-pressure cuff"
    assert "'=a blood-pressure cuff" in first


def test_export_reimports_exactly_with_every_fact_unknown(importer):
    cast.austin_clinic()
    cast.at_home_service()
    first, second = round_trip(importer)
    assert second == first
    assert facts_of("austin-1") == UNKNOWN | {"sites": [("100 Congress Ave", [], "", None, None)]}


def test_reimporting_an_export_changes_nothing(importer):
    clinic_with_every_fact()
    cast.austin_clinic()
    cast.at_home_service(kap="in-house").prescriber_types.set(["psychiatric-np"])
    before = snapshot()
    summary = importer.ok(export_csv(Provider.objects.all()).encode())
    assert summary == "0 created, 0 updated, 3 unchanged"
    assert snapshot() == before  # versions, history and relations included


# --- Writing -----------------------------------------------------------------------------


def test_a_changed_fact_makes_one_history_record_with_its_relations(importer):
    clinic = clinic_with_every_fact()
    records = clinic.history.count()
    columns = [*COLUMNS, "payment_options", "kap"]
    importer.ok(csv_bytes(columns, line(columns, payment_options="financing", kap="in-house")))
    assert clinic.history.count() == records + 1
    latest = clinic.history.first()
    assert latest.kap == "in-house"
    assert [option.paymentoption_id for option in latest.payment_options.all()] == ["financing"]


def test_reimporting_costs_the_same_queries_for_more_providers(importer):
    def queries(count):
        Provider.objects.all().delete()
        for n in range(count):
            clinic_with_every_fact(external_id=f"hill-{n}", name=f"Clinic {n}", slug=f"c-{n}")
        data = export_csv(Provider.objects.all()).encode()
        with CaptureQueriesContext(connection) as captured:
            assert importer.ok(data) == f"0 created, 0 updated, {count} unchanged"
        return len(captured)

    assert queries(2) == queries(6)


def test_the_admin_reads_the_fact_columns_too(editor_client):
    columns = [*COLUMNS, "kap", "languages"]
    url = reverse("admin:directory_provider_import")

    def preview(data):
        upload = SimpleUploadedFile("providers.csv", data, content_type="text/csv")
        return editor_client.post(url, {"import_file": upload, "format": "0", "resource": "0"})

    response = preview(csv_bytes(columns, line(columns, kap="maybe")))
    [invalid] = response.context["result"].invalid_rows
    assert (invalid.number, list(invalid.field_specific_errors)) == (2, ["kap"])
    response = preview(csv_bytes(columns, line(columns)))
    data = response.context["confirm_form"].initial
    editor_client.post(reverse("admin:directory_provider_process_import"), data, follow=True)
    assert (facts_of()["kap"], facts_of()["languages"]) == ("partner", ["en", "es"])
    export = editor_client.get(reverse("admin:directory_provider_export"))
    assert export.content.decode().splitlines()[0] == ",".join(ALL_COLUMNS)
