"""Checking an import: a Django form per row, and the model's own validation.

Every row is checked and every problem collected, sorted by row and column, so
an editor fixes a file in one pass; nothing is written here.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from directory.csvfile import (
    COLUMNS,
    PROVIDER_COLUMNS,
    Cells,
    ImportFailed,
    Record,
    RowError,
    shown,
)
from directory.models import Condition, Location, Provider, Treatment
from directory.states import STATES

# The provider's own fields among them (the rest are relations).
PROVIDER_FIELDS = [
    column
    for column in PROVIDER_COLUMNS
    if column not in ["conditions", "treatments", "serves_states"]
]
# accepting_new_patients, as spreadsheets spell it.
ANSWERS = {
    **dict.fromkeys(["yes", "y", "true", "1"], True),
    **dict.fromkeys(["no", "n", "false", "0"], False),
    **dict.fromkeys(["", "unknown"], None),
}

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def state_in_cell(value: str) -> str:
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
        return state_in_cell(str(value))


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
    serves_states = ListField(state_in_cell)
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
