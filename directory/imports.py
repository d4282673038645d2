"""Providers from CSV: the one importer, for the command line and the admin.

One row per location; rows sharing an external_id are one provider. The file is
the truth for the providers it names, and an import is all or nothing: every
row is checked first (directory/import_rows.py), and nothing is written unless
all rows are valid. The file format itself is directory/csvfile.py.
"""

import copy
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models, transaction
from django.utils.text import slugify

from core.cache import bump_content_version, one_bump
from core.history import record_baselines, record_changes, without_history
from directory.csvfile import Record
from directory.geocoding import zip_centres
from directory.import_rows import PlannedProvider, check
from directory.models import (
    PROVIDER_RELATIONS,
    Location,
    Place,
    Provider,
    copy_to_sites_of,
    deferred_copies,
    link_fields,
)

Action = Literal["created", "updated", "unchanged"]


@dataclass
class ProviderChange:
    """What an import does to one provider."""

    external_id: str
    action: Action
    provider: Provider
    rows: list[int]
    locations: int


@dataclass
class ImportReport:
    changes: list[ProviderChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> str:
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        return (
            f"{prefix}{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )


# --- Writing ------------------------------------------------------------------


def import_providers(records: list[Record], *, dry_run: bool = False) -> ImportReport:
    """Check every row, then write them all, or nothing; return an ImportReport.

    Raises ImportFailed with every error when any row is invalid. A dry run
    does all the same work inside a transaction that is then rolled back.
    """
    planned = check(records)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        # Locked, so an editor's save and the import never interleave on a row.
        locked = (
            Provider.objects.filter(external_id__in=[plan.external_id for plan in planned])
            .select_for_update()
            .prefetch_related("locations")
        )
        existing = {provider.external_id: provider for provider in locked}
        stored = stored_links(existing.values())
        # Seeded or loaded from fixtures: recorded as they were stored, if they change.
        unrecorded = {p.pk: copy.copy(p) for p in without_history(list(existing.values()))}
        changed: dict[int, dict[str, list[models.Model]]] = {}  # links, by provider
        saved: list[Provider] = []
        # The ZIP codes' centres, for the sites the file gives no coordinates: one query.
        centres = zip_centres(
            location.zip
            for plan in planned
            for _, location in plan.locations
            if not location.has_coordinates
        )
        with deferred_copies(), one_bump():
            new = [plan for plan in planned if plan.external_id not in existing]
            created = create_providers(new, centres)
            for plan in planned:
                if plan.external_id in created:
                    provider, warnings = created[plan.external_id]
                    action: Action = "created"
                else:
                    provider = existing[plan.external_id]
                    links = write_provider(plan, provider, stored[provider.pk])
                    action = "unchanged" if links is None else "updated"
                    if links is not None:
                        changed[provider.pk] = links
                    locations_changed, warnings = write_locations(
                        provider, plan.locations, plan.location_fields, centres
                    )
                    if locations_changed and action == "unchanged":
                        action = "updated"
                        # Its own fields are as they were (the locations keep their own
                        # history), but a form opened before the import is out of date.
                        provider.save_without_historical_record(  # type: ignore[attr-defined]
                            update_fields=["updated_at"]
                        )
                    if action == "updated":
                        saved.append(provider)
                report.changes.append(
                    ProviderChange(
                        plan.external_id, action, provider, plan.rows, len(plan.locations)
                    )
                )
                report.warnings += warnings
            record_baselines([unrecorded[p.pk] for p in saved if p.pk in unrecorded], stored)
            record_changes(
                [provider for provider in saved if provider.pk in changed], links=changed
            )
        if dry_run:
            transaction.set_rollback(True)
    return report


def create_providers(
    plans: list[PlannedProvider], centres: Mapping[str, Place]
) -> dict[str, tuple[Provider, list[str]]]:
    """Write the providers new to the site, with their relations, their sites and a
    history record of each; return each one's provider and warnings by external_id.

    Together, a query per table rather than per provider: written one at a time, a new
    provider cost 17 queries, whose building in the ORM was most of an import's time.
    bulk_create() calls no save() and sends no post_save: what those do is done here,
    the derived fields (set_derived_fields()), the history, the sites' copies (at the
    import's end: deferred_copies()) and the content version's bump. A site without
    coordinates is placed at its ZIP code's centre, from `centres` (zip_centres()).
    """
    if not plans:
        return {}
    providers = [plan.provider for plan in plans]
    for provider, slug in zip(providers, new_slugs([p.name for p in providers]), strict=True):
        provider.slug = slug
        provider.set_derived_fields()
    Provider.objects.bulk_create(providers)
    links: dict[int, dict[str, list[models.Model]]] = {provider.pk: {} for provider in providers}
    for relation in PROVIDER_RELATIONS:
        through, source, target = link_fields(relation)
        rows = through.objects.bulk_create(
            through(**{source.attname: provider.pk, target.attname: pk})
            for plan, provider in zip(plans, providers, strict=True)
            for pk in sorted(plan.relations.get(relation, ()))
        )
        for row in rows:
            links[getattr(row, source.attname)].setdefault(relation, []).append(row)
    record_changes(providers, created=True, links=links)
    sites, created = [], {}
    for plan, provider in zip(plans, providers, strict=True):
        warnings = []
        for number, location in plan.locations:
            location.provider = provider
            if not location.has_coordinates and (warning := location.regeocode(centres)):
                warnings.append(f"row {number}: {warning}")
            location.set_derived_fields()
            sites.append(location)
        created[plan.external_id] = (provider, warnings)
        copy_to_sites_of(provider.pk)
    Location.objects.bulk_create(sites)
    record_changes(sites, created=True)
    bump_content_version()
    return created


def new_slugs(names: list[str]) -> list[str]:
    """A slug for each of `names`, in order, that no provider has and no other name of
    the list gets: the name's own, or else with -2, -3 … after it.

    The slugs taken are read first: a query for the names' own, and one for every
    number after a name's own that one of them may need (its own taken, or a name
    given twice), rather than a query for each slug tried.
    """
    bases = [slugify(name)[:190] or "provider" for name in names]
    stored = set(Provider.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
    given = Counter(bases)
    for base in sorted(base for base, times in given.items() if base in stored or times > 1):
        numbered = Provider.objects.filter(slug__startswith=f"{base}-")
        stored.update(numbered.values_list("slug", flat=True))
    slugs = []
    for base in bases:
        slug, n = base, 1
        while slug in stored:
            n += 1
            slug = f"{base}-{n}"
        stored.add(slug)
        slugs.append(slug)
    return slugs


def write_provider(
    plan: PlannedProvider, provider: Provider, stored: dict[str, list[models.Model]]
) -> dict[str, list[models.Model]] | None:
    """Make a stored provider's own fields and relations what its rows say; return its
    link rows as they now are, for its history record, or None if nothing changed.

    Only the fields and relations the file has columns for: the others stay as
    they are. A changed provider is saved, which counts up its version (so an
    editor's form opened before the import is refused); its one history record, with
    the relations, is the caller's to write (record_changes(), for the whole import).
    `stored` are its link rows as read before (stored_links()).
    """
    wanted = plan.relations
    links = dict(stored)
    changed = [
        name for name in plan.fields if getattr(provider, name) != getattr(plan.provider, name)
    ]
    for name in changed:
        setattr(provider, name, getattr(plan.provider, name))
    relations = [
        relation for relation, pks in wanted.items() if linked_pks(relation, links[relation]) != pks
    ]
    if not (changed or relations):
        return None

    # (django-simple-history adds this flag, and save_without_historical_record(), at
    # run time: the stubs cannot know them.)
    provider.skip_history_when_saving = True  # type: ignore[attr-defined]
    provider.save(update_fields=[*changed, "updated_at"])
    for relation in relations:
        links[relation] = relink(provider, relation, links[relation], wanted[relation])
    if relations:
        # Its sites' copies, which m2m_changed would have queued.
        copy_to_sites_of(provider.pk)
    return links


def stored_links(providers: Iterable[Provider]) -> dict[int, dict[str, list[models.Model]]]:
    """The link rows of `providers`, by provider and relation, with their ids: one query
    a relation, for the whole import."""
    ids = [provider.pk for provider in providers]
    links: dict[int, dict[str, list[models.Model]]] = {
        pk: {relation: [] for relation in PROVIDER_RELATIONS} for pk in ids
    }
    for relation in PROVIDER_RELATIONS:
        through, source, _ = link_fields(relation)
        for row in through.objects.filter(**{f"{source.attname}__in": ids}).order_by("pk"):
            links[getattr(row, source.attname)][relation].append(row)
    return links


def linked_pks(relation: str, rows: list[models.Model]) -> set[Any]:
    _, _, target = link_fields(relation)
    return {getattr(row, target.attname) for row in rows}


def relink(
    provider: Provider, relation: str, rows: list[models.Model], pks: set[Any]
) -> list[models.Model]:
    """Link `provider` to exactly `pks` of `relation`, `rows` being its links as stored: a
    DELETE and an INSERT at the most. Returns the rows now stored, with their ids, for its
    history record.

    set() and add() would read the links again, and send m2m_changed, whose receivers
    bump the content version and copy the provider's terms to its sites. Here the
    provider's save bumps the version (once for the whole import: one_bump()), and its
    sites' copies are made with the import's others at its end (deferred_copies()).
    """
    through, source, target = link_fields(relation)
    kept = [row for row in rows if getattr(row, target.attname) in pks]
    if gone := [row.pk for row in rows if getattr(row, target.attname) not in pks]:
        through.objects.filter(pk__in=gone).delete()
    new = pks - {getattr(row, target.attname) for row in kept}
    added = through.objects.bulk_create(
        [through(**{source.attname: provider.pk, target.attname: pk}) for pk in sorted(new)]
    )
    return kept + added


def address_key(location: Location) -> tuple[str, ...]:
    fields = ["address1", "address2", "city", "state_id", "zip"]
    return tuple(str(getattr(location, name)).casefold() for name in fields)


def write_locations(
    provider: Provider,
    wanted: list[tuple[int, Location]],
    facts: list[str],
    centres: Mapping[str, Place],
) -> tuple[bool, list[str]]:
    """Match the file's locations to a stored provider's by address; return (changed,
    warnings).

    A matched site takes the file's coordinates and the facts (Location fields)
    the file gives; its other facts stay as they are. A site without coordinates is
    placed at its ZIP code's centre, from `centres` (geocoding.zip_centres()).
    """
    warnings = []
    current: defaultdict[tuple[str, ...], list[Location]] = defaultdict(list)
    for location in provider.locations.all():
        current[address_key(location)].append(location)
    changed = False
    for number, location in wanted:
        matches = current.get(address_key(location))
        if not matches:
            location.provider = provider
            if not location.has_coordinates and (warning := location.regeocode(centres)):
                warnings.append(f"row {number}: {warning}")
            location.save()
            changed = True
            continue
        existing = matches.pop(0)
        before = (existing.latitude, existing.longitude, existing.coordinates_source)
        if location.coordinates_source == Location.Source.MANUAL:
            existing.latitude, existing.longitude = location.latitude, location.longitude
            existing.coordinates_source = Location.Source.MANUAL
        elif existing.coordinates_source == Location.Source.MANUAL:
            # The file no longer pins this site: place it from its address.
            warning = existing.regeocode(centres)
            if warning:
                warnings.append(f"row {number}: {warning}")
        new_facts = [name for name in facts if getattr(existing, name) != getattr(location, name)]
        for name in new_facts:
            setattr(existing, name, getattr(location, name))
        if new_facts or before != (
            existing.latitude,
            existing.longitude,
            existing.coordinates_source,
        ):
            existing.save()
            changed = True
    stale = [location.pk for matches in current.values() for location in matches]
    if stale:
        Location.objects.filter(pk__in=stale).delete()
        changed = True
    return changed, warnings
