"""Reading one cell of a providers CSV: Django form fields, each saying what is wrong.

The cell as directory/csvfile.py's clean_cell() left it (trimmed, the export's
formula escaping undone); a blank cell of an optional fact is "unknown". What the
models check themselves (lengths, URLs, the NPI) is left to their full_clean().
"""

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import Any, Generic, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from directory.csvfile import is_relation, shown
from directory.facts import HoursError, parse_hours
from directory.fields import validate_npi
from directory.models import Condition, Language, PaymentOption, PrescriberType, Provider, Treatment
from directory.states import STATES

# Yes-or-no cells (accepting_new_patients, the facts), as spreadsheets spell them.
ANSWERS = {
    **dict.fromkeys(["yes", "y", "true", "1"], True),
    **dict.fromkeys(["no", "n", "false", "0"], False),
    **dict.fromkeys(["", "unknown"], None),
}

T = TypeVar("T")


def state_in_cell(value: str) -> str:
    """Return the code of the state `value` names in any case, or raise ValidationError."""
    if (code := value.upper()) not in STATES:
        raise ValidationError(f"unknown state code {shown(value)}", code="invalid")
    return code


def term_pk(known: dict[str, T], slug: str) -> T:
    """Return the primary key of the term `slug` names in any case, or raise ValidationError."""
    if (pk := known.get(slug.lower())) is None:
        message = f"unknown slug {shown(slug)}; known: {', '.join(known)}"
        raise ValidationError(message, code="invalid")
    return pk


def language_code(names: dict[str, str], code: str) -> str:
    """Return the ISO 639-1 code `code` in any case, or raise ValidationError."""
    if code.lower() in names:
        return code.lower()
    # 184 codes are too many to list; a language's name is a likely mistake.
    by_name = {name.casefold(): known for known, name in names.items()}
    known = by_name.get(code.casefold())
    hint = f"{names[known]} is {known}" if known else "like en, es or zh"
    message = f"unknown language code {shown(code)}; use ISO 639-1 codes, {hint}"
    raise ValidationError(message, code="invalid")


def list_items(columns: Iterable[str]) -> dict[str, Callable[[str], Any]]:
    """Return, per list column in `columns`, what reads one item; known terms are read once."""
    columns = set(columns)
    items: dict[str, Callable[[str], Any]] = {
        "conditions": partial(term_pk, dict(Condition.objects.values_list("slug", "pk"))),
        "treatments": partial(term_pk, dict(Treatment.objects.values_list("slug", "pk"))),
    }
    if columns & {"payment_options", "payment_declined"}:
        payment = partial(
            term_pk, {slug: slug for slug in PaymentOption.objects.values_list("slug", flat=True)}
        )
        items["payment_options"] = items["payment_declined"] = payment
    if "prescriber_types" in columns:
        slugs = PrescriberType.objects.values_list("slug", flat=True)
        items["prescriber_types"] = partial(term_pk, {slug: slug for slug in slugs})
    if "languages" in columns:
        names = dict(Language.objects.order_by("slug").values_list("slug", "name"))
        items["languages"] = partial(language_code, names)
    return items


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


class WholeNumberField(forms.Field):
    """A count or a price in whole dollars: digits only, or blank for unknown."""

    def __init__(self, maximum: int) -> None:
        super().__init__(required=False)
        self.maximum = maximum  # the database column's (SQLite would store more)

    def to_python(self, value: Any) -> int | None:
        text = str(value)
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise ValidationError(
                f"not a whole number of 0 or more: {shown(text)}; write digits only, like 450",
                code="invalid",
            )
        # Length first: int() of thousands of digits is slow, then refused.
        if len(text.lstrip("0")) > len(str(self.maximum)) or int(text) > self.maximum:
            raise ValidationError(f"too large: {shown(text)}; at most {self.maximum}", code="max")
        return int(text)


class DateCellField(forms.Field):
    """A day as YYYY-MM-DD, or blank for never."""

    def to_python(self, value: Any) -> date | None:
        text = str(value)
        if not text:
            return None
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass  # 2026-02-30
        raise ValidationError(
            f"not a date: {shown(text)}; write YYYY-MM-DD, like 2026-03-31", code="invalid"
        )


class ChoiceCellField(forms.Field):
    """One of a model field's choices, in any case, or blank for unknown."""

    def __init__(self, choices: Iterable[str]) -> None:
        super().__init__(required=False)
        self.known = {choice.lower(): choice for choice in choices}

    def to_python(self, value: Any) -> str:
        text = str(value)
        if not text:
            return ""
        if (choice := self.known.get(text.lower())) is None:
            allowed = ", ".join(self.known.values())
            raise ValidationError(
                f"unknown value {shown(text)}; use {allowed}, or leave it blank for unknown",
                code="invalid",
            )
        return choice


class HoursField(forms.Field):
    """A site's opening hours in their one-line form, "Mon-Fri 08:00-17:00; Sat 09:00-12:00"."""

    def to_python(self, value: Any) -> list[Any]:
        try:
            return list(parse_hours(str(value)))
        except HoursError as error:
            raise ValidationError(str(error), code="invalid") from None


def provider_fact_field(column: str, items: dict[str, Callable[[str], Any]]) -> forms.Field:
    """The form field that reads `column`, from the model field of that name."""
    field = Provider._meta.get_field(column)
    if is_relation(column):
        return ListField(items[column])
    if isinstance(field, models.BooleanField):
        return AnswerField(required=False)
    if isinstance(field, models.DateField):
        return DateCellField(required=False)
    if isinstance(field, models.IntegerField):
        ranges = BaseDatabaseOperations.integer_field_ranges
        return WholeNumberField(maximum=ranges[field.get_internal_type()][1])
    if isinstance(field, models.CharField) and field.choices:
        return ChoiceCellField(str(value) for value, _ in field.choices)
    if column == "npi":
        # Checked here, so that a refused NPI gets validate_npi's message only,
        # not the model's length message as well.
        return forms.CharField(required=False, strip=False, validators=[validate_npi])
    return CellField()


def location_fact_field(column: str) -> forms.Field:
    if column == "opening_hours":
        return HoursField(required=False)
    if column == "hours_note":
        return CellField()
    return AnswerField(required=False)


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
