"""Managers and QuerySets more than one app uses, and the content version."""

from collections.abc import Collection
from functools import lru_cache
from typing import Any, Self

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import connection, models
from django.db.models.base import DEFERRED


class FewColumnsModel(models.Model):
    """A model whose rows are often read with a few of their many columns (.only()).

    Django's from_db() matches the columns read to the model's fields afresh for each
    row, a scan of the columns for each field: 4.8 of the 8.8 µs a search card's
    provider (12 of 52 columns) took to become a model. Here the match is worked out
    once per model and set of columns (loaded_positions()), and Django does the rest.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        fields = cls._meta.concrete_fields
        if len(values) != len(fields):
            # As Django reads them: the values come in the fields' order.
            row: list[Any] = [DEFERRED] * len(fields)
            positions = loaded_positions(cls, tuple(field_names))
            for position, value in zip(positions, values, strict=True):
                row[position] = value
            values = row
        return super().from_db(db, field_names, values, **kwargs)


@lru_cache(maxsize=256)
def loaded_positions(model: type[models.Model], names: tuple[str, ...]) -> tuple[int, ...]:
    """Where the columns `names` (attnames) stand among `model`'s concrete fields."""
    return tuple(
        position
        for position, field in enumerate(model._meta.concrete_fields)
        if field.attname in names
    )


class SlugManager(models.Manager):
    """Look rows up by slug, so fixtures stay stable across databases."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class PublishableQuerySet(models.QuerySet):
    """Rows the public sees through published(); editors may open the rest."""

    def published(self) -> Self:
        raise NotImplementedError

    def visible_to(self, user: AbstractUser | AnonymousUser) -> Self:
        """What `user` may open: the public sees published rows, editors see all."""
        opts = self.model._meta
        permission = f"{opts.app_label}.view_{opts.model_name}"
        if user.is_active and user.is_staff and user.has_perm(permission):
            return self
        return self.published()

    def with_content_version(self) -> Self:
        """Each row with the content version now (`content_version`), read in the same
        statement as the rows: what is kept of them is kept under it (core.cache)."""
        return self.annotate(content_version=ContentVersion.column())


class ContentVersion(models.Model):
    """One row counting changes to anything a page shows (core.cache.bump_content_version).

    Pages keep fragments drawn from content (an article's text and references, its
    whole page for readers) in each process under this number, read before the
    content (read()), so nothing is kept under a number older than what it shows:
    every process and every host sees a change with the next request, with or
    without Redis, and the number changes in the same transaction as the content.
    """

    ROW = 1

    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_content_version")]

    def __str__(self):
        return f"content version {self.value}"

    @classmethod
    def read(cls) -> int:
        """The version now, in a query of its own (0 while the table is empty)."""
        # In SQL: building and compiling the ORM's query was 70% of this, and a kept
        # page (core.cache.kept_for_readers) runs nothing else of the database's.
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE id = %s", [cls.ROW])  # noqa: S608
            row = cursor.fetchone()
        return row[0] if row else 0

    @classmethod
    def column(cls) -> models.Subquery:
        """The version as a column of another query, which reads it in the same
        statement as its own rows (None while the table is empty)."""
        return models.Subquery(cls.objects.filter(pk=cls.ROW).values("value")[:1])

    @classmethod
    def bump(cls) -> None:
        if not cls.objects.filter(pk=cls.ROW).update(value=models.F("value") + 1):
            cls.objects.get_or_create(pk=cls.ROW)  # an emptied table (a flushed test database)
