"""What a result card and an API row show of a provider: one typed object, built in one place."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection

from directory.facts import PAYMENT_OPTIONS
from directory.models import Location, Provider
from directory.reference import CachedTerm, reference


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
            )
        )
    return cards


@dataclass(frozen=True)
class Linked:
    """What the link tables hold for one provider."""

    conditions: list[CachedTerm] = field(default_factory=list)
    treatments: list[CachedTerm] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # by code
    payment_options: list[str] = field(default_factory=list)  # accepted, by slug
    languages: list[str] = field(default_factory=list)  # by ISO 639-1 code


# The kinds of row terms_sql() returns, in the order of its branches.
CONDITION, TREATMENT, STATE, PAYMENT, LANGUAGE = range(5)


def linked_terms(ids: list[int]) -> dict[int, Linked]:
    """Each provider's conditions and treatments (by name), and its at-home states,
    accepted payment options (in the list's order) and languages (by code)."""
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
