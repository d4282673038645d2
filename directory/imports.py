"""Providers from CSV: the one importer, for the command line and the admin.

One row per location; rows sharing an external_id are one provider. The file is
the truth for the providers it names, and an import is all or nothing: every
row is checked first (directory/import_rows.py), and nothing is written unless
all rows are valid. The file format itself is directory/csvfile.py.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import models, transaction
from django.utils.text import slugify

from core.cache import one_bump
from core.history import record_change
from directory.csvfile import Record
from directory.import_rows import PlannedProvider, check
from directory.models import (
    PROVIDER_RELATIONS,
    Location,
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
        taken_slugs: set[str] = set()
        with deferred_copies(), one_bump():
            for plan in planned:
                provider = existing.get(plan.external_id)
                links = stored[provider.pk] if provider else None
                provider, action = write_provider(plan, provider, links, taken_slugs)
                locations_changed, warnings = write_locations(
                    provider, plan.locations, plan.location_fields, new=action == "created"
                )
                if locations_changed and action == "unchanged":
                    action = "updated"
                    # Its own fields are as they were (the locations keep their own
                    # history), but a form opened before the import is out of date.
                    provider.save_without_historical_record(  # type: ignore[attr-defined]
                        update_fields=["updated_at"]
                    )
                report.changes.append(
                    ProviderChange(
                        plan.external_id, action, provider, plan.rows, len(plan.locations)
                    )
                )
                report.warnings += warnings
        if dry_run:
            transaction.set_rollback(True)
    return report


def unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:190] or "provider"
    slug, n = base, 1
    while slug in taken or Provider.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def write_provider(
    plan: PlannedProvider,
    provider: Provider | None,
    stored: dict[str, list[models.Model]] | None,
    taken_slugs: set[str],
) -> tuple[Provider, Action]:
    """Make one provider's own fields and relations what its rows say; return (provider, action).

    Only the fields and relations the file has columns for: the others stay as
    they are. A changed provider is saved, which counts up its version (so an
    editor's form opened before the import is refused), and gets one history record.
    `stored` are its link rows as read before (stored_links()); None for a new provider.
    """
    wanted = plan.relations
    created = provider is None
    links = dict(stored or {})
    if provider is None:
        provider = plan.provider
        provider.slug = unique_slug(provider.name, taken_slugs)
        changed = []
        relations = [relation for relation, pks in wanted.items() if pks]
    else:
        changed = [
            name for name in plan.fields if getattr(provider, name) != getattr(plan.provider, name)
        ]
        for name in changed:
            setattr(provider, name, getattr(plan.provider, name))
        relations = [
            relation
            for relation, pks in wanted.items()
            if linked_pks(relation, links[relation]) != pks
        ]
        if not (changed or relations):
            return provider, "unchanged"

    # One record, with the relations. (django-simple-history adds this flag, and
    # save_without_historical_record(), at run time: the stubs cannot know them.)
    provider.skip_history_when_saving = True  # type: ignore[attr-defined]
    provider.save(update_fields=None if created else [*changed, "updated_at"])
    for relation in relations:
        links[relation] = relink(provider, relation, links.get(relation, []), wanted[relation])
    if relations and not created:
        # Its sites' copies, which m2m_changed would have queued (a new provider's save has).
        copy_to_sites_of(provider.pk)
    record_change(provider, created=created, links=links)
    return provider, "created" if created else "updated"


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
    provider: Provider, wanted: list[tuple[int, Location]], facts: list[str], *, new: bool
) -> tuple[bool, list[str]]:
    """Match the file's locations to the provider's by address; return (changed, warnings).

    A matched site takes the file's coordinates and the facts (Location fields)
    the file gives; its other facts stay as they are. A `new` provider has none to read.
    """
    warnings = []
    current: defaultdict[tuple[str, ...], list[Location]] = defaultdict(list)
    if not new:
        for location in provider.locations.all():
            current[address_key(location)].append(location)
    changed = False
    for number, location in wanted:
        matches = current.get(address_key(location))
        if not matches:
            location.provider = provider
            if not location.has_coordinates and (warning := location.regeocode()):
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
            warning = existing.regeocode()
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
