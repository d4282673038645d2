"""Conditions and treatments, read on every search: tiny, cached, dropped on any edit.

With Redis every server sees an edit within LOCAL_SECONDS; with the per-process
memory cache other processes see it within CACHE_SECONDS. A search asks for them
half a dozen times (choices, validation, rendering), so each process also keeps
its own copy for LOCAL_SECONDS rather than going to the cache every time.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import get_language

CACHE_KEY = "directory:reference:v2"
CACHE_SECONDS = 300
LOCAL_SECONDS = 2.0
_local: tuple[float, "Reference | None"] = (0.0, None)  # (monotonic expiry, data), this process


@dataclass(frozen=True)
class CachedTerm:
    """A condition or treatment as searches and cards use it (not the model)."""

    id: int
    slug: str
    name: str
    name_es: str = ""

    def __str__(self):
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the page's language (English when there is no translation)."""
        return self.name_in(get_language())

    def name_in(self, language: str | None) -> str:
        """local_name for a caller that knows the language (a page of cards asks once)."""
        return self.name_es if language == "es" and self.name_es else self.name


@dataclass(frozen=True)
class Reference:
    conditions: tuple[CachedTerm, ...]
    treatments: tuple[CachedTerm, ...]

    def condition(self, slug: str) -> CachedTerm | None:
        return next((term for term in self.conditions if term.slug == slug), None)

    def treatment(self, slug: str) -> CachedTerm | None:
        return next((term for term in self.treatments if term.slug == slug), None)

    def condition_by_id(self) -> dict[int, CachedTerm]:
        return {term.id: term for term in self.conditions}

    def treatment_by_id(self) -> dict[int, CachedTerm]:
        return {term.id: term for term in self.treatments}


def reference() -> Reference:
    """Return every condition and treatment, from the cache when it has them."""
    global _local
    expires, data = _local
    if data is not None and time.monotonic() < expires:
        return data
    data = cache.get(CACHE_KEY)
    if data is None:
        from directory.models import Condition, Treatment

        data = Reference(
            conditions=tuple(
                CachedTerm(*row)
                for row in Condition.objects.values_list("id", "slug", "name", "name_es")
            ),
            treatments=tuple(
                CachedTerm(*row)
                for row in Treatment.objects.values_list("id", "slug", "name", "name_es")
            ),
        )
        cache.set(CACHE_KEY, data, CACHE_SECONDS)
    _local = (time.monotonic() + LOCAL_SECONDS, data)
    return data


def forget_reference(**kwargs):
    """Signal receiver: a condition or treatment changed."""
    global _local
    _local = (0.0, None)
    cache.delete(CACHE_KEY)
