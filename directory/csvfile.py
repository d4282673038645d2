"""The providers CSV: its columns, reading a file into numbered rows, and writing one.

One format for the command line and the admin, both ways. Reading refuses, with
a "row N, column: message" for each reason, anything that is not a CSV file
with exactly these columns (the header is row 1, as in a spreadsheet); what the
cells say is checked by directory/import_rows.py.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from directory.models import Location, Provider

COLUMNS = [
    "external_id",
    "name",
    "status",
    "website",
    "phone",
    "email",
    "description",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "conditions",
    "treatments",
    "serves_states",
    "accepting_new_patients",
]
# The cells of a row that describe one of the provider's sites; the rest describe
# the provider and must agree on every row of a provider.
LOCATION_COLUMNS = ["address1", "address2", "city", "state", "zip", "latitude", "longitude"]
PROVIDER_COLUMNS = [
    column for column in COLUMNS if column not in {"external_id", *LOCATION_COLUMNS}
]
# What a spreadsheet may run as a formula at the start of a cell (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Files that are not text at all, by their first bytes: say what they are.
NOT_CSV = {
    b"PK\x03\x04": "an Excel workbook or zip archive, not CSV; save it as CSV UTF-8",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook, not CSV; save it as CSV UTF-8",
    b"\xff\xfe": "UTF-16 text; save it as CSV UTF-8",
    b"\xfe\xff": "UTF-16 text; save it as CSV UTF-8",
}

Cells = dict[str, str]  # one data row, keyed by column
Record = tuple[int, Cells]  # with its row number


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


# --- Reading ------------------------------------------------------------------


def read_csv(data: bytes) -> list[Record]:
    """Decode CSV bytes (UTF-8, with or without BOM); return the numbered data rows.

    Raises ImportFailed for a file that cannot be read or has the wrong columns.
    """
    rows = parse_csv(decode_csv(data))
    if not rows:
        raise ImportFailed([RowError(1, "file", "the file is empty")])
    return rows_from_table(rows[0], rows[1:])


def check_size(size: int) -> None:
    """Refuse a file over settings.IMPORT_MAX_BYTES, before anyone reads it."""
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        mb = 1024 * 1024
        raise ImportFailed(
            [
                RowError(
                    1,
                    "file",
                    f"the file is too large ({size / mb:.1f} MB; the limit is "
                    f"{limit / mb:.3g} MB); split it into smaller files",
                )
            ]
        )


def decode_csv(data: bytes) -> str:
    """Return the text of CSV bytes, or raise ImportFailed saying what the file is instead."""
    check_size(len(data))
    for magic, what in NOT_CSV.items():
        if data.startswith(magic):
            raise ImportFailed([RowError(1, "file", f"this file is {what}")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(
            [RowError(1, "file", f"not UTF-8 text (byte {error.start}); save it as CSV UTF-8")]
        ) from None
    # Python's csv module reads NUL as text, and PostgreSQL cannot store it.
    if "\x00" in text:
        raise ImportFailed([RowError(1, "file", "not a CSV text file (it contains NUL bytes)")])
    return text


def parse_csv(text: str) -> list[list[str]]:
    """Split CSV text into rows of cells; a broken row is reported with its number."""
    rows: list[list[str]] = []
    try:
        rows.extend(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFailed([RowError(len(rows) + 1, "file", f"not valid CSV: {error}")]) from None
    return rows


def rows_from_table(
    headers: Sequence[str | None], rows: Iterable[Sequence[str | None]]
) -> list[Record]:
    """Check the header row; return the data rows as (row number, dict keyed by column)."""
    names = [str(header or "").strip().lstrip("\ufeff") for header in headers]
    while names and not names[-1]:
        names.pop()  # a trailing comma, or padding to the widest row
    errors = [RowError(1, column, "missing column") for column in COLUMNS if column not in names]
    errors += [
        RowError(1, name or "(blank)", f"unknown column; expected {', '.join(COLUMNS)}")
        for name in names
        if name not in COLUMNS
    ]
    duplicates = {name for name in names if names.count(name) > 1}
    errors += [RowError(1, name, "column appears twice") for name in sorted(duplicates)]
    if errors:
        raise ImportFailed(errors)
    records = []
    for number, row in enumerate(rows, start=2):
        # None pads a short row to the widest one (the admin's table is a rectangle).
        width = len([value for value in row if value is not None])
        values = ["" if value is None else str(value) for value in row]
        if not any(value.strip() for value in values):
            continue  # blank lines are not providers
        if any(value.strip() for value in values[len(names) :]):
            errors.append(RowError(number, "row", "more cells than there are columns"))
            continue
        if width < len(names):
            # Usually a line break or quote out of place: the rest of the row is elsewhere.
            errors.append(
                RowError(
                    number,
                    "row",
                    f"{width} cells, but the header has {len(names)} columns; "
                    "is a quote or a line break out of place?",
                )
            )
            continue
        cells = dict(zip(names, values, strict=False))
        records.append((number, {column: clean_cell(cells.get(column)) for column in COLUMNS}))
    if errors:
        raise ImportFailed(errors)
    if not records:
        raise ImportFailed([RowError(2, "file", "no data rows")])
    return records


def clean_cell(value: str | None) -> str:
    value = "" if value is None else str(value).strip()
    # Undo our own export's formula escaping ('=…, ''=…), so files round-trip.
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_PREFIXES):
        value = value[1:]
    return value


def escape_cell(value: object) -> str:
    """Keep a spreadsheet from running a cell as a formula.

    A value that already looks escaped ('=…) gets one more quote, so that
    importing the export gives back exactly the value, quote and all.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_PREFIXES) else text


def shown(value: str, limit: int = 40) -> str:
    """Quote a cell for an error message, cut short: a 5 MB cell must not become one."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


# --- Export -------------------------------------------------------------------


def export_rows(queryset: models.QuerySet[Provider]) -> Iterator[list[str]]:
    """Yield CSV rows (header first) for providers, one per location, formula-escaped."""
    yield COLUMNS
    providers = queryset.order_by("external_id", "pk").prefetch_related(
        "locations", "conditions", "treatments", "serves_states"
    )
    for provider in providers:
        base: dict[str, object] = {
            "external_id": provider.external_id or "",
            "name": provider.name,
            "status": provider.status,
            "website": provider.website,
            "phone": provider.phone,
            "email": provider.email,
            "description": provider.description,
            "conditions": ";".join(sorted(c.slug for c in provider.conditions.all())),
            "treatments": ";".join(sorted(t.slug for t in provider.treatments.all())),
            "serves_states": ";".join(sorted(s.code for s in provider.serves_states.all())),
            "accepting_new_patients": {True: "yes", False: "no", None: "unknown"}[
                provider.accepting_new_patients
            ],
        }
        locations: list[Location | None] = [*provider.locations.all()] or [None]
        for location in locations:
            row = dict(base)
            if location is not None:
                # Only coordinates an editor typed are the file's truth;
                # others come back from the address on import.
                typed = location.coordinates_source == Location.Source.MANUAL
                row.update(
                    address1=location.address1,
                    address2=location.address2,
                    city=location.city,
                    state=location.state_id,
                    zip=location.zip,
                    latitude=location.latitude if typed else "",
                    longitude=location.longitude if typed else "",
                )
            yield [escape_cell(row.get(column, "")) for column in COLUMNS]


def export_csv(queryset: models.QuerySet[Provider]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(export_rows(queryset))
    return out.getvalue()
