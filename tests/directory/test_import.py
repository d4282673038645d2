"""`manage.py import_providers`: one row per location, all or nothing, idempotent."""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.cache import VERSION_KEY, bump_content_version
from core.history import BASELINE_REASON
from core.models import ContentVersion
from directory import models
from directory.csvfile import ALL_COLUMNS, COLUMNS, export_csv
from directory.models import Location, Provider, deferred_copies
from tests.cast import austin_clinic, make_provider
from tests.directory.test_nearby import assert_copies_in_step

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)
# Two sites of one clinic, and an at-home service with no physical location.
GOOD_ROWS = [
    "hill-1,Hill Country Ketamine,,https://hill.example,512-555-0142,care@hill.example,"
    "Infusions for mood and pain.,200 Congress Ave,Suite 4,Austin,TX,78701,30.2669,-97.7428,"
    "depression;chronic-pain,iv-infusion,,yes",
    "hill-1,Hill Country Ketamine,,https://hill.example,512-555-0142,care@hill.example,"
    "Infusions for mood and pain.,1 Main St,,Round Rock,TX,78664,,,"
    "depression;chronic-pain,iv-infusion,,yes",
    "home-1,Buckeye Ketamine at Home,published,https://buckeye.example,,,"
    "Telehealth care.,,,,,,,,anxiety,oral-sublingual,OH;KY,unknown",
]


@pytest.fixture
def write_csv(tmp_path):
    def write(rows, header=HEADER, encoding="utf-8"):
        path = tmp_path / "providers.csv"
        path.write_bytes("\n".join([header, *rows]).encode(encoding) + b"\n")
        return path

    return write


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_providers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path, *args):
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_providers", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return err.getvalue().splitlines(), str(failure.value)


def snapshot():
    """Everything an import may change, to prove that a failed one changed nothing."""
    return (
        sorted(Provider.objects.values_list("external_id", "name", "status", "updated_at")),
        sorted(Location.objects.values_list("pk", "provider__external_id", "zip", "latitude")),
        sorted(Provider.conditions.through.objects.values_list("provider_id", "condition_id")),
        sorted(Provider.serves_states.through.objects.values_list("provider_id", "state_id")),
    )


def test_import_creates_providers_with_every_location(write_csv):
    out, _ = run(write_csv(GOOD_ROWS))
    assert out.strip() == "2 created, 0 updated, 0 unchanged"

    clinic = Provider.objects.get(external_id="hill-1")
    assert clinic.status == Provider.Status.PUBLISHED  # the default
    assert clinic.phone == "(512) 555-0142"
    assert clinic.accepting_new_patients is True
    assert sorted(clinic.conditions.values_list("slug", flat=True)) == [
        "chronic-pain",
        "depression",
    ]
    round_rock, downtown = clinic.locations.order_by("zip")
    assert (downtown.latitude, downtown.coordinates_source) == (30.2669, "manual")
    assert (round_rock.city, round_rock.coordinates_source) == ("Round Rock", "gazetteer")
    assert round_rock.latitude is not None

    service = Provider.objects.get(external_id="home-1")
    assert service.locations.count() == 0
    assert sorted(service.serves_states.values_list("code", flat=True)) == ["KY", "OH"]
    assert service.accepting_new_patients is None


def test_importing_the_same_file_twice_changes_nothing(write_csv):
    path = write_csv(GOOD_ROWS)
    run(path)
    before = snapshot()
    out, _ = run(path)
    assert out.strip() == "0 created, 0 updated, 2 unchanged"
    assert snapshot() == before


def test_the_file_is_the_truth_for_the_providers_it_names(write_csv):
    austin_clinic()  # not in the file: must stay as it is
    run(write_csv(GOOD_ROWS))
    untouched = snapshot()[0][0]
    renamed = [GOOD_ROWS[0].replace("Hill Country Ketamine", "Hill Country Ketamine Care")]
    out, _ = run(write_csv([*renamed, GOOD_ROWS[2]]))
    assert out.strip() == "0 created, 1 updated, 1 unchanged"
    clinic = Provider.objects.get(external_id="hill-1")
    assert clinic.name == "Hill Country Ketamine Care"
    assert list(clinic.locations.values_list("zip", flat=True)) == ["78701"]  # Round Rock gone
    assert Provider.objects.get(external_id="austin-1").locations.count() == 1
    assert untouched in snapshot()[0]


