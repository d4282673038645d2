"""Searches built as the pages build them, for tests that call directory.search directly."""

from directory.filters import SearchForm
from directory.search import SearchQuery


def form_query(**params) -> SearchQuery:
    """The SearchQuery a page's form makes of `params` (which must be valid)."""
    form = SearchForm(params)
    assert form.is_valid(), form.errors
    return form.search_query()
