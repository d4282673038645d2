"""The moderation queue in the admin: reports, suggestions, practice updates and article reports.

Everything the public typed is shown read-only, as text (the admin escapes
readonly fields and list columns; nothing here marks typed text safe). Editors
set the status and their note; resolving a report can record a verification.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import ngettext

from core.admin import SubsetFilter
from directory.admin_proposals import ProposalAdminMixin
from directory.models import Verification
from directory.moderation import provider_verify, suggestion_to_draft
from directory.submissions import Submission

EXCERPT_CHARS = 80

# What the public typed, by kind: shown read-only in the change view.
TYPED_FIELDS = {
    Submission.Kind.REPORT: ["problem", "details", "email"],
    Submission.Kind.SUGGESTION: [
        "provider_name",
        "website",
        ("city", "state"),
        "phone",
        "details",
        "email",
    ],
    Submission.Kind.UPDATE: [
        ("submitter_name", "submitter_role"),
        "email",
        "details",
        "proposed_changes",
    ],
    Submission.Kind.ARTICLE: ["problem", "details", "email"],
}
ITEM_FIELDS = ["kind", "concerns", "created_at"]
HANDLING_FIELDS = ["status", "editor_note", ("handled_by", "handled_at")]
CONFIRMATION_FIELDS = ["confirmation", ("confirmation_sent_at", "confirmed_at")]
VERIFY_FIELDS = ["verify_method", "verify_note"]
# Never editable here, whatever the kind.
READONLY_FIELDS = [
    "kind",
    "concerns",
    "created_at",
    "handled_by",
    "handled_at",
    "problem",
    "details",
    "email",
    "provider_name",
    "website",
    "city",
    "state",
    "phone",
    "submitter_name",
    "submitter_role",
    "proposed_changes",
    "confirmation",
    "confirmation_sent_at",
    "confirmed_at",
]


class QueueFilter(SubsetFilter):
    title = "open or closed"
    parameter_name = "queue"
    inside = ("open", "Open (new or in progress)")
    outside = ("closed", "Closed (resolved or rejected)")

    def subset(self):
        return Submission.objects.open()


class SubmissionForm(forms.ModelForm):
    """Status and note, plus an optional verification recorded when a report is resolved."""

    verify_method = forms.ChoiceField(
        label="Also mark the listing verified",
        choices=[("", "No: nothing was verified"), *Verification.Method.choices],
        required=False,
        help_text="Only when you resolve the item: how you checked the listing's details.",
    )
    verify_note = forms.CharField(
        label="What you checked",
        max_length=Verification._meta.get_field("note").max_length,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = Submission
        fields = ["status", "editor_note"]

    def clean(self):
        cleaned_data = super().clean() or self.cleaned_data
        if cleaned_data.get("verify_method"):
            if cleaned_data.get("status") != Submission.Status.RESOLVED:
                self.add_error("verify_method", "Record a verification only when resolving.")
            elif self.instance.provider_id is None:
                self.add_error("verify_method", "This item concerns no listing to verify.")
        return cleaned_data


@admin.register(Submission)
class SubmissionAdmin(ProposalAdminMixin, admin.ModelAdmin):
    form = SubmissionForm
    list_display = [
        "kind",
        "status",
        "concerns",
        "excerpt",
        "created_at",
        "handled_by",
        "handled_at",
        "confirmation_shown",
    ]
    list_filter = ["kind", "status", "confirmation", QueueFilter]
    list_select_related = ["provider", "handled_by"]
    search_fields = ["provider__name", "provider_name", "page_title"]
    ordering = ["-created_at", "-pk"]
    readonly_fields = READONLY_FIELDS
    actions = ["mark_in_progress", "resolve", "reject", "make_draft", "resend_confirmation"]
    list_per_page = 50

    # --- Who may do what: items come only from the public forms ---------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Retention deletes old items (purge_moderation); editors never do.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_draft_permission(self, request):
        return request.user.has_perm("directory.add_provider")

    # --- The change view --------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ITEM_FIELDS + HANDLING_FIELDS})]
        kind = Submission.Kind(obj.kind)
        fieldsets = [
            (None, {"fields": ITEM_FIELDS}),
            ("What they sent", {"fields": TYPED_FIELDS[kind]}),
        ]
        if kind == Submission.Kind.UPDATE:
            fieldsets.append(("The practice’s confirmation", {"fields": CONFIRMATION_FIELDS}))
        fieldsets.append(("Handling", {"fields": HANDLING_FIELDS}))
        if kind != Submission.Kind.SUGGESTION and obj.provider_id is not None:
            fieldsets.append(
                (
                    "Verification",
                    {
                        "fields": VERIFY_FIELDS,
                        "description": "Did you check the listing while handling this? "
                        "Choose how, and its verified date moves to today.",
                    },
                )
            )
        return fieldsets

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.handled_by = request.user
            obj.handled_at = timezone.now()
        super().save_model(request, obj, form, change)
        method = form.cleaned_data.get("verify_method")
        if method and obj.status == Submission.Status.RESOLVED and obj.provider is not None:
            verification = provider_verify(
                obj.provider,
                method=method,
                by=request.user,
                note=form.cleaned_data.get("verify_note", ""),
                submission=obj,
            )
            self.message_user(request, f"{obj.provider}: {verification}.", messages.SUCCESS)

    # --- The changelist's columns -------------------------------------------------------

    @admin.display(description="Listing or article", ordering="provider__name")
    def concerns(self, submission):
        if submission.kind == Submission.Kind.ARTICLE:
            # The path the article view stored; anything else is shown as text, not linked.
            page = submission.page
            if page.startswith("/") and url_has_allowed_host_and_scheme(page, allowed_hosts=None):
                return format_html('<a href="{}">{}</a>', page, submission.about)
            return submission.about
        if submission.kind == Submission.Kind.SUGGESTION and submission.provider is None:
            return f"Suggested: {submission.provider_name}" if submission.provider_name else "—"
        if submission.provider is None:
            return "A deleted listing"
        url = reverse("admin:directory_provider_change", args=[submission.provider_id])
        return format_html('<a href="{}">{}</a>', url, submission.provider.name)

    @admin.display(description="What they wrote")
    def excerpt(self, submission):
        parts = [
            submission.get_problem_display() if submission.problem else "",
            ", ".join(sorted(submission.changes)) if submission.changes else "",
            submission.details,
        ]
        text = " — ".join(part for part in parts if part)
        return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS) or "—"

    @admin.display(description="Confirmation", ordering="confirmation")
    def confirmation_shown(self, submission):
        if submission.kind != Submission.Kind.UPDATE:
            return ""
        return submission.get_confirmation_display()

    # --- Actions -------------------------------------------------------------------------

    def _set_status(self, request, queryset, status):
        """Give each item `status`, saving each so Submission.save() erases a closed one's email."""
        now, count = timezone.now(), 0
        for item in queryset.exclude(status=status):
            item.status = status
            item.handled_by = request.user
            item.handled_at = now
            item.save(update_fields=["status", "handled_by", "handled_at"])
            count += 1
        label = Submission.Status(status).label.lower()
        self.message_user(
            request,
            ngettext("%(count)d item marked %(label)s.", "%(count)d items marked %(label)s.", count)
            % {"count": count, "label": label},
            messages.SUCCESS,
        )

    @admin.action(description="Mark in progress", permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._set_status(request, queryset, Submission.Status.IN_PROGRESS)

    @admin.action(description="Resolve", permissions=["change"])
    def resolve(self, request, queryset):
        self._set_status(request, queryset, Submission.Status.RESOLVED)

    @admin.action(description="Reject", permissions=["change"])
    def reject(self, request, queryset):
        self._set_status(request, queryset, Submission.Status.REJECTED)

    @admin.action(
        description="Make a draft provider from this suggestion", permissions=["change", "draft"]
    )
    def make_draft(self, request, queryset):
        suggestions = queryset.filter(kind=Submission.Kind.SUGGESTION, provider__isnull=True)
        skipped = queryset.count() - len(suggestions)
        drafts = []
        for suggestion in suggestions:
            provider = suggestion_to_draft(suggestion, by=request.user)
            drafts.append(provider)
            where = ", ".join(part for part in [suggestion.city, suggestion.state] if part)
            self.message_user(
                request,
                f"Draft “{provider.name}” made. Add its location"
                + (f" in {where}" if where else "")
                + ", check its details, then publish it.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d item skipped: only a suggestion without a draft becomes one.",
                    "%(count)d items skipped: only a suggestion without a draft becomes one.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        if len(drafts) == 1:
            return HttpResponseRedirect(
                reverse("admin:directory_provider_change", args=[drafts[0].pk])
            )
        return None