def copy_updates(queries):
    """The UPDATEs of the sites' copies of their providers among `queries`."""
    updates = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    return [sql for sql in updates if '"directory_location"' in sql and "condition_bits" in sql]


def test_an_import_leaves_the_sites_copies_in_step_in_one_update(write_csv):
    austin_clinic()
    with CaptureQueriesContext(connection) as first:
        run(write_csv(GOOD_ROWS))
    assert_copies_in_step()
    # A second file closes the clinic, changes its conditions and replaces a site.
    changed = [
        GOOD_ROWS[0]
        .replace(",,https://hill.example", ",closed,https://hill.example")
        .replace("depression;chronic-pain", "ptsd"),
        GOOD_ROWS[1]
        .replace(",,https://hill.example", ",closed,https://hill.example")
        .replace("depression;chronic-pain", "ptsd")
        .replace("1 Main St,,Round Rock,TX,78664", "9 Oak St,,Austin,TX,78702"),
    ]
    with CaptureQueriesContext(connection) as second:
        out, _ = run(write_csv(changed))
    assert out.strip() == "0 created, 1 updated, 0 unchanged"
    assert_copies_in_step()
    assert not Location.objects.filter(provider__external_id="hill-1", published=True).exists()
    # Each save, link and site used to copy at once: three UPDATEs or more a provider.
    assert len(copy_updates(first.captured_queries)) == 1
    assert len(copy_updates(second.captured_queries)) == 1


def test_an_import_copies_a_batch_of_providers_an_update(write_csv, monkeypatch):
    monkeypatch.setattr(models, "COPY_BATCH", 1)
    with CaptureQueriesContext(connection) as queries:
        run(write_csv(GOOD_ROWS))
    assert len(copy_updates(queries.captured_queries)) == 2  # two providers
    assert_copies_in_step()


def content_versions():
    """The database's content version and the response cache's, in Redis in production."""
    return ContentVersion.read(), cache.get(VERSION_KEY)


