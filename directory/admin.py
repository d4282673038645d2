import operator
from functools import reduce
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from core.admin import SubsetFilter
from core.cache import bump_content_version
from core.history_admin import VersionedAdmin
from directory.csvfile import ImportFailed
from directory.facts import AT_HOME_GROUPS, FACT_GROUPS
from directory.forms import LocationForm, ProviderForm, RecordVerificationForm, VerificationForm
from directory.models import (
    NOTICE_AFTER_DAYS,
    STALE_AFTER_DAYS,
    Condition,
    Language,
    Location,
    PaymentOption,
    PrescriberType,
    Provider,
    State,
    Treatment,
    Verification,
)
from directory.moderation import provider_verify
from directory.resources import ProviderCSV, ProviderImportForm, ProviderResource

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

ADDRESS_FIELDS = {"address1", "address2", "city", "state", "zip"}


@admin.register(Condition, Treatment)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["name", "name_es", "slug"]
    search_fields = ["name", "name_es", "slug"]
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


@admin.register(PaymentOption, PrescriberType, Language)
class FixedTermAdmin(admin.ModelAdmin):
    """The fixed lists of directory/facts.py: looked up here, changed only by a migration."""

    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]

    def has_view_permission(self, request, obj=None):
        # Public lists: whoever may see providers may look up what their facts mean.
        return request.user.has_perm("directory.view_provider") or super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LocationInline(admin.StackedInline):
    model = Location
    form = LocationForm
    fields = [
        "address1",
        "address2",
        ("city", "state", "zip"),
        ("latitude", "longitude", "coordinates_source"),
        "phone",
        "opening_hours",
        "hours",
        ("wheelchair_accessible", "private_room"),
    ]
    readonly_fields = ["coordinates_source"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj and obj.pk else 1


class VerificationInline(admin.TabularInline):
    """A listing's verifications: evidence, so rows are added, never changed or deleted.

    New rows are saved through provider_verify() (ProviderAdmin.save_formset),
    which moves the listing's last_verified date.
    """

    model = Verification
    form = VerificationForm
    fields = ["verified_on", "method", "note", "verified_by"]
    readonly_fields = ["verified_by"]
    extra = 0
    can_delete = False
    verbose_name_plural = "verifications (how and when the details were checked)"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("verified_by")


class StaleFilter(admin.SimpleListFilter):
    title = "verification"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [
            ("stale", "Not verified in 6 months"),
            ("notice", "Not verified in 12 months (patients see a notice)"),
            ("fresh", "Verified in 6 months"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.unverified_since(STALE_AFTER_DAYS)
        if self.value() == "notice":
            return queryset.unverified_since(NOTICE_AFTER_DAYS)
        if self.value() == "fresh":
            return queryset.exclude(pk__in=Provider.objects.stale().values("pk"))
        return queryset


class TelehealthRecheckFilter(SubsetFilter):
    title = "at-home care"
    parameter_name = "telehealth"
    inside = ("recheck", "At-home: telehealth facts to recheck")
    outside = ("current", "Telehealth facts current, or a clinic only")

    def subset(self):
        return Provider.objects.telehealth_to_recheck()


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


class PaymentFilter(admin.SimpleListFilter):
    title = "payment accepted"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [(option.slug, option.name) for option in PaymentOption.objects.all()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.paying_with_any([self.value()])


class LanguageFilter(admin.SimpleListFilter):
    title = "languages spoken"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        # The languages some provider speaks, not all 184 codes.
        spoken = Provider.languages.through.objects.filter(language=OuterRef("pk"))
        return [
            (language.slug, language.name) for language in Language.objects.filter(Exists(spoken))
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.speaking(self.value())


def with_completeness(queryset: QuerySet[Provider]) -> QuerySet[Provider]:
    """Annotate facts_confirmed and facts_applicable: fact groups confirmed, of those that apply.

    In SQL, so the changelist can sort and filter by it: the at-home groups
    apply only to a provider with at-home states (Provider.fact_groups()).
    """
    at_home = Exists(Provider.serves_states.through.objects.filter(provider=OuterRef("pk")))
    confirmed = [
        Case(
            When(
                Q(**{f"{group.key}_confirmed__isnull": False})
                & (Q(treats_at_home=True) if group.key in AT_HOME_GROUPS else Q()),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
        for group in FACT_GROUPS
    ]
    everywhere = len(FACT_GROUPS) - len(AT_HOME_GROUPS)
    return queryset.annotate(treats_at_home=at_home).annotate(
        facts_confirmed=reduce(operator.add, confirmed),
        facts_applicable=Case(
            When(treats_at_home=True, then=Value(len(FACT_GROUPS))),
            default=Value(everywhere),
            output_field=IntegerField(),
        ),
    )


class CompletenessFilter(admin.SimpleListFilter):
    """Whom to call: providers by how many of their fact groups are confirmed."""

    title = "facts confirmed"
    parameter_name = "facts"

    def lookups(self, request, model_admin):
        return [("all", "All confirmed"), ("some", "Some missing"), ("none", "None confirmed")]

    def queryset(self, request, queryset):
        # The queryset carries with_completeness()'s annotations (ProviderAdmin.get_queryset).
        if self.value() == "all":
            return queryset.filter(facts_confirmed=F("facts_applicable"))
        if self.value() == "some":
            return queryset.filter(facts_confirmed__gt=0, facts_confirmed__lt=F("facts_applicable"))
        if self.value() == "none":
            return queryset.filter(facts_confirmed=0)
        return queryset


def fact_fieldsets() -> "_FieldsetSpec":
    """One fieldset per fact group, in FACT_GROUPS order, each with its confirmed date first."""
    fields: dict[str, list[str | tuple[str, str]]] = {
        "cost": [
            ("price_min", "price_max"),
            ("consultation_fee", "course_price"),
            "price_includes",
            "cancellation_terms",
        ],
        "payment": ["payment_options", "payment_declined"],
        "treatments": ["treatments", "rems_certified"],
        "prescribers": [
            "prescriber_types",
            "board_certified",
            "npi",
            ("medical_director_name", "medical_director_credential"),
        ],
        "safety": [
            "vitals_monitored",
            "present_throughout",
            "observation_minutes",
            "ride_home_required",
        ],
        "intake": [
            "consultation_required",
            "referral_required",
            "existing_patients_only",
            "consultation_fee_refunded",
        ],
        "psychotherapy": ["kap"],
        "course": [("course_sessions", "course_weeks"), "course_notes"],
        "telehealth": ["serves_states", "in_person_evaluation", "compounded", "sent_home"],
        "access": ["accepting_new_patients", "wait_days", "languages"],
    }
    return [
        (str(group.title), {"fields": [f"{group.key}_confirmed", *fields[group.key]]})
        for group in FACT_GROUPS
    ]


@admin.register(Provider)
class ProviderAdmin(ImportExportModelAdmin, VersionedAdmin):
    resource_classes = [ProviderResource]
    formats = [ProviderCSV]
    import_form_class = ProviderImportForm
    skip_export_form = True
    skip_export_form_from_action = True

    form = ProviderForm
    list_display = ["name", "where", "status", "last_verified", "completeness"]
    list_filter = [
        "status",
        StaleFilter,
        TelehealthRecheckFilter,
        CompletenessFilter,
        StateFilter,
        PaymentFilter,
        LanguageFilter,
        "conditions",
        "treatments",
    ]
    search_fields = ["name", "external_id", "locations__city", "locations__zip"]
    autocomplete_fields = ["conditions", "treatments", "serves_states"]
    # 184 languages: a filterable pair of lists, which needs no permission on Language.
    filter_horizontal = ["languages"]
    # A few options each: boxes to tick, where a list to pick from hides what is unticked.
    checkbox_fields = {"payment_options", "payment_declined", "prescriber_types"}
    prepopulated_fields = {"slug": ["name"]}
    # last_verified follows the verifications (provider_verify); the CSV import may set it.
    readonly_fields = ["last_verified", "created_at", "updated_at"]
    inlines = [LocationInline, VerificationInline]
    actions = ["publish", "unpublish", "record_verification", "regeocode"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "slug", "external_id", "status", "description"]}),
        ("Contact", {"fields": ["website", "phone", "email"]}),
        ("Conditions treated", {"fields": ["conditions"]}),
        *fact_fieldsets(),
        ("Freshness", {"fields": ["last_verified", ("created_at", "updated_at")]}),
    ]

    def get_queryset(self, request):
        return with_completeness(super().get_queryset(request).prefetch_related("locations"))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.checkbox_fields:
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Facts confirmed", ordering="facts_confirmed")
    def completeness(self, provider):
        return f"{provider.facts_confirmed} of {provider.facts_applicable}"

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
        if formset.model is Verification:
            return self.save_verifications(request, form.instance, formset)
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

    def save_verifications(self, request, provider, formset):
        """Record the inline's new rows through provider_verify(); never change existing ones."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for verification_form in formset.extra_forms:
            if not verification_form.has_changed():
                continue
            data = verification_form.cleaned_data
            formset.new_objects.append(
                provider_verify(
                    provider,
                    method=data["method"],
                    by=request.user,
                    note=data.get("note", ""),
                    on=data.get("verified_on"),
                )
            )

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

    def has_verify_permission(self, request):
        return request.user.has_perm("directory.add_verification")

    @admin.action(
        description="Record a verification for selected providers…", permissions=["verify"]
    )
    def record_verification(self, request, queryset):
        """Ask how the providers were verified (an intermediate page), then record it for each."""
        form = RecordVerificationForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = 0
            with transaction.atomic():
                chosen = Provider.objects.filter(pk__in=queryset.values("pk")).select_for_update()
                for provider in chosen:
                    provider_verify(
                        provider,
                        method=form.cleaned_data["method"],
                        by=request.user,
                        note=form.cleaned_data["note"],
                        on=form.cleaned_data["verified_on"],
                    )
                    count += 1
            self.message_user(
                request,
                ngettext(
                    "Verification recorded for %(count)d provider.",
                    "Verification recorded for %(count)d providers.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Record a verification",
            "opts": self.model._meta,
            "form": form,
            "providers": queryset,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "record_verification",
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/directory/provider/record_verification.html", context
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


# The moderation queue's admin lives in its own module; imported so it registers.
from directory import moderation_admin as moderation_admin  # noqa: E402
