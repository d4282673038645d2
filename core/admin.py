"""Admin pieces every app's admin uses."""

from django.contrib import admin
from django.db.models import QuerySet


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
