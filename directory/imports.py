"""Providers from and to CSV: the one format for the command line and the admin.

One row per location; rows sharing an external_id are one provider. The file is
the truth for the providers it names, and an import is all or nothing: every
row is checked first, every problem is reported as "row N, column: message"
(the header is row 1, as in a spreadsheet), and nothing is written unless all
rows are valid.
"""

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from core.history import record_change
from directory.geocoding import fill_coordinates
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
ADDRESS_COLUMNS = ["address1", "address2", "city", "state", "zip"]
# What a spreadsheet may run as a formula at the start of a cell (OWASP's list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Files that are not text at all, by their first bytes: say what they are.
NOT_CSV = {
    b"PK\x03\x04": "an Excel workbook or zip archive, not CSV; save it as CSV UTF-8",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook, not CSV; save it as CSV UTF-8",
    b"\xff\xfe": "UTF-16 text; save it as CSV UTF-8",
    b"\xfe\xff": "UTF-16 text; save it as CSV UTF-8",
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
UNKNOWN = {"", "unknown"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        return f"row {self.row}, {self.column}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ProviderChange:
    """What an import does to one provider."""

    external_id: str
    action: str  # "created", "updated" or "unchanged"
    provider: Provider
    rows: list[int]
    locations: int


@dataclass
class ImportReport:
    changes: list[ProviderChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action):
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self):
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        return (
            f"{prefix}{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )


# --- Reading ------------------------------------------------------------------


def read_csv(data):
    """Decode CSV bytes (UTF-8, with or without BOM); return a list of row dicts.

    Raises ImportFailed for a file that cannot be read or has the wrong columns.
    """
    rows = parse_csv(decode_csv(data))
    if not rows:
        raise ImportFailed([RowError(1, "file", "the file is empty")])
    return rows_from_table(rows[0], rows[1:])


def check_size(size):
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


def decode_csv(data):
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


def parse_csv(text):
    """Split CSV text into rows of cells; a broken row is reported with its number."""
    rows = []
    try:
        rows.extend(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFailed([RowError(len(rows) + 1, "file", f"not valid CSV: {error}")]) from None
    return rows


def rows_from_table(headers, rows):
    """Check the header row; return the data rows as (row number, dict keyed by column)."""
    headers = [str(header or "").strip().lstrip("\ufeff") for header in headers]
    while headers and not headers[-1]:
        headers.pop()  # a trailing comma, or padding to the widest row
    errors = [RowError(1, column, "missing column") for column in COLUMNS if column not in headers]
    errors += [
        RowError(1, header or "(blank)", f"unknown column; expected {', '.join(COLUMNS)}")
        for header in headers
        if header not in COLUMNS
    ]
    duplicates = {header for header in headers if headers.count(header) > 1}
    errors += [RowError(1, header, "column appears twice") for header in sorted(duplicates)]
    if errors:
        raise ImportFailed(errors)
    records = []
    for number, values in enumerate(rows, start=2):
        # None pads a short row to the widest one (the admin's table is a rectangle).
        width = len([value for value in values if value is not None])
        values = ["" if value is None else str(value) for value in values]
        if not any(value.strip() for value in values):
            continue  # blank lines are not providers
        if any(value.strip() for value in values[len(headers) :]):
            errors.append(RowError(number, "row", "more cells than there are columns"))
            continue
        if width < len(headers):
            # Usually a line break or quote out of place: the rest of the row is elsewhere.
            errors.append(
                RowError(
                    number,
                    "row",
                    f"{width} cells, but the header has {len(headers)} columns; "
                    "is a quote or a line break out of place?",
                )
            )
            continue
        cells = dict(zip(headers, values, strict=False))
        records.append((number, {column: clean_cell(cells.get(column)) for column in COLUMNS}))
    if errors:
        raise ImportFailed(errors)
    if not records:
        raise ImportFailed([RowError(2, "file", "no data rows")])
    return records


def clean_cell(value):
    value = "" if value is None else str(value).strip()
    # Undo our own export's formula escaping ('=…, ''=…), so files round-trip.
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_PREFIXES):
        value = value[1:]
    return value


def escape_cell(value):
    """Keep a spreadsheet from running a cell as a formula.

    A value that already looks escaped ('=…) gets one more quote, so that
    importing the export gives back exactly the value, quote and all.
    """
    value = "" if value is None else str(value)
    return "'" + value if value.lstrip("'").startswith(FORMULA_PREFIXES) else value


def shown(value, limit=40):
    """Quote a cell for an error message, cut short: a 5 MB cell must not become one."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


# --- Checking -----------------------------------------------------------------


@dataclass
class PlannedProvider:
    external_id: str
    rows: list[int]
    fields: dict
    conditions: set
    treatments: set
    states: set
    locations: list  # [(row number, unsaved Location)]


def error_order(error):
    column = COLUMNS.index(error.column) if error.column in COLUMNS else -1
    return (error.row, column)


class Checker:
    """Turn row dicts into planned providers, collecting every error."""

    def __init__(self):
        self.errors = []
        self.conditions = {c.slug: c for c in Condition.objects.all()}
        self.treatments = {t.slug: t for t in Treatment.objects.all()}

    def error(self, row, column, message):
        self.errors.append(RowError(row, column, message))

    def check(self, records):
        groups = defaultdict(list)
        for number, cells in records:
            if not cells["external_id"]:
                self.error(number, "external_id", "required")
            elif len(cells["external_id"]) > 64:
                self.error(number, "external_id", "at most 64 characters")
            else:
                groups[cells["external_id"]].append((number, cells))
        planned = [self.check_provider(external_id, rows) for external_id, rows in groups.items()]
        if self.errors:
            raise ImportFailed(sorted(self.errors, key=error_order))
        return planned

    def check_provider(self, external_id, rows):
        first_number, first = rows[0]
        for number, cells in rows[1:]:
            for column in PROVIDER_COLUMNS:
                if cells[column] != first[column]:
                    self.error(
                        number,
                        column,
                        f"differs from row {first_number} for external_id {external_id}; "
                        "provider columns must agree on every row of a provider",
                    )
        fields = {
            "name": first["name"],
            "status": first["status"].lower() or Provider.Status.PUBLISHED,
            "website": first["website"],
            "phone": first["phone"],
            "email": first["email"],
            "description": first["description"],
            "accepting_new_patients": self.yes_no(first_number, first["accepting_new_patients"]),
        }
        provider = Provider(external_id=external_id, slug="placeholder", **fields)
        try:
            provider.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    self.error(first_number, column if column in COLUMNS else "row", message)
        else:
            fields.update(website=provider.website, phone=provider.phone)

        return PlannedProvider(
            external_id=external_id,
            rows=[number for number, _ in rows],
            fields=fields,
            conditions=self.slugs(first_number, "conditions", first, self.conditions),
            treatments=self.slugs(first_number, "treatments", first, self.treatments),
            states=self.states(first_number, first["serves_states"]),
            locations=[
                (number, location)
                for number, cells in rows
                if (location := self.location(number, cells)) is not None
            ],
        )

    def yes_no(self, number, value):
        value = value.lower()
        if value in YES:
            return True
        if value in NO:
            return False
        if value not in UNKNOWN:
            self.error(number, "accepting_new_patients", "use yes, no or unknown")
        return None

    def split(self, value):
        return [item.strip() for item in value.split(";") if item.strip()]

    def slugs(self, number, column, cells, known):
        chosen = set()
        for slug in self.split(cells[column]):
            if slug.lower() in known:
                chosen.add(known[slug.lower()].pk)
            else:
                self.error(number, column, f"unknown slug {shown(slug)}; known: {', '.join(known)}")
        return chosen

    def states(self, number, value):
        chosen = set()
        for code in self.split(value):
            if code.upper() in STATES:
                chosen.add(code.upper())
            else:
                self.error(number, "serves_states", f"unknown state code {shown(code)}")
        return chosen

    def location(self, number, cells):
        if not (cells["address1"] or cells["zip"]):
            if any(cells[column] for column in ["address2", "city", "state"]):
                self.error(
                    number,
                    "address1",
                    "required for a location (or leave the row's "
                    "address, city, state and zip all blank)",
                )
            return None
        state = cells["state"].upper()
        if state not in STATES:
            self.error(number, "state", f"unknown state code {shown(cells['state'])}")
        coordinates = {}
        for column in ["latitude", "longitude"]:
            if cells[column]:
                try:
                    coordinates[column] = float(cells[column])
                except ValueError:
                    self.error(number, column, f"not a number: {shown(cells[column])}")
                else:
                    # nan passes the range validators, then fails the database's checks.
                    if not math.isfinite(coordinates[column]):
                        del coordinates[column]
                        self.error(number, column, f"not a number: {shown(cells[column])}")
        if len(coordinates) == 1:
            missing = "longitude" if "latitude" in coordinates else "latitude"
            self.error(number, missing, "give both latitude and longitude, or neither")
            coordinates = {}
        location = Location(
            address1=cells["address1"],
            address2=cells["address2"],
            city=cells["city"],
            state_id=state,
            zip=cells["zip"],
            latitude=coordinates.get("latitude"),
            longitude=coordinates.get("longitude"),
            coordinates_source=Location.Source.MANUAL if len(coordinates) == 2 else "",
        )
        try:
            location.full_clean(
                exclude=["provider", "state"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    self.error(number, column if column in COLUMNS else "row", message)
        return location


# --- Writing ------------------------------------------------------------------


def import_providers(records, *, dry_run=False):
    """Check every row, then write them all, or nothing; return an ImportReport.

    Raises ImportFailed with every error when any row is invalid. A dry run
    does all the same work inside a transaction that is then rolled back.
    """
    planned = Checker().check(records)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        # Locked, so an editor's save and the import never interleave on a row.
        existing = (
            Provider.objects.filter(external_id__in=[plan.external_id for plan in planned])
            .select_for_update()
            .prefetch_related("locations", "conditions", "treatments", "serves_states")
        )
        existing = {provider.external_id: provider for provider in existing}
        taken_slugs = set()
        for plan in planned:
            provider, action = write_provider(plan, existing.get(plan.external_id), taken_slugs)
            locations_changed, warnings = write_locations(provider, plan.locations)
            if locations_changed and action == "unchanged":
                action = "updated"
                # Its own fields are as they were (the locations keep their own
                # history), but a form opened before the import is out of date.
                provider.save_without_historical_record(update_fields=["updated_at"])
            report.changes.append(
                ProviderChange(plan.external_id, action, provider, plan.rows, len(plan.locations))
            )
            report.warnings += warnings
        if dry_run:
            transaction.set_rollback(True)
    return report


def unique_slug(name, taken):
    base = slugify(name)[:190] or "provider"
    slug, n = base, 1
    while slug in taken or Provider.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def write_provider(plan, provider, taken_slugs):
    """Make one provider's own fields and relations what its rows say; return (provider, action).

    A changed provider is saved, which counts up its version (so an editor's form
    opened before the import is refused), and gets one history record.
    """
    created = provider is None
    if created:
        provider = Provider(
            external_id=plan.external_id,
            slug=unique_slug(plan.fields["name"], taken_slugs),
            **plan.fields,
        )
        changed = []
    else:
        changed = [name for name, value in plan.fields.items() if getattr(provider, name) != value]
        for name in changed:
            setattr(provider, name, plan.fields[name])
    wanted = {
        "conditions": plan.conditions,
        "treatments": plan.treatments,
        "serves_states": plan.states,
    }
    if created:
        relations = [relation for relation, pks in wanted.items() if pks]
    else:
        relations = [
            relation
            for relation, pks in wanted.items()
            if {obj.pk for obj in getattr(provider, relation).all()} != pks
        ]
        if not (changed or relations):
            return provider, "unchanged"

    provider.skip_history_when_saving = True  # one record, with the relations
    provider.save(update_fields=None if created else [*changed, "updated_at"])
    for relation in relations:
        getattr(provider, relation).set(wanted[relation])
    record_change(provider, created=created)
    return provider, "created" if created else "updated"


def address_key(location):
    fields = ["address1", "address2", "city", "state_id", "zip"]
    return tuple(str(getattr(location, name)).casefold() for name in fields)


def write_locations(provider, wanted):
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
            if not location.has_coordinates and (warning := fill_coordinates(location)):
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
            existing.latitude = existing.longitude = None
            existing.coordinates_source = ""
            if warning := fill_coordinates(existing):
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


def export_rows(queryset):
    """Yield CSV rows (header first) for providers, one per location, formula-escaped."""
    yield COLUMNS
    providers = queryset.order_by("external_id", "pk").prefetch_related(
        "locations", "conditions", "treatments", "serves_states"
    )
    for provider in providers:
        base = {
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
        locations = list(provider.locations.all()) or [None]
        for location in locations:
            row = dict(base)
            if location is not None:
                row.update(
                    address1=location.address1,
                    address2=location.address2,
                    city=location.city,
                    state=location.state_id,
                    zip=location.zip,
                    # Only coordinates an editor typed are the file's truth;
                    # others come back from the address on import.
                    latitude=location.latitude if location.coordinates_source == "manual" else "",
                    longitude=location.longitude if location.coordinates_source == "manual" else "",
                )
            yield [escape_cell(row.get(column, "")) for column in COLUMNS]


def export_csv(queryset):
    out = io.StringIO()
    csv.writer(out).writerows(export_rows(queryset))
    return out.getvalue()
