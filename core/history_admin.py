"""Admin side of ketanet/history.py: change history pages, and refusing stale saves."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AutocompleteAdmin
from core.history import record_change


class VersionedForm(forms.ModelForm):
    """A change form that refuses to save over a version the editor has not seen."""

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            # The stored version, not the instance's: when reverting to a past
            # version, the instance is that past version.
            self.initial["loaded_version"] = self.stored_versions().first()

    def stored_versions(self):
        manager = type(self.instance)._default_manager
        return manager.filter(pk=self.instance.pk).values_list("version", flat=True)

    def clean(self):
        cleaned_data = super().clean() or self.cleaned_data
        if self.instance.pk is None:
            return cleaned_data
        # Locked until the admin's transaction ends, so a second save waits for
        # the first and then sees its version (PostgreSQL; SQLite writes one at a time).
        stored = self.stored_versions().select_for_update().first()
        if stored is None:
            return cleaned_data  # deleted meanwhile; the save will say so
        if cleaned_data.get("loaded_version") != str(stored):
            raise ValidationError(self.conflict_message(), code="stale")
        self.instance.version = stored
        return cleaned_data

    def conflict_message(self):
        what = self.instance._meta.verbose_name
        when, who = self.instance.last_change()
        if when is None:
            saved = ""
        else:
            day = "" if when.date() == timezone.localdate() else f" on {when:%b} {when.day}"
            by = f"by {who.get_username()}" if who else "by an import or a script"
            saved = f" (at {when:%H:%M}{day} {by})"
        return (
            f"Someone else saved this {what} since you opened it{saved}. Reload the page to "
            "see their changes, then make yours again."
        )


class VersionedAdmin(AutocompleteAdmin, SimpleHistoryAdmin):
    """History pages (who, when, old → new) and optimistic locking for a VersionedModel;
    its autocomplete_fields draw what an editor posted safely (AutocompleteAdmin)."""

    form = VersionedForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        name, options = fieldsets[0]
        # Hidden, so the version the editor loaded comes back with the save.
        fieldsets[0] = (name, {**options, "fields": [*options["fields"], "loaded_version"]})
        return fieldsets

    def save_model(self, request, obj, form, change):
        # One history record once relations and inlines are saved too (log_*).
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        if hasattr(obj, "skip_history_when_saving"):
            record_change(obj, created=True, user=request.user)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if hasattr(obj, "skip_history_when_saving"):
            record_change(obj, user=request.user)
        return super().log_change(request, obj, message)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting saves too: in one transaction, so the version check can lock the row.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)
