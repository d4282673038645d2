"""What a result card and an API row show of a provider: one typed object, built in one place."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection

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

    Their conditions, treatments and states take one query, unless `linked`
    (from linked_terms()) already holds them.
    """
    sites = sites or {}
    if linked is None:
        linked = linked_terms([provider.pk for provider in providers])
    cards = []
    for provider in providers:
        conditions, treatments, states = linked[provider.pk]
        site = sites.get(provider.pk)
        cards.append(
            ProviderCard(
                provider=provider,
                site=site.location if site else None,
                distance=site.distance if site else None,
                conditions=conditions,
                treatments=treatments,
                states=states,
            )
        )
    return cards


Linked = tuple[list[CachedTerm], list[CachedTerm], list[str]]


def linked_terms(ids: list[int]) -> dict[int, Linked]:
    """Each provider's conditions and treatments (by name) and at-home states (by code)."""
    found: dict[int, Linked] = {pk: ([], [], []) for pk in ids}
    if not ids:
        return found
    terms = reference()
    conditions, treatments = terms.condition_by_id(), terms.treatment_by_id()
    with connection.cursor() as cursor:
        cursor.execute(terms_sql(len(ids)), ids * 3)
        for provider_id, condition_id, treatment_id, state_id in cursor:
            mine = found[provider_id]
            # A term added since the reference cache was filled is left out until it refreshes.
            if condition_id is not None:
                if term := conditions.get(condition_id):
                    mine[0].append(term)
            elif treatment_id is not None:
                if term := treatments.get(treatment_id):
                    mine[1].append(term)
            else:
                mine[2].append(state_id)
    for mine_conditions, mine_treatments, mine_states in found.values():
        mine_conditions.sort(key=by_name)
        mine_treatments.sort(key=by_name)
        mine_states.sort()
    return found


def by_name(term: CachedTerm) -> str:
    return term.name


@lru_cache
def terms_sql(count: int) -> str:
    """One UNION over the three link tables for `count` providers.

    Written out rather than built with the ORM: the three querysets and their
    casts cost a search more Python than everything else it asks the database.
    """
    placeholders = ", ".join(["%s"] * count)
    branches = [
        (Provider.conditions.through, "condition_id", "NULL", "NULL"),
        (Provider.treatments.through, "NULL", "treatment_id", "NULL"),
        (Provider.serves_states.through, "NULL", "NULL", "state_id"),
    ]
    # Only table names from the models and placeholders go into the text.
    return " UNION ALL ".join(
        f"SELECT provider_id, {condition}, {treatment}, {state} FROM {model._meta.db_table}"  # noqa: S608
        f" WHERE provider_id IN ({placeholders})"
        for model, condition, treatment, state in branches
    )
