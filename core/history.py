"""Nothing lost: who changed what is recorded, and no save silently overwrites another's.

History comes from django-simple-history. A save that also changes many-to-many
relations would make one record per relation (simple-history records on every
m2m_changed signal), so the admin and the importer save with
`skip_history_when_saving` set and then write one record with record_change(),
once the fields, relations and inlines are all in place.

Optimistic locking: every save of a VersionedModel adds one to `version`. The
admin form carries the version the editor loaded and refuses a save when the
stored one has moved on (core/history_admin.py).
"""

from django.db import models
from django.utils import timezone
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)
from simple_history.utils import get_m2m_field_name

BASELINE_REASON = "As it was before its first recorded change"


class History(HistoricalRecords):
    """HistoricalRecords that its model can reach, for record_change()."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender._history_records = self

    def create_historical_record_m2ms(self, history_instance, instance):
        """simple-history's, with each relation's rows read as plain values.

        Its own read the record's instance back from the database for every
        relation, and each relation's rows joined with both of their models: with
        a provider's seven relations, that was most of a CSV import's time.
        """
        known = getattr(instance, "_history_links", None)
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            if known is None:
                through = field.remote_field.through
                values = through._default_manager.filter(
                    **{get_m2m_field_name(field): instance}
                ).values(*link_columns(field))
            else:
                values = link_values(field, known.get(field.name, []))
            rows = [m2m_history_model(history=history_instance, **row) for row in values]
            signal = {"history_instance": history_instance, "instance": instance, "field": field}
            pre_create_historical_m2m_records.send(sender=m2m_history_model, rows=rows, **signal)
            created_rows = m2m_history_model.objects.bulk_create(rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model, created_rows=created_rows, **signal
            )

    def record_many(self, instances, links, history_type):
        """A record (`history_type`) of each of `instances`, with their link rows as
        `links` gives them (instance's pk → {relation: rows}, with their ids): a query
        for the records and one a relation, however many rows.

        As simple-history's bulk_history_create(), which it uses, it sends no signal
        of a record's creation.
        """
        records = self.cls.history.bulk_history_create(instances, update=history_type == "~")
        for field in self.cls.history.model._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            m2m_history_model.objects.bulk_create(
                m2m_history_model(history=record, **row)
                for record, instance in zip(records, instances, strict=True)
                for row in link_values(field, links.get(instance.pk, {}).get(field.name, []))
            )


def link_columns(field):
    """The columns of a many-to-many `field`'s link table, as its history copies them."""
    return [column.attname for column in field.remote_field.through._meta.concrete_fields]


def link_values(field, links):
    """`links`, rows of `field`'s link table, as {column: value} for its history."""
    columns = link_columns(field)
    return [{column: getattr(link, column) for column in columns} for link in links]


def record_change(instance, *, created=False, user=None, links=None):
    """Write one history record of `instance` as it is now, relations included.

    For a save made with `skip_history_when_saving` set; clears that flag. `links`
    are the row's link rows as they now are, {relation: rows}, with their ids: all
    that it has, a relation not named having none. The record copies them instead
    of reading every relation back, seven reads for a provider.
    """
    instance.__dict__.pop("skip_history_when_saving", None)
    if user is not None:
        instance._history_user = user
    instance._history_links = links
    try:
        type(instance)._history_records.create_historical_record(instance, "+" if created else "~")
    finally:
        del instance._history_links


def record_changes(instances, *, created=False, links=None):
    """record_change() for many rows of one model at once, saved (or bulk_create()d)
    with `skip_history_when_saving` set: a query for the records and one a relation,
    rather than as many for each row. `links` are their link rows, {pk: {relation:
    rows}}, with their ids."""
    if not instances:
        return
    for instance in instances:
        instance.__dict__.pop("skip_history_when_saving", None)
    type(instances[0])._history_records.record_many(instances, links or {}, "+" if created else "~")


def without_history(instances):
    """Those of `instances` (rows of one model) that have no history record yet, asked in
    one query for all of them; the saves of all of them then ask no more
    (VersionedModel.save()): the caller records those without history as they were
    stored (record_baselines()) before their changes' records.

    For an import of a thousand providers seeded or loaded from fixtures, these
    questions and the baselines' reads were most of its queries.
    """
    if not instances:
        return []
    model = type(instances[0])
    recorded = set(
        model.history.filter(id__in=[instance.pk for instance in instances])
        .values_list("id", flat=True)
        .distinct()
    )
    for instance in instances:
        instance._history_asked = True
    return [instance for instance in instances if instance.pk not in recorded]


def record_baselines(instances, links=None):
    """record_baseline() for many rows of one model at once, from `instances` as they
    were stored (copies taken before any change) and their link rows as stored, `links`
    ({pk: {relation: rows}}, with their ids): a query for the records and one a relation."""
    if not instances:
        return
    for instance in instances:
        instance._history_user = None
        instance._change_reason = BASELINE_REASON
    type(instances[0])._history_records.record_many(instances, links or {}, "~")


def record_baseline(instance):
    """Record `instance` as stored, before a first change that would otherwise have no "old".

    Rows loaded from fixtures, seeded in bulk or saved before history was kept
    have no record yet; this one carries no user and says why it exists.
    """
    stored = type(instance)._default_manager.get(pk=instance.pk)
    stored._history_user = None
    stored._change_reason = BASELINE_REASON
    type(instance)._history_records.create_historical_record(stored, "~")


class VersionedModel(models.Model):
    """A model that several editors change: each save counts up `version`.

    The rules, for anyone subclassing it:

    - The subclass must declare `history = History(...)` (a system check,
      core.E001, stops start-up otherwise): the conflict message names who
      saved last, and the first change of a row needs a record to compare with.
    - save() of an existing row costs one extra query (does it have any history
      yet?), unless without_history() has answered it. When it has none
      (fixtures, bulk-seeded demo data, rows older than history), save() first
      writes a baseline record of the row as stored, with no user and
      BASELINE_REASON, so the change after it shows old → new.
    - Every save adds one to `version`, also with update_fields (it is added
      to them). Rows written with QuerySet.update() or bulk_create() skip all
      of this: bump `version` yourself if an open form must be refused.
    - Saving never checks the version; VersionedForm (core/history_admin.py)
      compares the version a form was opened at with the stored one.
    """

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Counts saves; an editor's form carries it."
    )
    history: HistoryManager  # from the subclass's History()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            # Asked already by without_history(), whose caller records the baseline.
            if not getattr(self, "_history_asked", False) and not self.history.exists():
                record_baseline(self)
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)

    def last_change(self):
        """(when, who) of the latest recorded change; who is None for scripts and imports."""
        record = self.history.select_related("history_user").order_by("-history_date").first()
        if record is None:
            return None, None
        return timezone.localtime(record.history_date), record.history_user
