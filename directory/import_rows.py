"""Checking an import: a Django form per row, and the model's own validation.

Every row is checked and every problem collected, sorted by row and column, so
an editor fixes a file in one pass; nothing is written here.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from directory.csvfile import (
    ALL_COLUMNS,
    LOCATION_FACT_COLUMNS,
    PROVIDER_COLUMNS,
    PROVIDER_FACT_COLUMNS,
    Cells,
    ImportFailed,
    Record,
    RowError,
    is_relation,
)
from directory.import_cells import (
    AnswerField,
    CellField,
    CoordinateField,
    ListField,
    StateField,
    list_items,
    location_fact_field,
    provider_fact_field,
    state_in_cell,
)
from directory.models import Location, Provider

# The provider's own fields among them (the rest are relations).
PROVIDER_FIELDS = [
    column
    for column in PROVIDER_COLUMNS
    if column not in ["conditions", "treatments", "serves_states"]
]
M = TypeVar("M", bound=models.Model)


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
        # The site's facts the file gives: column → Location field.
        self.location_facts = {
            column: name for column, name in LOCATION_FACT_COLUMNS.items() if column in cells
        }
        for column in self.location_facts:
            # Without a site a cell is only checked for being blank (clean()).
            self.fields[column] = location_fact_field(column) if self.has_location else CellField()
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
            for column in self.location_facts:
                if self.data[column]:
                    self.add_error(
                        column,
                        "a site's fact, but this row has no location; "
                        "give its address or leave this blank",
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
                # A fact the form refused is left out: said once, and nothing is written anyway.
                **{
                    name: data[column]
                    for column, name in self.location_facts.items()
                    if column in data
                },
            ),
            exclude=["provider", "state"],
            columns={name: column for column, name in self.location_facts.items()},
        )
        return data

    def validated(
        self, instance: M, exclude: list[str], columns: dict[str, str] | None = None
    ) -> M:
        """Run the model's own checks on `instance`; what they refuse is this form's error.

        `columns` names the column of a field whose column has another name.
        """
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = (columns or {}).get(name, name)
                self.add_error(column if column in self.fields else None, messages)
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
    serves_states = ListField(state_in_cell)
    accepting_new_patients = AnswerField(required=False)

    provider: Provider

    def __init__(self, cells: Cells, *, items: dict[str, Callable[[str], Any]]) -> None:
        super().__init__(cells)
        # Known slugs come from the database, read once for the whole file (list_items()).
        self.fields["conditions"] = ListField(items["conditions"])
        self.fields["treatments"] = ListField(items["treatments"])
        # The provider's facts the file gives; the others stay as they are.
        self.facts = [column for column in PROVIDER_FACT_COLUMNS if column in cells]
        for column in self.facts:
            self.fields[column] = provider_fact_field(column, items)

    def clean_status(self) -> str:
        return self.cleaned_data["status"].lower() or Provider.Status.PUBLISHED

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in PROVIDER_FIELDS}
        fields |= {name: data[name] for name in self.own_facts if name in data}
        self.provider = self.validated(
            Provider(external_id=data.get("external_id"), **fields), exclude=["slug"]
        )
        accepted, declined = data.get("payment_options"), data.get("payment_declined")
        if accepted and declined and (both := accepted & declined):
            self.add_error(
                "payment_declined",
                f"{', '.join(sorted(both))} also in payment_options; "
                "an option is either accepted or declined",
            )
        return super().clean()

    @property
    def own_facts(self) -> list[str]:
        """The facts the file gives that are the provider's own fields (not relations)."""
        return [column for column in self.facts if not is_relation(column)]


@dataclass
class PlannedProvider:
    """A provider as its rows describe it, checked and not yet written."""

    external_id: str
    provider: Provider  # unsaved: the file's fields, checked
    rows: list[int]
    # The provider's own fields the file gives, and its relations (name → primary keys).
    fields: list[str]
    relations: dict[str, set[Any]]
    locations: list[tuple[int, Location]]  # unsaved, with their row numbers
    location_fields: list[str]  # the Location fields the file gives


def error_order(error: RowError) -> tuple[int, int]:
    column = ALL_COLUMNS.index(error.column) if error.column in ALL_COLUMNS else -1
    return (error.row, column)


def check(records: list[Record]) -> list[PlannedProvider]:
    """Check every row with a form; return the providers the rows describe.

    Raises ImportFailed with every error, sorted by row and then column.
    """
    items = list_items(records[0][1]) if records else {}
    groups: dict[str, list[Record]] = defaultdict(list)
    for number, cells in records:
        groups[cells["external_id"]].append((number, cells))
    errors: list[RowError] = []
    planned = []
    for external_id, rows in groups.items():
        (first_number, first_cells), *others = rows
        first = ProviderRowForm(first_cells, items=items)
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
                for column in [*PROVIDER_COLUMNS, *first.facts]
                if cells[column] != first_cells[column]
            ]
            form = LocationRowForm(cells)
            errors += form.row_errors(number)
            if form.location is not None:
                locations.append((number, form.location))
        if not errors:  # otherwise nothing will be written, and only the errors matter
            relations = ["conditions", "treatments", "serves_states"]
            relations += [column for column in first.facts if is_relation(column)]
            planned.append(
                PlannedProvider(
                    external_id=external_id,
                    provider=first.provider,
                    rows=[number for number, _ in rows],
                    fields=[*PROVIDER_FIELDS, *first.own_facts],
                    relations={name: first.cleaned_data[name] for name in relations},
                    locations=locations,
                    location_fields=list(first.location_facts.values()),
                )
            )
    if not errors:
        errors = check_against_stored(planned)
    if errors:
        raise ImportFailed(sorted(errors, key=error_order))
    return planned


def check_against_stored(planned: list[PlannedProvider]) -> list[RowError]:
    """Check a file that gives one column of a pair against the stored other.

    The form checks a pair the file gives whole (price_min ≤ price_max; no payment
    option both accepted and declined); with one column only, the other stays as
    stored, and together they must still hold.
    """
    given = {*planned[0].fields, *planned[0].relations} if planned else set()
    price = pair_with_one_given(given, "price_min", "price_max")
    payment = pair_with_one_given(given, "payment_options", "payment_declined")
    if not (price or payment):
        return []
    stored = {
        provider.external_id: provider
        for provider in Provider.objects.filter(
            external_id__in=[plan.external_id for plan in planned]
        ).prefetch_related(*([payment[1]] if payment else []))
    }
    errors = []
    for plan in planned:
        if (provider := stored.get(plan.external_id)) is None:
            continue  # a new provider: the other column is unknown
        if price:
            column, other = price
            value, kept = getattr(plan.provider, column), getattr(provider, other)
            low, high = (value, kept) if column == "price_min" else (kept, value)
            if low is not None and high is not None and low > high:
                relation = "above" if column == "price_min" else "below"
                message = f"{relation} this provider's {other} ({kept}); give {other} too"
                errors.append(RowError(plan.rows[0], column, message))
        if payment:
            column, other = payment
            both = plan.relations[column] & {option.pk for option in getattr(provider, other).all()}
            if both:
                message = (
                    f"{', '.join(sorted(both))} also in this provider's {other}; give {other} too"
                )
                errors.append(RowError(plan.rows[0], column, message))
    return errors


def pair_with_one_given(given: set[str], first: str, second: str) -> tuple[str, str] | None:
    """Return (the given column, the other) when the file gives just one of the two."""
    if (first in given) == (second in given):
        return None
    return (first, second) if first in given else (second, first)
