"""The site's two languages: English at the original addresses, Spanish under /es/."""

from django.utils.translation import get_language


def in_language(english: str, spanish: str) -> str:
    """`spanish` on a Spanish page when there is one, else `english` (reference data
    keeps both in columns of its own: name and name_es)."""
    return spanish if spanish and get_language() == "es" else english


# Longer than any query the site's own forms and links make: a longer one is not
# carried over to the other language.
MAX_KEPT_QUERY = 1000


def switch_keeps_query(view):
    """Mark `view` as one whose query string the language switch carries over (a search,
    a comparison): the patient lands on the same results in the other language."""
    view.switch_keeps_query = True
    return view


def keeps_query(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        match is not None
        and getattr(match.func, "switch_keeps_query", False)
        and len(request.META.get("QUERY_STRING", "")) <= MAX_KEPT_QUERY
    )
