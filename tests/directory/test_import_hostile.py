"""Hostile CSV files, through both ways in: `manage.py import_providers` and the admin's
upload → preview → confirm.

Each file gives a clear message naming the row and column (or the problem), exit
status 1 on the command line or the form again in the admin (never a 500), or a
safe result; and a failed import leaves every provider, location and many-to-many
row exactly as it was. The two ways in share one importer, so most cases expect
the very same messages from both.

Decisions these tests pin down:
- Unknown extra columns are an error, as missing ones are: the CSV columns (the
  18 required, then the optional facts of tests/directory/test_import_facts.py) are
  a fixed contract, and a misspelt column silently ignored would lose data.
- A row with fewer cells than the header is an error, not padded with blanks:
  it is nearly always a line break or quote out of place.
- The size limit (IMPORT_MAX_BYTES, 10 MB by default) refuses a larger file
  before it is read, on both ways in.
- Formula-looking cells are stored as typed; export prefixes `'` to any value a
  spreadsheet could run, and to a value that already starts with such a `'`, so
  that importing an export gives back every value exactly.
"""

import csv
import io
import random
import subprocess
import sys
import time
import tracemalloc
import zipfile
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from import_export.tmp_storages import CacheStorage

from directory.csvfile import ALL_COLUMNS, COLUMNS, FORMULA_PREFIXES, OPTIONAL_COLUMNS, export_csv
from directory.models import Location, Provider
from tests import cast
from tests.conftest import BASE_DIR, clean_env

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
HEADER = ",".join(COLUMNS)
EXPECTED = f"{', '.join(COLUMNS)}, then any of {', '.join(OPTIONAL_COLUMNS)}"
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
    "conditions": "depression;chronic-pain",
    "treatments": "iv-infusion",
    "serves_states": "",
    "accepting_new_patients": "yes",
}


def line(**cells):
    """One CSV line (no line ending) of a valid clinic row, with `cells` changed."""
    out = io.StringIO()
    # With "\r\n" as its line ending the writer quotes a cell holding \r or \n.
    csv.writer(out, lineterminator="\r\n").writerow([{**CELLS, **cells}[c] for c in COLUMNS])
    return out.getvalue().removesuffix("\r\n")


def csv_bytes(*lines, header=HEADER, newline="\n", encoding="utf-8"):
    return newline.join([header, *lines, ""]).encode(encoding)


def snapshot():
    """Every row an import may touch, to prove that a failed one touched nothing."""
    return (
        list(Provider.objects.order_by("pk").values()),
        list(Location.objects.order_by("pk").values()),
        sorted(Provider.conditions.through.objects.values_list()),
        sorted(Provider.treatments.through.objects.values_list()),
        sorted(Provider.serves_states.through.objects.values_list()),
    )


@pytest.fixture
def existing(db):
    """Providers already in the directory: a failed import must leave them be."""
    return [cast.austin_clinic(), cast.round_rock_clinic(), cast.at_home_service()]


# --- The two ways in -------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    errors: list = field(default_factory=list)  # "row N, column: message"
    summary: str = ""


class CommandLine:
    name = "cli"

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def run(self, data, filename="providers.csv"):
        path = self.tmp_path / filename
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_providers", str(path), stdout=out, stderr=err)
        except CommandError as error:
            failure = error
        else:
            return Outcome(True, summary=out.getvalue().strip())
        assert failure.returncode == 1
        assert str(failure).startswith("Nothing imported: ")
        return Outcome(False, err.getvalue().splitlines(), str(failure))


class Admin:
    name = "admin"

    def __init__(self, client):
        self.client = client

    def preview(self, data, filename="providers.csv"):
        upload = SimpleUploadedFile(filename, data, content_type="text/csv")
        url = reverse("admin:directory_provider_import")
        response = self.client.post(url, {"import_file": upload, "format": "0", "resource": "0"})
        assert response.status_code == 200  # the form again, or the preview
        return response

    def run(self, data, filename="providers.csv"):
        response = self.preview(data, filename)
        if "confirm_form" not in response.context:
            return Outcome(False, preview_errors(response))
        response = self.confirm(response)
        messages = [str(message) for message in response.context["messages"]]
        return Outcome(
            not any(m.startswith("Nothing imported") for m in messages),
            [m for m in messages if m.startswith("row ")],
            " ".join(messages),
        )

    def confirm(self, preview_response):
        data = preview_response.context["confirm_form"].initial
        url = reverse("admin:directory_provider_process_import")
        response = self.client.post(url, data, follow=True)
        assert response.status_code == 200
        return response


