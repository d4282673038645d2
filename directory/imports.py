"""Providers from and to CSV: the one format for the command line and the admin.

One row per location; rows sharing an external_id are one provider. The file is
the truth for the providers it names, and an import is all or nothing: every
row is checked first, every problem is reported as "row N, column: message"
(the header is row 1, as in a spreadsheet), and nothing is written unless all
rows are valid.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Literal, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from core.history import record_change
from directory.models import Condition, Location, Provider, Treatment
from directory.states import STATES

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
PROVIDER_COLUMNS = [
    "name",
    "status",
    "website",
    "phone",
    "email",
    "description",
    "conditions",
    "treatments",
    "serves_states",
    "accepting_new_patients",
]
# The provider's own fields among them (the rest are relations).
PROVIDER_FIELDS = [
    column
    for column in PROVIDER_COLUMNS
    if column not in ["conditions", "treatments", "serves_states"]
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
# accepting_new_patients, as spreadsheets spell it.
ANSWERS = {
    **dict.fromkeys(["yes", "y", "true", "1"], True),
    **dict.fromkeys(["no", "n", "false", "0"], False),
    **dict.fromkeys(["", "unknown"], None),
}

Cells = dict[str, str]  # one data row, keyed by column
Record = tuple[int, Cells]  # with its row number
Action = Literal["created", "updated", "unchanged"]


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


@dataclass
class ProviderChange:
    """What an import does to one provider."""

    external_id: str
    action: Action
    provider: Provider
    rows: list[int]
    locations: int


@dataclass
class ImportReport:
    changes: list[ProviderChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> str:
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        return (
            f"{prefix}{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )


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


# --- Checking -----------------------------------------------------------------

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def state_code(value: str) -> str:
    """Return the code of the state `value` names in any case, or raise ValidationError."""
    if (code := value.upper()) not in STATES:
        raise ValidationError(f"unknown state code {shown(value)}", code="invalid")
    return code


def term_pk(known: dict[str, int], slug: str) -> int:
    """Return the primary key of the term `slug` names in any case, or raise ValidationError."""
    if (pk := known.get(slug.lower())) is None:
        message = f"unknown slug {shown(slug)}; known: {', '.join(known)}"
        raise ValidationError(message, code="invalid")
    return pk


class CellField(forms.CharField):
    """A text cell, blank allowed, as clean_cell() left it; its model field checks the rest."""

    def __init__(self) -> None:
        # Not stripped again: clean_cell() trimmed the cell before undoing the export's escaping.
        super().__init__(required=False, strip=False)


class StateField(forms.Field):
    """A state's two-letter code, in any case."""

    def to_python(self, value: Any) -> str:
        return state_code(str(value))


class CoordinateField(forms.FloatField):
    """A latitude or longitude: a finite number, or blank."""

    def clean(self, value: Any) -> float | None:
        try:
            return super().clean(value)
        except ValidationError:
            # FloatField refuses text, nan and inf alike, in words that do not show the cell.
            raise ValidationError(f"not a number: {shown(value)}", code="invalid") from None


class AnswerField(forms.Field):
    """Yes, no or unknown (blank) as True, False or None."""

    default_error_messages = {"invalid": "use yes, no or unknown"}

    def to_python(self, value: Any) -> bool | None:
        try:
            return ANSWERS[str(value).lower()]
        except KeyError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ListField(forms.Field, Generic[T]):
    """Items separated by semicolons, each cleaned by `item`; every bad one is named."""

    def __init__(self, item: Callable[[str], T]) -> None:
        super().__init__(required=False)
        self.item = item

    def to_python(self, value: Any) -> set[T]:
        items: set[T] = set()
        errors = []
        for text in str(value).split(";"):
            if not (text := text.strip()):
                continue
            try:
                items.add(self.item(text))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return items