def test_an_import_counts_the_content_version_up_once_and_a_dry_run_not_at_all(
    write_csv, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        bump_content_version()
    before = content_versions()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(write_csv(GOOD_ROWS), "--dry-run")  # rolled back, Redis's version with it
    assert content_versions() == before
    assert not callbacks
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run(write_csv(GOOD_ROWS))
    after = content_versions()
    assert after[0] == before[0] + 1
    assert after[1] != before[1]
    # Each save and link counted it up: seven times a provider.
    bumps = [query for query in queries.captured_queries if "core_contentversion" in query["sql"]]
    assert len(bumps) == 1


def close_and_fail(clinic):
    with deferred_copies():
        clinic.status = Provider.Status.CLOSED
        clinic.save()
        raise RuntimeError("the import failed")  # its transaction would be rolled back


def test_after_a_deferral_that_failed_a_save_copies_at_once():
    clinic = austin_clinic()
    with pytest.raises(RuntimeError):
        close_and_fail(clinic)
    clinic.status = Provider.Status.PUBLISHED
    clinic.save()
    assert Location.objects.filter(provider=clinic, published=True).exists()
    clinic.status = Provider.Status.CLOSED
    clinic.save()
    assert not Location.objects.filter(provider=clinic, published=True).exists()


def test_a_bad_row_rolls_back_everything_and_every_error_is_reported(write_csv):
    austin_clinic()
    before = snapshot()
    bad = (
        "bad-1,Bad Clinic,sideways,ftp://bad.example,12,not-an-email,,1 Elm St,,Austin,ZZ,7870,"
        "95,,migraine,iv-infusion,XX,perhaps"
    )
    errors, message = run_failing(write_csv([*GOOD_ROWS, bad]))
    assert errors == [
        "row 5, status: Value 'sideways' is not a valid choice.",
        "row 5, website: Enter a valid URL.",
        "row 5, phone: Enter a U.S. phone number with area code, e.g. (512) 555-0100.",
        "row 5, email: Enter a valid email address.",
        "row 5, state: unknown state code 'ZZ'",
        "row 5, zip: Enter a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789).",
        "row 5, longitude: give both latitude and longitude, or neither",
        "row 5, conditions: unknown slug 'migraine'; known: addiction, anxiety, "
        "bipolar-depression, chronic-pain, depression, ocd, ptsd",
        "row 5, serves_states: unknown state code 'XX'",
        "row 5, accepting_new_patients: use yes, no or unknown",
    ]
    assert message.startswith("Nothing imported: 10 error(s) in ")
    assert snapshot() == before


def test_dry_run_reports_without_writing(write_csv):
    out, _ = run(write_csv(GOOD_ROWS), "--dry-run")
    assert out.strip() == "Dry run, nothing written: 2 created, 0 updated, 0 unchanged"
    assert Provider.objects.count() == 0


def test_dry_run_reports_errors_too(write_csv):
    errors, _ = run_failing(write_csv([GOOD_ROWS[0].replace("78701", "787")]), "--dry-run")
    assert errors[0].startswith("row 2, zip:")


def test_rows_of_one_provider_must_agree_on_provider_columns(write_csv):
    conflicting = GOOD_ROWS[1].replace("Hill Country Ketamine", "Other Name")
    errors, _ = run_failing(write_csv([GOOD_ROWS[0], conflicting]))
    assert errors == [
        "row 3, name: differs from row 2 for external_id hill-1; "
        "provider columns must agree on every row of a provider"
    ]
    assert Provider.objects.count() == 0


def test_missing_and_unknown_columns_are_reported_on_row_1(write_csv):
    header = HEADER.replace("email,", "").replace("zip", "postcode")
    errors, _ = run_failing(write_csv([], header=header))
    assert "row 1, email: missing column" in errors
    assert "row 1, zip: missing column" in errors
    assert any(error.startswith("row 1, postcode: unknown column") for error in errors)


def test_a_file_that_is_not_utf8_is_refused_clearly(write_csv):
    path = write_csv([GOOD_ROWS[2].replace("Buckeye", "Bückeye")], encoding="latin-1")
    errors, _ = run_failing(path)
    assert errors[0].startswith("row 1, file: not UTF-8 text")


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_providers", str(tmp_path / "nope.csv"))


def test_a_row_without_address_or_zip_is_a_provider_without_location(write_csv):
    run(write_csv([GOOD_ROWS[2]]))
    assert not Location.objects.exists()


def test_a_location_needs_an_address(write_csv):
    no_street = GOOD_ROWS[0].replace("200 Congress Ave,Suite 4,", ",Suite 4,")
    errors, _ = run_failing(write_csv([no_street]))
    assert errors[0].startswith("row 2, address1:")


def test_formula_looking_cells_are_stored_as_plain_text(write_csv):
    row = GOOD_ROWS[2].replace("Buckeye Ketamine at Home", '=HYPERLINK("x")')
    run(write_csv([row]))
    assert Provider.objects.get(external_id="home-1").name == '=HYPERLINK("x")'


def test_export_escapes_formulas_and_round_trips(write_csv, tmp_path):
    run(write_csv(GOOD_ROWS))
    Provider.objects.filter(external_id="home-1").update(name="=cmd|' /C calc'!A0")
    Provider.objects.filter(external_id="hill-1").update(description="@SUM(1+1)")
    exported = export_csv(Provider.objects.all())
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0]) == ALL_COLUMNS  # today's 18 first, then the facts
    assert ALL_COLUMNS[: len(COLUMNS)] == COLUMNS
    assert len(rows) == 3  # one per location, and one for the at-home service
    assert {row["name"] for row in rows} >= {"'=cmd|' /C calc'!A0"}
    assert rows[0]["description"] == "'@SUM(1+1)"
    assert rows[0]["longitude"] == "'-97.7428"  # every value starting with "-" is escaped
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))

    path = tmp_path / "exported.csv"
    path.write_text(exported)
    before = snapshot()
    out, _ = run(path)
    assert out.strip() == "0 created, 0 updated, 2 unchanged"
    assert snapshot() == before


# --- Many providers at once ------------------------------------------------------------


def clinic_rows(name, numbers, conditions="depression;ptsd"):
    """Clinics "`name` 1", "`name` 2" … for `numbers`, two sites each: one placed from
    its ZIP code, one at coordinates the file gives."""
    rows = []
    for number in numbers:
        provider = f"{name.split()[0].lower()}-{number},{name} {number},,https://clinic.example,"
        terms = f"{conditions},iv-infusion,OK,yes"
        rows.append(f"{provider}512-555-0142,,,{number} Main St,,Austin,TX,78701,,,{terms}")
        rows.append(
            f"{provider}512-555-0142,,,{number} Oak St,,Austin,TX,78702,30.27,-97.74,{terms}"
        )
    return rows


def queries_to_import(path):
    with CaptureQueriesContext(connection) as queries:
        run(path)
    return len(queries.captured_queries)