def preview_errors(response):
    """The admin's errors in the command line's words: the form's, then each row's."""
    errors = list(response.context["form"].errors.get("import_file", []))
    result = response.context.get("result")
    for row in result.invalid_rows if result else []:
        for column, messages in row.field_specific_errors.items():
            errors += [f"row {row.number}, {column}: {message}" for message in messages]
    assert errors, "a refused file must say why"
    return errors


@pytest.fixture(params=["cli", "admin"])
def way_in(request, tmp_path):
    if request.param == "cli":
        return CommandLine(tmp_path)
    return Admin(request.getfixturevalue("editor_client"))


def refused(way_in, data, **kwargs):
    """Import `data`; check that it failed and changed nothing; return its errors."""
    before = snapshot()
    outcome = way_in.run(data, **kwargs)
    assert not outcome.ok
    assert snapshot() == before
    return outcome.errors


def imported(way_in, data, **kwargs):
    outcome = way_in.run(data, **kwargs)
    assert outcome.ok, outcome.errors
    return outcome


# --- Encodings and files that are not CSV at all ---------------------------------------


def test_a_cp1252_file_is_refused_naming_the_first_bad_byte(way_in, existing):
    data = csv_bytes(line(name="Clínica “Ñandú”"), encoding="cp1252")
    offset = data.index("í".encode("cp1252"))
    assert refused(way_in, data) == [
        f"row 1, file: not UTF-8 text (byte {offset}); save it as CSV UTF-8"
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_refused_as_utf16(way_in, existing, encoding):
    data = csv_bytes(line(), encoding=encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # Python writes the BOM only for "utf-16"
    assert refused(way_in, data) == ["row 1, file: this file is UTF-16 text; save it as CSV UTF-8"]


def test_a_utf8_file_with_a_bom_imports_with_its_accents(way_in, existing):
    # Excel's "CSV UTF-8" starts with a BOM; the first column must still be external_id.
    data = b"\xef\xbb\xbf" + csv_bytes(line(name="Clínica Ñandú", city="Española", zip="78701"))
    imported(way_in, data)
    clinic = Provider.objects.get(external_id="hill-1")
    assert clinic.name == "Clínica Ñandú"
    assert clinic.locations.get().city == "Española"


def png():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/worksheets/sheet1.xml", HEADER)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (png, "row 1, file: not UTF-8 text (byte 0); save it as CSV UTF-8"),
        (
            xlsx,
            "row 1, file: this file is an Excel workbook or zip archive, not CSV; "
            "save it as CSV UTF-8",
        ),
        (
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "row 1, file: this file is an old Excel workbook, not CSV; save it as CSV UTF-8",
        ),
        (
            lambda: csv_bytes(line(description="Infusions\x00 for mood")),
            "row 1, file: not a CSV text file (it contains NUL bytes)",
        ),
        (
            # UTF-16 without a BOM decodes as "UTF-8" full of NULs.
            lambda: csv_bytes(line(), encoding="utf-16-le"),
            "row 1, file: not a CSV text file (it contains NUL bytes)",
        ),
    ],
    ids=["png", "xlsx-zip", "xls", "nul-bytes", "utf16-without-bom"],
)
def test_a_file_that_is_not_csv_text_is_refused_saying_what_it_is(way_in, existing, make, error):
    assert refused(way_in, make(), filename="providers.csv") == [error]


def test_random_binary_garbage_is_refused(way_in, existing):
    garbage = random.Random(8).randbytes(64 * 1024)
    [error] = refused(way_in, garbage)
    assert error.startswith("row 1, file: not UTF-8 text (byte ")


# --- Columns, rows and line endings -------------------------------------------------------


