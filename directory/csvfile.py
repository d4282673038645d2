"""The providers CSV: its columns, reading a file into numbered rows, and writing one.

One format for the command line and the admin, both ways. Reading refuses, with
a "row N, column: message" for each reason, anything that is not a CSV file
with exactly the 18 required columns, then any optional ones, each once (the
header is row 1, as in a spreadsheet); what the cells say is checked by
directory/import_rows.py.
"""

import csv
import difflib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models

from directory.facts import FACT_GROUPS, format_hours
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
# The facts patients decide on, as optional columns after the 18 above, in any
# order; export writes them all, in this order. A column that is there sets its
# fact (a blank cell is unknown); one that is not leaves the fact as it was.
# Each is the provider's field of that name, and must agree on every row of a provider.
PROVIDER_FACT_COLUMNS = [
    # cost
    "price_min", "price_max", "consultation_fee", "course_price", "price_includes",
    "cancellation_terms",
    # payment: `;`-separated slugs, accepted and confirmed not accepted
    "payment_options", "payment_declined",
    # treatments
    "rems_certified",
    # who prescribes and supervises
    "prescriber_types", "board_certified", "npi", "medical_director_name",
    "medical_director_credential",
    # safety and monitoring
    "vitals_monitored", "present_throughout", "observation_minutes", "ride_home_required",
    # intake
    "consultation_required", "referral_required", "existing_patients_only",
    "consultation_fee_refunded",
    # psychotherapy
    "kap",
    # typical course
    "course_sessions", "course_weeks", "course_notes",
    # treatment at home
    "in_person_evaluation", "compounded", "sent_home",
    # access
    "wait_days", "languages",
    # when each group was last confirmed, YYYY-MM-DD
    *(f"{group.key}_confirmed" for group in FACT_GROUPS),
]  # fmt: skip
# A row's site: the column → its Location field (the site's "note on hours" is `hours`).
LOCATION_FACT_COLUMNS = {
    "opening_hours": "opening_hours",
    "hours_note": "hours",
    "wheelchair_accessible": "wheelchair_accessible",
    "private_room": "private_room",
}
OPTIONAL_COLUMNS = [*PROVIDER_FACT_COLUMNS, *LOCATION_FACT_COLUMNS]
ALL_COLUMNS = [*COLUMNS, *OPTIONAL_COLUMNS]  # what export writes
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
    errors = check_header(names)
    if errors:
        raise ImportFailed(errors)
    columns = [*COLUMNS, *(column for column in OPTIONAL_COLUMNS if column in names)]
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
        records.append((number, {column: clean_cell(cells.get(column)) for column in columns}))
    if errors:
        raise ImportFailed(errors)
    if not records:
        raise ImportFailed([RowError(2, "file", "no data rows")])
    return records


def check_header(names: list[str]) -> list[RowError]:
    """Return the header's problems: the 18 columns each once, then optional ones each once."""
    errors = [RowError(1, column, "missing column") for column in COLUMNS if column not in names]
    for name in names:
        if name not in ALL_COLUMNS:
            guess = difflib.get_close_matches(name, ALL_COLUMNS, n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            message = (
                f"unknown column{hint}; expected {', '.join(COLUMNS)}, "
                f"then any of {', '.join(OPTIONAL_COLUMNS)}"
            )
            errors.append(RowError(1, name or "(blank)", message))
    required = [index for index, name in enumerate(names) if name in COLUMNS]
    if required:
        last = names[required[-1]]
        errors += [
            RowError(
                1,
                name,
                f"optional columns follow the {len(COLUMNS)} required ones; move it after {last}",
            )
            for name in dict.fromkeys(names[: required[-1]])
            if name in OPTIONAL_COLUMNS
        ]
    duplicates = {name for name in names if names.count(name) > 1}
    errors += [RowError(1, name, "column appears twice") for name in sorted(duplicates)]
    return errors


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
    """Yield CSV rows (header first) for providers, one per location, formula-escaped.

    Every column is written, the optional ones after the 18 required, so that
    importing the file gives back every fact (a blank cell is an unknown one).
    """
    yield ALL_COLUMNS
    relations = [column for column in PROVIDER_FACT_COLUMNS if is_relation(column)]
    providers = queryset.order_by("external_id", "pk").prefetch_related(
        "locations", "conditions", "treatments", "serves_states", *relations
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
        for column in PROVIDER_FACT_COLUMNS:
            if column in relations:
                base[column] = ";".join(sorted(obj.pk for obj in getattr(provider, column).all()))
            else:
                base[column] = fact_text(getattr(provider, column))
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
                    opening_hours=format_hours(location.opening_hours),
                    hours_note=location.hours,
                    wheelchair_accessible=fact_text(location.wheelchair_accessible),
                    private_room=fact_text(location.private_room),
                )
            yield [escape_cell(row.get(column, "")) for column in ALL_COLUMNS]


def is_relation(column: str) -> bool:
    """Whether the provider's fact `column` is a many-to-many relation (a `;`-separated list)."""
    return bool(Provider._meta.get_field(column).many_to_many)


def fact_text(value: object) -> str:
    """A fact as the import reads it: unknown is a blank cell, a yes/no is yes or no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_csv(queryset: models.QuerySet[Provider]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(export_rows(queryset))
    return out.getvalue()