def test_new_providers_are_written_a_query_a_table_not_a_query_a_provider(write_csv):
    """Written one at a time, a new provider cost 17 queries and each of its sites 3."""
    one = queries_to_import(write_csv(clinic_rows("Mesa Ketamine", [1])))
    assert queries_to_import(write_csv(clinic_rows("Prairie Ketamine", range(4)))) == one
    assert_copies_in_step()
    for provider in Provider.objects.filter(external_id__startswith="prairie-"):
        [record] = provider.history.all()
        assert record.history_type == "+"
        assert set(record.conditions.values_list("condition__slug", flat=True)) == {
            "depression",
            "ptsd",
        }
        assert set(provider.serves_states.values_list("code", flat=True)) == {"OK"}
        placed, typed = provider.locations.order_by("zip")
        assert (placed.coordinates_source, typed.coordinates_source) == ("gazetteer", "manual")
        assert placed.latitude is not None
        assert placed.city_slug == "austin"
        assert Location.history.filter(id__in=[placed.pk, typed.pk], history_type="+").count() == 2
    assert Provider.objects.get(external_id="prairie-3").name_search == " prairie ketamine 3"


def test_new_providers_get_slugs_that_no_provider_has(write_csv):
    make_provider(name="Hill Country Ketamine", slug="hill-country-ketamine")
    make_provider(name="Hill Country Ketamine", slug="hill-country-ketamine-2")
    # Only a numbered one taken: the name's own is free, and the next after it is -3.
    make_provider(name="Buckeye", slug="buckeye-ketamine-at-home-2")
    rows = [
        *(f"hill-{n},Hill Country Ketamine,,,,,,,,,,,,,depression,,,yes" for n in (1, 2, 3)),
        *(f"home-{n},Buckeye Ketamine at Home,,,,,,,,,,,,,anxiety,,OH,yes" for n in (1, 2)),
    ]
    run(write_csv(rows))
    slugs = dict(Provider.objects.exclude(external_id=None).values_list("external_id", "slug"))
    assert slugs == {
        "hill-1": "hill-country-ketamine-3",
        "hill-2": "hill-country-ketamine-4",
        "hill-3": "hill-country-ketamine-5",
        "home-1": "buckeye-ketamine-at-home",
        "home-2": "buckeye-ketamine-at-home-3",
    }


def test_providers_with_no_history_are_recorded_as_stored_then_as_changed(write_csv):
    """Providers seeded or loaded from fixtures have no history: the first change records
    each as it was stored, then as changed, for all of them at once. One at a time, that
    read each provider and its seven relations again (a changed provider cost 24 queries)."""
    path = write_csv(clinic_rows("Prairie Ketamine", range(4)))
    run(path)
    Provider.history.all().delete()
    run(path)  # nothing changes: nothing is recorded
    assert not Provider.history.exists()
    one = queries_to_import(write_csv(clinic_rows("Prairie Ketamine", [0], "anxiety")))
    three = queries_to_import(write_csv(clinic_rows("Prairie Ketamine", [1, 2, 3], "anxiety")))
    # Each changed provider's own: its row's UPDATE, its old conditions' links deleted and
    # the new one's inserted.
    assert three - one == 2 * 3
    for provider in Provider.objects.filter(external_id__startswith="prairie-"):
        baseline, change = provider.history.order_by("history_date", "history_id")
        assert baseline.history_change_reason == BASELINE_REASON
        assert baseline.history_user is None
        assert set(baseline.conditions.values_list("condition__slug", flat=True)) == {
            "depression",
            "ptsd",
        }
        assert change.history_type == "~"
        assert list(change.conditions.values_list("condition__slug", flat=True)) == ["anxiety"]
        assert [c.field for c in change.diff_against(baseline).changes] == ["conditions"]
    assert_copies_in_step()


def test_a_provider_with_no_history_whose_sites_alone_change_is_recorded_as_stored(write_csv):
    """Its own fields are as they were, so its save writes no record of a change (the
    sites keep their own history), but the record of how it was stored comes first."""
    run(write_csv(clinic_rows("Prairie Ketamine", [0])))
    Provider.history.all().delete()
    moved = [row.replace("0 Oak St", "5 Elm St") for row in clinic_rows("Prairie Ketamine", [0])]
    out, _ = run(write_csv(moved))
    assert out.strip() == "0 created, 1 updated, 0 unchanged"
    [baseline] = Provider.objects.get(external_id="prairie-0").history.all()
    assert baseline.history_change_reason == BASELINE_REASON