class LocationRowForm(forms.Form):
    """A row's location cells: each row of a provider may add one of its sites.

    A row with neither address1 nor zip has none. After validation `location` is
    the unsaved Location, checked by the model too (lengths, ZIP codes, coordinate
    ranges), or None.
    """

    address1 = CellField()
    address2 = CellField()
    city = CellField()
    state = StateField()
    zip = CellField()
    latitude = CoordinateField(required=False)
    longitude = CoordinateField(required=False)

    location: Location | None = None

    def __init__(self, cells: Cells) -> None:
        super().__init__(cells)
        self.has_location = bool(cells["address1"] or cells["zip"])
        if not self.has_location:
            # A provider without a site: no state or coordinates to read.
            for name in ["state", "latitude", "longitude"]:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        if not self.has_location:
            if any(self.data[column] for column in ["address2", "city", "state"]):
                self.add_error(
                    "address1",
                    "required for a location (or leave the row's "
                    "address, city, state and zip all blank)",
                )
            return data
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "latitude" if latitude is None else "longitude"
            self.add_error(missing, "give both latitude and longitude, or neither")
            latitude = longitude = None  # said once, so not again by Location.clean()
        self.location = self.validated(
            Location(
                address1=data["address1"],
                address2=data["address2"],
                city=data["city"],
                state_id=data.get("state", ""),
                zip=data["zip"],
                latitude=latitude,
                longitude=longitude,
                coordinates_source=Location.Source.MANUAL if latitude is not None else "",
            ),
            exclude=["provider", "state"],
        )
        return data

    def validated(self, instance: M, exclude: list[str]) -> M:
        """Run the model's own checks on `instance`; what they refuse is this form's error."""
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return instance

    def row_errors(self, number: int) -> list[RowError]:
        """Return this form's errors as row `number`'s; those of no one column are the row's."""
        return [
            RowError(number, "row" if name == NON_FIELD_ERRORS else name, message)
            for name, errors in self.errors.as_data().items()
            for error in errors
            for message in error.messages
        ]


class ProviderRowForm(LocationRowForm):
    """A provider's first row: the provider's own cells, and a location's.

    Its other rows only repeat the provider's cells, so a LocationRowForm does for
    them. After validation `provider` is the unsaved Provider, checked by the model too.
    """

    external_id = forms.CharField(
        max_length=64,
        strip=False,
        error_messages={"required": "required", "max_length": "at most 64 characters"},
    )
    name = CellField()
    status = CellField()
    website = CellField()
    phone = CellField()
    email = CellField()
    description = CellField()
    # conditions and treatments: see __init__.
    serves_states = ListField(state_code)
    accepting_new_patients = AnswerField(required=False)

    provider: Provider

    def __init__(
        self, cells: Cells, *, conditions: dict[str, int], treatments: dict[str, int]
    ) -> None:
        super().__init__(cells)
        # Known slugs come from the database, read once for the whole file.
        self.fields["conditions"] = ListField(partial(term_pk, conditions))
        self.fields["treatments"] = ListField(partial(term_pk, treatments))

    def clean_status(self) -> str:
        return self.cleaned_data["status"].lower() or Provider.Status.PUBLISHED

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in PROVIDER_FIELDS}
        self.provider = self.validated(
            Provider(external_id=data.get("external_id"), **fields), exclude=["slug"]
        )
        return super().clean()


@dataclass
class PlannedProvider:
    """A provider as its rows describe it, checked and not yet written."""

    external_id: str
    provider: Provider  # unsaved: the file's fields, checked
    rows: list[int]
    conditions: set[int]
    treatments: set[int]
    states: set[str]
    locations: list[tuple[int, Location]]  # unsaved, with their row numbers


def error_order(error: RowError) -> tuple[int, int]:
    column = COLUMNS.index(error.column) if error.column in COLUMNS else -1
    return (error.row, column)


def check(records: list[Record]) -> list[PlannedProvider]:
    """Check every row with a form; return the providers the rows describe.

    Raises ImportFailed with every error, sorted by row and then column.
    """
    conditions = dict(Condition.objects.values_list("slug", "pk"))
    treatments = dict(Treatment.objects.values_list("slug", "pk"))
    groups: dict[str, list[Record]] = defaultdict(list)
    for number, cells in records:
        groups[cells["external_id"]].append((number, cells))
    errors: list[RowError] = []
    planned = []
    for external_id, rows in groups.items():
        (first_number, first_cells), *others = rows
        first = ProviderRowForm(first_cells, conditions=conditions, treatments=treatments)
        if first.has_error("external_id"):
            # Rows that belong to no provider are told only that.
            errors += [
                error
                for number, _ in rows
                for error in first.row_errors(number)
                if error.column == "external_id"
            ]
            continue
        errors += first.row_errors(first_number)
        locations = [] if first.location is None else [(first_number, first.location)]
        for number, cells in others:
            errors += [
                RowError(
                    number,
                    column,
                    f"differs from row {first_number} for external_id {external_id}; "
                    "provider columns must agree on every row of a provider",
                )
                for column in PROVIDER_COLUMNS
                if cells[column] != first_cells[column]
            ]
            form = LocationRowForm(cells)
            errors += form.row_errors(number)
            if form.location is not None:
                locations.append((number, form.location))
        if not errors:  # otherwise nothing will be written, and only the errors matter
            planned.append(
                PlannedProvider(
                    external_id=external_id,
                    provider=first.provider,
                    rows=[number for number, _ in rows],
                    conditions=first.cleaned_data["conditions"],
                    treatments=first.cleaned_data["treatments"],
                    states=first.cleaned_data["serves_states"],
                    locations=locations,
                )
            )
    if errors:
        raise ImportFailed(sorted(errors, key=error_order))
    return planned