def test_duplicate_and_unknown_header_names_are_reported_on_row_1(way_in, existing):
    header = HEADER.replace("email", "name") + ",notes"
    errors = refused(way_in, csv_bytes(line() + ",see me", header=header))
    assert errors == [
        "row 1, email: missing column",
        f"row 1, notes: unknown column; expected {EXPECTED}",
        "row 1, name: column appears twice",
    ]


def test_an_extra_column_is_an_error_not_ignored(way_in, existing):
    # Ignoring it would silently drop what the editor meant to import.
    errors = refused(way_in, csv_bytes(line() + ",Dr. Rivera", header=HEADER + ",director"))
    assert errors == [f"row 1, director: unknown column; expected {EXPECTED}"]


def test_an_empty_file_is_refused(way_in, existing):
    # Django's upload form refuses an empty file before any importer sees it.
    expected = {"cli": "row 1, file: the file is empty", "admin": "The submitted file is empty."}
    assert refused(way_in, b"") == [expected[way_in.name]]


@pytest.mark.parametrize("trailer", ["", "\n\n", "\n,,,\n"], ids=["header", "blank", "commas"])
def test_a_header_without_data_rows_is_refused(way_in, existing, trailer):
    assert refused(way_in, (HEADER + trailer).encode()) == ["row 2, file: no data rows"]


def test_blank_lines_are_skipped_but_still_counted_as_rows(way_in, existing):
    data = csv_bytes("", line(), " , ,", "", line(external_id="hill-2", zip="787"))
    assert refused(way_in, data) == [
        "row 6, zip: Enter a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789)."
    ]
    imported(way_in, csv_bytes("", line(), " , ,", "", line(external_id="hill-2")))
    assert Provider.objects.filter(external_id__startswith="hill-").count() == 2


def test_a_row_with_too_many_cells_is_refused(way_in, existing):
    data = csv_bytes(line(), line(external_id="hill-2") + ",stray")
    assert refused(way_in, data) == ["row 3, row: more cells than there are columns"]


def test_a_row_with_too_few_cells_is_refused_not_padded(way_in, existing):
    # Padding would publish a clinic with no address, phone or conditions.
    data = csv_bytes(line(), "hill-2,Half A Row,published,https://half.example")
    assert refused(way_in, data) == [
        "row 3, row: 4 cells, but the header has 18 columns; "
        "is a quote or a line break out of place?"
    ]


def test_trailing_empty_cells_beyond_the_header_are_allowed(way_in, existing):
    # Spreadsheets pad rows to the widest one with empty cells.
    imported(way_in, csv_bytes(line() + ",,", line(external_id="hill-2") + ","))
    assert Provider.objects.filter(external_id__in=["hill-1", "hill-2"]).count() == 2


def test_an_unclosed_quote_is_refused(way_in, existing):
    # The quote swallows the rest of the file into one cell: the row comes up short.
    data = csv_bytes(line().replace("Infusions for mood", '"Infusions for mood'), line())
    [error] = refused(way_in, data)
    assert error.startswith("row 2, row: 7 cells, but the header has 18 columns")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_line_ending_reads_the_same(way_in, existing, newline):
    rows = [line(), line(address1="1 Main St", address2="", city="Round Rock", zip="78664")]
    imported(way_in, csv_bytes(*rows, newline=newline))
    clinic = Provider.objects.get(external_id="hill-1")
    assert clinic.name == "Hill Country Ketamine"  # no stray \r
    assert sorted(clinic.locations.values_list("city", "zip")) == [
        ("Austin", "78701"),
        ("Round Rock", "78664"),
    ]
    assert clinic.accepting_new_patients is True  # "yes", not "yes\r"
    # The same rows with other line endings are the same file.
    other = "\r\n" if newline == "\n" else "\n"
    before = snapshot()
    assert imported(way_in, csv_bytes(*rows, newline=other))
    assert snapshot() == before


def test_quoted_line_breaks_stay_in_the_description_and_rows_count_records(way_in, existing):
    description = 'Ketamine, with care.\nMon–Fri only; "walk-ins" welcome.\n\nAsk us.'
    data = csv_bytes(line(description=description), line(external_id="hill-2", zip="1"))
    # Row 3 is the third record, as a spreadsheet shows it, not the sixth line.
    assert refused(way_in, data) == [
        "row 3, zip: Enter a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789)."
    ]
    imported(way_in, csv_bytes(line(description=description)))
    assert Provider.objects.get(external_id="hill-1").description == description


