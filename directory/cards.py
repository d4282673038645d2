"""What a result card and an API row show of a provider: one typed object, built in one place."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from django.db import connection
from django.utils.translation import get_language

from directory.facts import PAYMENT_OPTIONS
from directory.models import Location, Provider
from directory.reference import CachedTerm, Reference, reference

# What a card draws of its provider and a site, by the site's id (None without one) and
# the language: pieces of HTML (directory_tags.drawn_card()).
Drawn = dict[tuple[int | None, str | None], tuple[str, ...]]


@dataclass(frozen=True)
class ProviderCard:
    """A provider as a list shows it.

    `site` is the clinic site shown (the nearest to the searched place, or the
    one in the searched state or city); None for an at-home listing.
    `distance` is in miles from the searched point to that site, when there is one.
    """

    provider: Provider
    site: Location | None
    distance: float | None
    conditions: list[CachedTerm]
    treatments: list[CachedTerm]
    states: list[str]  # where it treats patients at home, by code
    payment_options: list[str] = field(default_factory=list)  # accepted, by slug
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes
    # What the card's HTML draws of the provider and a site, kept for the next card of
    # them: Linked.drawn.
    drawn: Drawn = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ShownSite:
    """The site a card shows, and how far it is from the searched point."""

    location: Location
    distance: float | None = None


def provider_cards(
    providers: Sequence[Provider],
    sites: Mapping[int, ShownSite] | None = None,
    linked: Mapping[int, "Linked"] | None = None,
) -> list[ProviderCard]:
    """Cards for `providers`, in order, showing `sites` (by provider id).

    Their linked terms (conditions, treatments, states, payment, languages) take
    one query, unless `linked` (from linked_terms()) already holds them.
    """
    sites = sites or {}
    if linked is None:
        linked = linked_terms([provider.pk for provider in providers])
    cards = []
    for provider in providers:
        mine = linked[provider.pk]
        site = sites.get(provider.pk)
        cards.append(
            ProviderCard(
                provider=provider,
                site=site.location if site else None,
                distance=site.distance if site else None,
                conditions=mine.conditions,
                treatments=mine.treatments,
                states=mine.states,
                payment_options=mine.payment_options,
                languages=mine.languages,
                drawn=mine.drawn,
            )
        )
    return cards


@dataclass(frozen=True)
class Linked:
    """What the link tables hold for one provider. Kept and shared by the searches of a
    process (linked_terms()), and by the cards made of it: the terms are read, never
    changed.

    `drawn` is where its cards keep the HTML they draw of the provider's columns and a
    site's, in the page's language: all of a result card but its number and distance
    (directory_tags.provider_card()), added as they are drawn (two threads drawing the
    same card at once each draw it, and one is kept). Kept with the terms, it lasts as
    long: until the content version changes, which a search reads before its providers
    (directory.search.search()), so what a card shows is never older than the version
    it is kept under.
    """

    conditions: list[CachedTerm] = field(default_factory=list)
    treatments: list[CachedTerm] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # by code
    payment_options: list[str] = field(default_factory=list)  # accepted, by slug
    languages: list[str] = field(default_factory=list)  # by ISO 639-1 code
    drawn: Drawn = field(default_factory=dict, compare=False, repr=False)


# The kinds of row terms_sql() returns, in the order of its branches.
CONDITION, TREATMENT, STATE, PAYMENT, LANGUAGE = range(5)


def linked_terms(ids: list[int], version: int | None = None) -> dict[int, Linked]:
    """Each provider's conditions and treatments (by name), and its at-home states,
    accepted payment options (in the list's order) and languages (by code).

    With `version`, the content version this request read before calling (as a
    search does for its at-home options), the providers' terms kept in this process
    under it are not read again, and those read are kept: a metro's clinics come up
    in search after search, and reading their terms cost a search about 0.7 ms of
    Python and as much of the database's time. Only a save changes them, and every
    save changes the version, which drops them all.
    """
    if version is None:
        return read_linked(ids)
    kept = kept_linked(version)
    found = {pk: linked for pk in ids if (linked := kept.get(pk)) is not None}
    if missing := [pk for pk in ids if pk not in found]:
        read = read_linked(missing)
        if len(kept) + len(read) > KEPT_LINKED_MAX:
            kept.clear()
        kept.update(read)
        found.update(read)
    return {pk: found[pk] for pk in ids}


# How many providers' terms a process keeps for each language, with their cards' HTML:
# about 2.9 KB each (0.9 KB of terms), some 60 MB a language at most. At 100,000
# providers, over 2,000 searches of the mix after the first 1,000, a bound of 50,000
# drew 8 cards a search and this one 11, which cost about 0.05 ms more a search; it
# kept the terms of 58% of the providers shown, against 71%.
KEPT_LINKED_MAX = 20_000


class KeptLinked(NamedTuple):
    version: int
    terms: Reference | None  # the conditions and treatments they were read with
    by_language: dict[str | None, dict[int, Linked]]


_kept_linked = KeptLinked(-1, None, {})


def kept_linked(version: int) -> dict[int, Linked]:
    """The providers' terms this process keeps under content `version`, in the
    page's language (which orders them); what it kept under another version, or
    with other conditions and treatments, is let go.

    A term's change counts the version up too, but another process may read the
    terms from the cache before it sees the change (directory.reference): kept, its
    old name would stay until the next save, not for seconds.

    A dict of the process's own rather than the "fragments" cache, which pickles what
    it keeps: twenty providers' terms took 0.23 ms to get from it, a third of reading
    them (0.66 ms), against a few microseconds here.
    """
    global _kept_linked
    terms = reference()
    if _kept_linked.version != version or _kept_linked.terms != terms:
        _kept_linked = KeptLinked(version, terms, {})
    return _kept_linked.by_language.setdefault(get_language(), {})


def forget_linked_terms() -> None:
    """Let go of every provider's kept terms (a test's rollback hands its version out again)."""
    global _kept_linked
    _kept_linked = KeptLinked(-1, None, {})


def read_linked(ids: list[int]) -> dict[int, Linked]:
    """linked_terms(), read from the link tables."""
    found: dict[int, Linked] = {pk: Linked() for pk in ids}
    if not ids:
        return found
    terms = reference()
    conditions, treatments = terms.condition_by_id(), terms.treatment_by_id()
    # Each term's place in the page's alphabetical order, named once a search rather than
    # once for each provider's every term (local_name reads the page's language).
    condition_rank, treatment_rank = ranks(terms.conditions), ranks(terms.treatments)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array a branch: quicker to send and plan than a hundred placeholders.
            cursor.execute(terms_sql(1, connection.vendor), [ids] * len(BRANCHES))
        else:
            cursor.execute(terms_sql(len(ids), connection.vendor), ids * len(BRANCHES))
        for provider_id, kind, joined in cursor:
            mine = found[provider_id]
            values = joined.split(",")
            # A term added since the reference cache was filled is left out until it refreshes.
            if kind == CONDITION:
                mine.conditions.extend(
                    term for value in values if (term := conditions.get(int(value)))
                )
            elif kind == TREATMENT:
                mine.treatments.extend(
                    term for value in values if (term := treatments.get(int(value)))
                )
            elif kind == STATE:
                mine.states.extend(values)
            elif kind == PAYMENT:
                mine.payment_options.extend(values)
            else:
                mine.languages.extend(values)
    for mine in found.values():
        mine.conditions.sort(key=lambda term: condition_rank[term.id])
        mine.treatments.sort(key=lambda term: treatment_rank[term.id])
        mine.states.sort()
        mine.payment_options.sort(key=PAYMENT_ORDER.__getitem__)
        mine.languages.sort()
    return found


def ranks(terms: Iterable[CachedTerm]) -> dict[int, int]:
    """Each term's place (by id) in the order of its name in the page's language."""
    return {term.id: rank for rank, term in enumerate(sorted(terms, key=by_name))}


def by_name(term: CachedTerm) -> str:
    # The page's language: the same order as by the English name on an English page.
    return term.local_name


PAYMENT_ORDER = {slug: position for position, slug in enumerate(PAYMENT_OPTIONS)}
# (link table, the column of what it links to), one per kind.
BRANCHES = [
    (Provider.conditions.through, "condition_id"),
    (Provider.treatments.through, "treatment_id"),
    (Provider.serves_states.through, "state_id"),
    (Provider.payment_options.through, "paymentoption_id"),
    (Provider.languages.through, "language_id"),
]


@lru_cache
def terms_sql(count: int, vendor: str) -> str:
    """One UNION over the link tables for `count` providers (on PostgreSQL, for one
    array of ids): a row per provider and kind, its values joined by commas (no
    slug, code or id has one).

    Joined in the database because an at-home service serves a dozen states: a row
    per link was four times the rows, and reading them cost more than the query.
    Written out rather than built with the ORM: the querysets and their casts
    cost a search more Python than everything else it asks the database.
    """
    if vendor == "postgresql":
        among, joined = "= ANY(%s)", "string_agg({}, ',')"
    else:  # SQLite before 3.44 has no string_agg; PostgreSQL has no group_concat.
        among, joined = f"IN ({', '.join(['%s'] * count)})", "group_concat({}, ',')"
    # Only table names from the models, constants and placeholders go into the text.
    return " UNION ALL ".join(
        f"SELECT provider_id, {kind}, {joined.format(f'CAST({column} AS TEXT)')}"  # noqa: S608
        f" FROM {model._meta.db_table} WHERE provider_id {among}"
        " GROUP BY provider_id"
        for kind, (model, column) in enumerate(BRANCHES)
    )