# --- Writing ------------------------------------------------------------------


def import_providers(records: list[Record], *, dry_run: bool = False) -> ImportReport:
    """Check every row, then write them all, or nothing; return an ImportReport.

    Raises ImportFailed with every error when any row is invalid. A dry run
    does all the same work inside a transaction that is then rolled back.
    """
    planned = check(records)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        # Locked, so an editor's save and the import never interleave on a row.
        locked = (
            Provider.objects.filter(external_id__in=[plan.external_id for plan in planned])
            .select_for_update()
            .prefetch_related("locations", "conditions", "treatments", "serves_states")
        )
        existing = {provider.external_id: provider for provider in locked}
        taken_slugs: set[str] = set()
        for plan in planned:
            provider, action = write_provider(plan, existing.get(plan.external_id), taken_slugs)
            locations_changed, warnings = write_locations(provider, plan.locations)
            if locations_changed and action == "unchanged":
                action = "updated"
                # Its own fields are as they were (the locations keep their own
                # history), but a form opened before the import is out of date.
                provider.save_without_historical_record(  # type: ignore[attr-defined]
                    update_fields=["updated_at"]
                )
            report.changes.append(
                ProviderChange(plan.external_id, action, provider, plan.rows, len(plan.locations))
            )
            report.warnings += warnings
        if dry_run:
            transaction.set_rollback(True)
    return report


def unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:190] or "provider"
    slug, n = base, 1
    while slug in taken or Provider.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def write_provider(
    plan: PlannedProvider, provider: Provider | None, taken_slugs: set[str]
) -> tuple[Provider, Action]:
    """Make one provider's own fields and relations what its rows say; return (provider, action).

    A changed provider is saved, which counts up its version (so an editor's form
    opened before the import is refused), and gets one history record.
    """
    wanted = {
        "conditions": plan.conditions,
        "treatments": plan.treatments,
        "serves_states": plan.states,
    }
    created = provider is None
    if provider is None:
        provider = plan.provider
        provider.slug = unique_slug(provider.name, taken_slugs)
        changed = []
        relations = [relation for relation, pks in wanted.items() if pks]
    else:
        changed = [
            name
            for name in PROVIDER_FIELDS
            if getattr(provider, name) != getattr(plan.provider, name)
        ]
        for name in changed:
            setattr(provider, name, getattr(plan.provider, name))
        relations = [
            relation
            for relation, pks in wanted.items()
            if {obj.pk for obj in getattr(provider, relation).all()} != pks
        ]
        if not (changed or relations):
            return provider, "unchanged"

    # One record, with the relations. (django-simple-history adds this flag, and
    # save_without_historical_record(), at run time: the stubs cannot know them.)
    provider.skip_history_when_saving = True  # type: ignore[attr-defined]
    provider.save(update_fields=None if created else [*changed, "updated_at"])
    for relation in relations:
        getattr(provider, relation).set(wanted[relation])
    record_change(provider, created=created)
    return provider, "created" if created else "updated"


def address_key(location: Location) -> tuple[str, ...]:
    fields = ["address1", "address2", "city", "state_id", "zip"]
    return tuple(str(getattr(location, name)).casefold() for name in fields)


def write_locations(
    provider: Provider, wanted: list[tuple[int, Location]]
) -> tuple[bool, list[str]]:
    """Match the file's locations to the provider's by address; return (changed, warnings)."""
    warnings = []
    current = defaultdict(list)
    for location in provider.locations.all():
        current[address_key(location)].append(location)
    changed = False
    for number, location in wanted:
        matches = current.get(address_key(location))
        if not matches:
            location.provider = provider
            if not location.has_coordinates and (warning := location.regeocode()):
                warnings.append(f"row {number}: {warning}")
            location.save()
            changed = True
            continue
        existing = matches.pop(0)
        before = (existing.latitude, existing.longitude, existing.coordinates_source)
        if location.coordinates_source == Location.Source.MANUAL:
            existing.latitude, existing.longitude = location.latitude, location.longitude
            existing.coordinates_source = Location.Source.MANUAL
        elif existing.coordinates_source == Location.Source.MANUAL:
            # The file no longer pins this site: place it from its address.
            warning = existing.regeocode()
            if warning:
                warnings.append(f"row {number}: {warning}")
        if before != (existing.latitude, existing.longitude, existing.coordinates_source):
            existing.save()
            changed = True
    stale = [location.pk for matches in current.values() for location in matches]
    if stale:
        Location.objects.filter(pk__in=stale).delete()
        changed = True
    return changed, warnings


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