def test_a_cell_over_the_csv_field_limit_is_refused(way_in, existing):
    data = csv_bytes(line(), line(external_id="hill-2", description="x" * 200_000))
    assert refused(way_in, data) == [
        "row 3, file: not valid CSV: field larger than field limit (131072)"
    ]


# --- Duplicate external ids -------------------------------------------------------------


def test_one_external_id_with_conflicting_fields_names_both_rows(way_in, existing):
    data = csv_bytes(
        line(),
        line(
            external_id="home-1",
            name="Elsewhere",
            address1="",
            address2="",
            city="",
            state="",
            zip="",
            latitude="",
            longitude="",
        ),
        line(status="draft", accepting_new_patients="no", address1="9 Oak St"),
    )
    rule = "provider columns must agree on every row of a provider"
    assert refused(way_in, data) == [
        f"row 4, status: differs from row 2 for external_id hill-1; {rule}",
        f"row 4, accepting_new_patients: differs from row 2 for external_id hill-1; {rule}",
    ]


def test_an_existing_external_id_is_updated_in_place_and_a_second_import_changes_nothing(
    way_in, existing
):
    austin = existing[0]
    data = csv_bytes(
        line(
            external_id="austin-1",
            name="Austin Ketamine Clinic & Wellness",
            address1="100 Congress Ave",
            address2="",
            latitude="30.2672",
            longitude="-97.7431",
            conditions="depression",
        )
    )
    location = austin.locations.get()
    imported(way_in, data)
    austin.refresh_from_db()
    assert austin.name == "Austin Ketamine Clinic & Wellness"
    assert Provider.objects.filter(external_id="austin-1").count() == 1
    assert austin.locations.get().pk == location.pk  # the same site, matched by address
    assert [c.slug for c in austin.conditions.all()] == ["depression"]
    before = snapshot()
    outcome = imported(way_in, data)
    assert snapshot() == before
    expected = {
        "cli": "0 created, 0 updated, 1 unchanged",
        "admin": "Import finished: 0 new, 0 updated, 0 deleted and 1 skipped providers.",
    }
    assert outcome.summary == expected[way_in.name]


# --- Size ---------------------------------------------------------------------------------


def big_csv(path, size):
    """Write a valid providers CSV of at least `size` bytes, one unique clinic per row."""
    template = line(external_id="big-{0}", name="Clinic {0}") + "\n"
    per_chunk = 1000
    written, n = 0, 0
    with path.open("w", newline="") as out:
        written += out.write(HEADER + "\n")
        while written < size:
            chunk = "".join(template.format(i) for i in range(n, n + per_chunk))
            written += out.write(chunk)
            n += per_chunk
    return path


