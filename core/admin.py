"""Admin pieces every app's admin uses."""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet


class SubsetFilter(admin.SimpleListFilter):
    """A list filter with two choices: rows in a subset, or rows outside it.

    Subclasses name the two choices (`inside`, `outside`: value and label) and
    return the subset from subset(), usually a QuerySet method such as stale().
    """

    inside: tuple[str, str]
    outside: tuple[str, str]

    def subset(self) -> QuerySet:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [self.inside, self.outside]

    def queryset(self, request, queryset):
        if self.value() == self.inside[0]:
            return queryset.filter(pk__in=self.subset().values("pk"))
        if self.value() == self.outside[0]:
            return queryset.exclude(pk__in=self.subset().values("pk"))
        return queryset


def readable(field: Field, value: Any) -> bool:
    """Whether `value`, as posted, is one `field` can hold and the database compare: of
    its type, within its validators (for a number, the database's range), and without
    NUL (which PostgreSQL cannot compare)."""
    if "\x00" in str(value):
        return False
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def readable_choices(widget: AutocompleteMixin, value: Sequence[str]) -> list[str]:
    """The chosen values an autocomplete widget can look up: those its related key can read.

    Django's widgets look the chosen values up to draw their labels. A value the key
    cannot hold (text, or on SQLite a 40-digit number, for a numeric key; NUL, which
    PostgreSQL cannot compare) raised there, and a form sent back with its errors was a
    500. The field itself refuses such a value with its own message; the widget leaves
    it out of the drawing.
    """
    related = widget.field.remote_field
    assert related is not None
    options = related.model._meta
    key = options.get_field(getattr(related, "field_name", options.pk.name))
    assert isinstance(key, Field)
    return [item for item in value if readable(key, item)]


class ReadableAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, readable_choices(self, value), attr)


class ReadableAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, readable_choices(self, value), attr)


class AutocompleteAdmin(admin.ModelAdmin):
    """A ModelAdmin whose autocomplete_fields draw with the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
