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
            through = field.remote_field.through
            columns = [column.attname for column in through._meta.concrete_fields]
            if known is None:
                values = through._default_manager.filter(
                    **{get_m2m_field_name(field): instance}
                ).values_list(*columns)
            else:
                links = known.get(field.name, [])
                values = [tuple(getattr(link, column) for column in columns) for link in links]
            rows = [
                m2m_history_model(history=history_instance, **dict(zip(columns, row, strict=True)))
                for row in values
            ]
            signal = {"history_instance": history_instance, "instance": instance, "field": field}
            pre_create_historical_m2m_records.send(sender=m2m_history_model, rows=rows, **signal)
            created_rows = m2m_history_model.objects.bulk_create(rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model, created_rows=created_rows, **signal
            )


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
      yet?). When it has none (fixtures, bulk-seeded demo data, rows older than
      history), save() first writes a baseline record of the row as stored, with
      no user and BASELINE_REASON, so the change after it shows old → new.
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
            if not self.history.exists():
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