def measured(run):
    """Run `run()`; return its result, seconds and peak Python memory (MB) meanwhile."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = run()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak / MB


def test_a_50_mb_file_is_refused_on_the_command_line_without_reading_it(tmp_path, existing):
    path = big_csv(tmp_path / "big.csv", 50 * MB)
    size = path.stat().st_size / MB
    before = snapshot()
    err = io.StringIO()

    def run():
        with pytest.raises(CommandError) as failure:
            call_command("import_providers", str(path), stdout=io.StringIO(), stderr=err)
        return failure.value

    failure, seconds, peak = measured(run)
    assert failure.returncode == 1
    assert err.getvalue().splitlines() == [
        f"row 1, file: the file is too large ({size:.1f} MB; the limit is 10 MB); "
        "split it into smaller files"
    ]
    assert snapshot() == before
    print(f"\ncli: refused {size:.1f} MB in {seconds:.3f} s, peak {peak:.1f} MB")
    assert peak < 5  # the file was never read

    # The whole command in a process of its own, against one refusing a tiny file.
    tiny = tmp_path / "tiny.csv"
    tiny.write_bytes(b"")
    big_rss, big_seconds, stderr = command_peak_rss(path, tmp_path)
    tiny_rss, _, _ = command_peak_rss(tiny, tmp_path)
    assert "the file is too large" in stderr
    print(f"cli process: {big_seconds:.2f} s, peak RSS {big_rss:.0f} MB (tiny: {tiny_rss:.0f})")
    assert big_rss - tiny_rss < 10


def command_peak_rss(path, tmp_path):
    """Run `manage.py import_providers path` in a child; return its peak RSS (MB), time, stderr.

    The peak is the child's own VmHWM: getrusage's ru_maxrss would include the
    RSS of this test process, which a forked child inherits on Linux.
    """
    code = (
        "import re, runpy, sys\n"
        "sys.argv = ['manage.py', 'import_providers', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_path('manage.py', run_name='__main__')\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print('peak', re.search(r'VmHWM:\\s+(\\d+)', status)[1], file=sys.stderr)\n"
    )
    # Refused before any query: the database is never created.
    env = clean_env(DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.perf_counter() - start
    assert child.returncode == 1, child.stderr
    kib = int(child.stderr.rsplit("peak ", 1)[1])
    return kib / 1024, seconds, child.stderr


def post_streamed(client, url, fields, upload_name, upload_path, body_path):
    """POST a multipart form whose file part is streamed from disk, as a real server would.

    The test client would build the whole 50 MB body in memory; here the request
    body is a file, so what is measured is what Django does with the upload.
    """
    boundary = "hostile-import-boundary"
    with body_path.open("wb") as body:
        for name, value in fields.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="import_file"; '
            f'filename="{upload_name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        )
        with upload_path.open("rb") as upload:
            while chunk := upload.read(MB):
                body.write(chunk)
        body.write(f"\r\n--{boundary}--\r\n".encode())
    with body_path.open("rb") as body:
        environ = client._base_environ(
            PATH_INFO=url,
            REQUEST_METHOD="POST",
            CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
            CONTENT_LENGTH=str(body_path.stat().st_size),
            **{"wsgi.input": body},
        )
        return client.handler(environ)


def test_a_50_mb_upload_is_refused_in_the_admin_without_reading_it(
    editor_client, tmp_path, existing
):
    path = big_csv(tmp_path / "big.csv", 50 * MB)
    size = path.stat().st_size / MB
    before = snapshot()
    editor_client.get(reverse("admin:directory_provider_import"))  # warm up the admin
    url = reverse("admin:directory_provider_import")
    fields = {"format": "0", "resource": "0"}

    def run():
        return post_streamed(editor_client, url, fields, "big.csv", path, tmp_path / "body")

    response, seconds, peak = measured(run)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"row 1, file: the file is too large ({size:.1f} MB; the limit is 10 MB); "
        "split it into smaller files"
    ) in html
    assert "Confirm import" not in html
    assert snapshot() == before
    print(f"\nadmin: refused {size:.1f} MB in {seconds:.3f} s, peak {peak:.1f} MB")
    # Django streams an upload over 2.5 MB to a temporary file in 64 KB chunks;
    # reading it whole (as django-import-export would) needs the file's size at least.
    assert peak < 10


def test_the_size_limit_is_one_setting_for_both_ways_in(way_in, existing, settings):
    settings.IMPORT_MAX_BYTES = 1000
    data = csv_bytes(*(line(external_id=f"hill-{n}") for n in range(10)))
    assert refused(way_in, data) == [
        f"row 1, file: the file is too large ({len(data) / MB:.1f} MB; the limit is "
        f"{1000 / MB:.3g} MB); split it into smaller files"
    ]
    settings.IMPORT_MAX_BYTES = len(data)
    imported(way_in, data)


def test_the_admin_refuses_more_rows_than_it_can_check_in_one_request(
    editor_client, existing, tmp_path, settings
):
    settings.IMPORT_ADMIN_MAX_ROWS = 5
    data = csv_bytes(*(line(external_id=f"hill-{n}") for n in range(6)))
    assert refused(Admin(editor_client), data) == [
        "row 1, file: the file has 6 rows; the admin imports at most 5 at a time. Split the "
        "file, or import it with `manage.py import_providers`."
    ]
    imported(CommandLine(tmp_path), data)  # the command line has no such limit


# --- Formulas --------------------------------------------------------------------------------


def test_formula_looking_cells_are_stored_as_typed_and_never_run(way_in, existing):
    cells = {
        "name": '=HYPERLINK("https://evil.example","Click")',
        "description": "+1 for ketamine",
        "address2": "-2+3",
        "city": "@SUM(A1:A9)",
    }
    imported(way_in, csv_bytes(line(**cells), line(**cells, external_id="hill-2")))
    clinic = Provider.objects.get(external_id="hill-1")
    location = clinic.locations.get()
    assert (clinic.name, clinic.description) == (cells["name"], cells["description"])
    assert (location.address2, location.city) == (cells["address2"], cells["city"])


def test_tab_and_carriage_return_prefixes_are_trimmed_like_other_spaces(way_in, existing):
    imported(way_in, csv_bytes(line(name="\t=1+1", description="\r=cmd|' /C calc'!A0")))
    clinic = Provider.objects.get(external_id="hill-1")
    assert (clinic.name, clinic.description) == ("=1+1", "=cmd|' /C calc'!A0")


def test_formulas_in_checked_columns_are_refused(way_in, existing):
    data = csv_bytes(
        line(website='=HYPERLINK("https://evil.example")', phone="=1+2", email="@SUM(1)"),
        line(external_id="hill-2", zip="+78701", latitude="=30", longitude="-2+3"),
        line(external_id="hill-3", conditions="=depression", serves_states="@TX"),
    )
    errors = refused(way_in, data)
    assert [error.split(":")[0] for error in errors] == [
        "row 2, website",
        "row 2, phone",
        "row 2, email",
        "row 3, zip",
        "row 3, latitude",
        "row 3, longitude",
        "row 4, conditions",
        "row 4, serves_states",
    ]
    assert "row 3, latitude: not a number: '=30'" in errors


def formula_provider():
    return cast.make_provider(
        name="'=already quoted",
        external_id="=formula-1",
        description="\t=1+1",
        locations=[
            {
                "address1": "@1 Main St",
                "address2": "''+x",
                "city": "-Austin",
                "state_id": "TX",
                "zip": "78701",
                "latitude": 30.2672,
                "longitude": -97.7431,
                "coordinates_source": Location.Source.MANUAL,
            }
        ],
    )


def test_export_escapes_everything_a_spreadsheet_could_run():
    formula_provider()
    rows = list(csv.reader(io.StringIO(export_csv(Provider.objects.all()))))
    assert rows[0] == ALL_COLUMNS
    row = dict(zip(ALL_COLUMNS, rows[1], strict=True))
    assert row["external_id"] == "'=formula-1"
    assert row["name"] == "''=already quoted"  # one more quote, so import gives it back
    assert row["description"] == "'\t=1+1"
    assert (row["address1"], row["address2"], row["city"]) == ("'@1 Main St", "'''+x", "'-Austin")
    assert row["longitude"] == "'-97.7431"
    for value in rows[1]:
        assert not value.startswith(FORMULA_PREFIXES)


def test_export_then_import_gives_back_every_value_exactly(way_in, editor_client, existing):
    formula_provider()
    response = editor_client.get(reverse("admin:directory_provider_export"))
    assert response.status_code == 200
    exported = response.content
    before = snapshot()
    outcome = imported(way_in, exported)
    assert snapshot() == before  # not escaped twice, not unescaped once too often
    assert outcome.summary in {
        "0 created, 0 updated, 4 unchanged",
        "Import finished: 0 new, 0 updated, 0 deleted and 4 skipped providers.",
    }


# --- Values the database would refuse --------------------------------------------------------


def test_values_longer_than_their_columns_are_refused_before_the_database(way_in, existing):
    data = csv_bytes(
        line(external_id="x" * 65),
        line(
            external_id="hill-2",
            name="N" * 201,
            email="e" * 250 + "@x.example",
            website="https://" + "w" * 500 + ".example",
        ),
        line(
            external_id="hill-3",
            address1="A" * 201,
            address2="B" * 201,
            city="C" * 101,
            zip="78701-12345",
        ),
        line(external_id="hill-4", conditions="c" * 10_000),
    )
    errors = refused(way_in, data)
    assert errors[0] == "row 2, external_id: at most 64 characters"
    assert "row 3, name: Ensure this value has at most 200 characters (it has 201)." in errors
    assert any(error.startswith("row 3, email:") for error in errors)
    assert any(error.startswith("row 3, website:") for error in errors)
    assert "row 4, address1: Ensure this value has at most 200 characters (it has 201)." in errors
    assert "row 4, address2: Ensure this value has at most 200 characters (it has 201)." in errors
    assert "row 4, city: Ensure this value has at most 100 characters (it has 101)." in errors
    assert any(error.startswith("row 4, zip:") for error in errors)
    [slug_error] = [error for error in errors if error.startswith("row 5, conditions:")]
    assert slug_error.startswith("row 5, conditions: unknown slug 'cccc")
    assert len(slug_error) < 300  # the 10,000-character cell is not echoed back whole


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_coordinates_that_are_not_finite_numbers_are_refused(way_in, existing, value):
    errors = refused(way_in, csv_bytes(line(latitude=value)))
    assert errors[0] == f"row 2, latitude: not a number: {value!r}" or errors[0].startswith(
        "row 2, latitude: Ensure this value is"
    )


# --- All or nothing ------------------------------------------------------------------------


def many_rows(count):
    """`count` valid rows, two sites per clinic, with typed coordinates (no geocoding)."""
    return [
        line(
            external_id=f"bulk-{n // 2}",
            name=f"Bulk Clinic {n // 2}",
            address1=f"{n} Main St",
            conditions="",
            treatments="",
        )
        for n in range(count)
    ]


def test_an_error_on_the_last_of_2000_rows_writes_nothing(way_in, existing):
    rows = many_rows(2000)
    rows[-1] = rows[-1].replace(",78701,", ",7870,")
    assert refused(way_in, csv_bytes(*rows)) == [
        "row 2001, zip: Enter a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789)."
    ]


@pytest.fixture
def refuse_one_address(db):
    """A database trigger that refuses one address: a write that fails after every check.

    It stands in for what the checks cannot see, such as another editor's insert
    landing between check and write; the test's transaction drops it afterwards.
    """
    address = "1999 Main St"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_one_address() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.address1 = '{address}' THEN RAISE EXCEPTION 'refused by trigger'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_one_address BEFORE INSERT ON directory_location "
                "FOR EACH ROW EXECUTE FUNCTION refuse_one_address()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_one_address BEFORE INSERT ON directory_location "
                f"WHEN NEW.address1 = '{address}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
            )
    return address


def test_a_database_failure_on_the_last_of_2000_rows_writes_nothing(
    way_in, existing, refuse_one_address
):
    rows = many_rows(2000)
    assert refuse_one_address in rows[-1]
    before = snapshot()
    start = time.perf_counter()
    outcome = way_in.run(csv_bytes(*rows))
    seconds = time.perf_counter() - start
    assert not outcome.ok
    assert snapshot() == before
    if way_in.name == "cli":
        assert outcome.summary.startswith("Nothing imported: the database refused a write: ")
        assert "refused by trigger" in outcome.summary
    else:
        assert outcome.errors == [
            "row 1, file: the database refused a write, so nothing was imported; try again"
        ]
    print(f"\n{way_in.name} on {connection.vendor}: 2,000 rows rolled back in {seconds:.1f} s")


# --- Preview, then confirm -----------------------------------------------------------------


def test_confirming_an_upload_that_expired_writes_nothing(editor_client, existing):
    admin = Admin(editor_client)
    response = admin.preview(csv_bytes(line()))
    name = response.context["confirm_form"].initial["import_file_name"]
    cache.delete(CacheStorage.CACHE_PREFIX + name)  # gone, or taken by another server
    before = snapshot()
    response = admin.confirm(response)
    messages = [str(message) for message in response.context["messages"]]
    assert "row 1, file: the uploaded file has expired; upload it again" in messages
    assert "Nothing imported: the file no longer passes the checks." in messages
    assert snapshot() == before
