from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from core.admin import SubsetFilter
from core.cache import bump_content_version
from core.history_admin import VersionedAdmin
from directory.csvfile import ImportFailed
from directory.models import Condition, Location, Provider, State, Treatment
from directory.resources import ProviderCSV, ProviderImportForm, ProviderResource

ADDRESS_FIELDS = {"address1", "address2", "city", "state", "zip"}


@admin.register(Condition, Treatment)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LocationInline(admin.StackedInline):
    model = Location
    fields = [
        "address1",
        "address2",
        ("city", "state", "zip"),
        ("latitude", "longitude", "coordinates_source"),
        "phone",
        "hours",
    ]
    readonly_fields = ["coordinates_source"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj and obj.pk else 1


class StaleFilter(SubsetFilter):
    title = "verification"
    parameter_name = "verified"
    inside = ("stale", "Not verified in 180 days")
    outside = ("fresh", "Verified in 180 days")

    def subset(self):
        return Provider.objects.stale()


class StateFilter(admin.SimpleListFilter):
    title = "state (location or at-home)"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state.code, state.name) for state in State.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matching = Provider.objects.filter(
            Q(locations__state=self.value()) | Q(serves_states=self.value())
        ).values("pk")
        return queryset.filter(pk__in=matching)


@admin.register(Provider)
class ProviderAdmin(ImportExportModelAdmin, VersionedAdmin):
    resource_classes = [ProviderResource]
    formats = [ProviderCSV]
    import_form_class = ProviderImportForm
    skip_export_form = True
    skip_export_form_from_action = True

    list_display = ["name", "where", "status", "last_verified"]
    list_filter = ["status", StaleFilter, StateFilter, "conditions", "treatments"]
    search_fields = ["name", "external_id", "locations__city", "locations__zip"]
    autocomplete_fields = ["conditions", "treatments", "serves_states"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [LocationInline]
    actions = ["publish", "unpublish", "mark_verified_today", "regeocode"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "slug", "external_id", "status", "description"]}),
        ("Contact", {"fields": ["website", "phone", "email"]}),
        (
            "Care",
            {
                "fields": [
                    "conditions",
                    "treatments",
                    "serves_states",
                    "accepting_new_patients",
                    ("medical_director_name", "medical_director_credential"),
                ]
            },
        ),
        (
            "Payment",
            {"fields": ["payment_options", "payment_declined", ("price_min", "price_max")]},
        ),
        ("Freshness", {"fields": ["last_verified", ("created_at", "updated_at")]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("locations")

    @admin.display(description="City / state")
    def where(self, provider):
        locations = list(provider.locations.all())
        if not locations:
            return "At home only"
        first = locations[0]
        more = f" (+{len(locations) - 1})" if len(locations) > 1 else ""
        return f"{first.city}, {first.state_id}{more}"

    # --- Saving: coordinates follow the address, never blocking the save ---------

    def save_formset(self, request, form, formset, change):
        if formset.model is not Location:
            return super().save_formset(request, form, formset, change)
        for location_form in formset.forms:
            if not location_form.has_changed() or location_form in formset.deleted_forms:
                continue
            location = location_form.instance
            changed = set(location_form.changed_data)
            if {"latitude", "longitude"} & changed and location.has_coordinates:
                location.coordinates_source = Location.Source.MANUAL
                continue
            moved = (
                changed & ADDRESS_FIELDS and location.coordinates_source != Location.Source.MANUAL
            )
            if (not location.has_coordinates or moved) and (warning := location.regeocode()):
                messages.warning(request, warning)
        return super().save_formset(request, form, formset, change)

    # --- Actions -------------------------------------------------------------------

    def _save_each(self, request, queryset, what, **values):
        """Set `values` on each provider and save it: a history record and a new version each.

        One save per provider, not queryset.update(), so open forms see the new
        version and the history shows the action.
        """
        count = 0
        with transaction.atomic():
            chosen = Provider.objects.filter(pk__in=queryset.values("pk")).select_for_update()
            for provider in chosen.iterator(chunk_size=500):
                for name, value in values.items():
                    setattr(provider, name, value)
                provider._history_user = request.user  # type: ignore[attr-defined]  # simple-history
                provider.save(update_fields=[*values, "updated_at"])
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d provider %(what)s.", "%(count)d providers %(what)s.", count)
            % {"count": count, "what": what},
            messages.SUCCESS,
        )

    @admin.action(description="Publish selected providers", permissions=["change"])
    def publish(self, request, queryset):
        published = Provider.Status.PUBLISHED
        self._save_each(request, queryset.exclude(status=published), "published", status=published)

    @admin.action(
        description="Unpublish selected providers (back to draft)", permissions=["change"]
    )
    def unpublish(self, request, queryset):
        self._save_each(
            request,
            queryset.filter(status=Provider.Status.PUBLISHED),
            "unpublished",
            status=Provider.Status.DRAFT,
        )

    @admin.action(description="Mark selected providers verified today", permissions=["change"])
    def mark_verified_today(self, request, queryset):
        self._save_each(
            request, queryset, "marked verified today", last_verified=timezone.localdate()
        )

    @admin.action(description="Re-geocode locations of selected providers", permissions=["change"])
    def regeocode(self, request, queryset):
        locations = Location.objects.filter(provider__in=queryset).exclude(
            coordinates_source=Location.Source.MANUAL
        )
        count = 0
        for location in locations:
            if warning := location.regeocode():
                messages.warning(request, warning)
            location.save(update_fields=["latitude", "longitude", "coordinates_source"])
            count += 1
        bump_content_version()
        self.message_user(
            request,
            f"Re-geocoded {count} location(s); coordinates typed by editors were kept.",
            messages.SUCCESS,
        )

    # --- Import ----------------------------------------------------------------------

    def add_data_read_fail_error_to_form(self, form, error):
        if isinstance(error, ImportFailed):  # the command line's own words
            for problem in error.errors:
                form.add_error("import_file", str(problem))
        else:
            form.add_error("import_file", f"The file could not be read as CSV: {error}")

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = getattr(response, "context_data", {}).get("result")
        for warning in getattr(result, "warnings", []):
            messages.warning(request, warning)
        return response

    def process_result(self, result, request):
        if result.has_validation_errors():
            # The data changed between preview and confirm; nothing was written.
            for row in result.invalid_rows:
                for column, errors in row.field_specific_errors.items():
                    messages.error(request, f"row {row.number}, {column}: {' '.join(errors)}")
            messages.error(request, "Nothing imported: the file no longer passes the checks.")
            return HttpResponseRedirect(reverse("admin:directory_provider_changelist"))
        return super().process_result(result, request)
