"""The admin side of practice update proposals: old → new, conflicts, resending, applying.

An editor applies a proposal through the provider admin's own save path (its
form, save_model, save_related, log_change): the same validation, optimistic
locking and single history record as a save on the provider's change page.
Everything proposed was typed by the public: it is shown through format_html,
escaped, never marked safe.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import ngettext

from directory.models import Provider, Verification
from directory.moderation import provider_verify
from directory.proposals import (
    PROPOSAL_FIELDS,
    conflicts,
    current_value,
    email_belongs_to_practice,
    field_label,
    send_confirmation,
)
from directory.submissions import Submission

NOT_CONFIRMED = "not confirmed"


@dataclass(frozen=True)
class ProposedRow:
    """One proposed field: its value when proposed, now, and as proposed (as text)."""

    name: str
    label: str
    original: str
    now: str
    proposed: str
    conflict: bool


def shown_value(field_name: str, value: Any) -> str:
    """A proposal's JSON value as an editor reads it: names, labels, Yes/No."""
    field = Provider._meta.get_field(field_name)
    if field.many_to_many:
        if not value:
            return "none"
        related: type[models.Model] = field.related_model  # type: ignore[assignment]
        names = {str(term.pk): str(term) for term in related._default_manager.filter(pk__in=value)}
        return ", ".join(names.get(str(key), str(key)) for key in value)
    if value is None or value == "":
        return NOT_CONFIRMED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    choices = dict(getattr(field, "flatchoices", None) or ())
    return str(choices.get(value, value))


def proposal_rows(submission: Submission, provider: Provider) -> list[ProposedRow]:
    """The proposed fields in form order, each old → now → new, conflicts flagged."""
    conflicting = set(conflicts(submission, provider))
    return [
        ProposedRow(
            name=name,
            label=capfirst(field_label(name)),
            original=shown_value(name, submission.original.get(name)),
            now=shown_value(name, current_value(provider, name)),
            proposed=shown_value(name, submission.changes[name]),
            conflict=name in conflicting,
        )
        for name in PROPOSAL_FIELDS
        if name in submission.changes
    ]


class ApplyForm(forms.Form):
    """Which proposed fields to apply, over which version of the listing."""

    chosen = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Apply"
    )
    verify = forms.BooleanField(
        required=False,
        label="Record a verification: the practice confirmed these facts today",
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, rows: list[ProposedRow], **kwargs):
        super().__init__(*args, **kwargs)
        choice_field = self.fields["chosen"]
        assert isinstance(choice_field, forms.MultipleChoiceField)
        choice_field.choices = [(row.name, row.label) for row in rows]

    def clean_chosen(self):
        chosen = self.cleaned_data["chosen"]
        if not chosen:
            raise forms.ValidationError("Tick at least one field to apply.")
        return chosen


class ProposalAdminMixin:
    """Mixed into SubmissionAdmin: shows an update's fields old → new and applies them.

    Add "proposed_changes" to the admin's readonly fields; the resend action
    joins the admin's actions by itself.
    """

    admin_site: admin.AdminSite
    model: type[Submission]

    # --- The change page ---------------------------------------------------------

    @admin.display(description="Proposed changes")
    def proposed_changes(self, submission: Submission):
        if submission.kind != Submission.Kind.UPDATE:
            return "—"
        provider = submission.provider
        if provider is None:
            return "The listing has been deleted."
        rows = proposal_rows(submission, provider)
        if not rows:
            return "No field changes proposed (see the details)."
        body = format_html_join(
            "\n",
            '<tr class="{}"><th scope="row">{}{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    "conflict" if row.conflict else "",
                    row.label,
                    " (conflict: changed since it was proposed)" if row.conflict else "",
                    row.original,
                    row.now,
                    row.proposed,
                )
                for row in rows
            ),
        )
        link = ""
        if submission.is_open:
            url = reverse(
                f"{self.admin_site.name}:directory_submission_apply", args=[submission.pk]
            )
            link = format_html('<p><a href="{}">Review and apply these changes</a></p>', url)
        return format_html(
            '<table class="proposed-changes"><thead><tr><th scope="col">Field</th>'
            '<th scope="col">When proposed</th><th scope="col">Now</th>'
            '<th scope="col">Proposed</th></tr></thead><tbody>{}</tbody></table>{}',
            body,
            link,
        )

    # --- Resending the confirmation ----------------------------------------------------

    @admin.action(description="Resend the confirmation email", permissions=["change"])
    def resend_confirmation(self, request, queryset):
        """Mail a new link to each open update whose work email is the practice's."""
        sent = failed = skipped = 0
        for submission in queryset.select_related("provider"):
            qualifies = (
                submission.kind == Submission.Kind.UPDATE
                and submission.is_open
                and submission.provider is not None
                and submission.confirmation != Submission.Confirmation.CONFIRMED
                and email_belongs_to_practice(submission.email, submission.provider)
            )
            if not qualifies:
                skipped += 1
            elif send_confirmation(submission):
                sent += 1
            else:
                failed += 1
        if sent:
            self.message_user(  # type: ignore[attr-defined]
                request,
                ngettext("Sent %d confirmation email.", "Sent %d confirmation emails.", sent)
                % sent,
                messages.SUCCESS,
            )
        if failed:
            self.message_user(  # type: ignore[attr-defined]
                request,
                ngettext(
                    "%d confirmation email could not be sent: the mail server failed. "
                    "Try again later.",
                    "%d confirmation emails could not be sent: the mail server failed. "
                    "Try again later.",
                    failed,
                )
                % failed,
                messages.ERROR,
            )
        if skipped:
            self.message_user(  # type: ignore[attr-defined]
                request,
                ngettext(
                    "%d item skipped: only open practice updates, not yet confirmed, from "
                    "the practice’s own address get a confirmation email.",
                    "%d items skipped: only open practice updates, not yet confirmed, from "
                    "the practice’s own address get a confirmation email.",
                    skipped,
                )
                % skipped,
                messages.WARNING,
            )

    # --- Applying ------------------------------------------------------------------------

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.apply_view),
                name="{}_{}_apply".format(*info),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def apply_view(self, request, object_id):
        """Show an update's fields old → now → new; apply the ticked ones to the listing."""
        submission = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if submission is None or submission.kind != Submission.Kind.UPDATE:
            raise Http404("No practice update with that ID.")
        change_url = reverse(
            f"{self.admin_site.name}:directory_submission_change", args=[submission.pk]
        )
        if submission.provider_id is None:
            messages.error(request, "The listing has been deleted: there is nothing to apply to.")
            return HttpResponseRedirect(change_url)
        provider = Provider.objects.get(pk=submission.provider_id)
        provider_admin = self.admin_site._registry[Provider]
        if not (
            self.has_change_permission(request, submission)  # type: ignore[attr-defined]
            and provider_admin.has_change_permission(request, provider)
        ):
            raise PermissionDenied
        if not submission.is_open:
            messages.error(request, "This update is closed already.")
            return HttpResponseRedirect(change_url)

        rows = proposal_rows(submission, provider)
        provider_errors: list[str] = []
        if request.method == "POST":
            form = ApplyForm(request.POST, rows=rows)
            if form.is_valid():
                provider_errors = self.apply(request, submission, provider_admin, form.cleaned_data)
                if not provider_errors:
                    messages.success(
                        request,
                        f"Applied {len(form.cleaned_data['chosen'])} field(s) to “{provider}”; "
                        "the update is resolved.",
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = ApplyForm(
                rows=rows,
                initial={
                    "chosen": [row.name for row in rows if not row.conflict],
                    "verify": submission.confirmation == Submission.Confirmation.CONFIRMED,
                    "loaded_version": provider.version,
                },
            )
        ticked = set(form["chosen"].value() or [])
        context = {
            **self.admin_site.each_context(request),
            "title": f"Apply the update to {provider}",
            "opts": self.model._meta,
            "original": submission,
            "submission": submission,
            "provider": provider,
            "rows": [(row, row.name in ticked) for row in rows],
            "form": form,
            "provider_errors": provider_errors,
            "change_url": change_url,
            "has_conflicts": any(row.conflict for row in rows),
        }
        return TemplateResponse(
            request,
            "admin/directory/submission/apply.html",
            context,
            status=400 if request.method == "POST" else 200,
        )

    def apply(self, request, submission, provider_admin, choice) -> list[str]:
        """Save the chosen proposed fields as the provider admin saves; the errors if not.

        The admin's form is bound to the listing's current values with the chosen
        fields overlaid, and the version the editor saw on the apply page: a save
        since then is refused as on the change page.
        """
        provider = Provider.objects.get(pk=submission.provider_id)
        form_class = provider_admin.get_form(request, provider, change=True)
        current = form_class(instance=provider)
        data = {name: current[name].value() for name in current.fields}
        for name in choice["chosen"]:
            if name not in current.fields:
                return [f"You may not change “{field_label(name)}”."]
            data[name] = submission.changes[name]
        data["loaded_version"] = str(choice["loaded_version"])
        with transaction.atomic():
            form = form_class(data=data, instance=provider)
            if not form.is_valid():
                return [
                    f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
                    for name, errors in form.errors.items()
                    for error in errors
                ]
            provider = provider_admin.save_form(request, form, change=True)
            provider._change_reason = f"Applied the practice’s update (queue item {submission.pk})"
            provider_admin.save_model(request, provider, form, change=True)
            provider_admin.save_related(request, form, formsets=[], change=True)
            provider_admin.log_change(
                request, provider, provider_admin.construct_change_message(request, form, [])
            )
            applied = ", ".join(field_label(name) for name in choice["chosen"])
            left = [field_label(n) for n in submission.changes if n not in choice["chosen"]]
            note = f"Applied: {applied}." + (f" Not applied: {', '.join(left)}." if left else "")
            submission.editor_note = "\n".join(filter(None, [submission.editor_note, note]))
            submission.status = Submission.Status.RESOLVED
            submission.handled_by = request.user
            submission.handled_at = timezone.now()
            submission.save()
            if choice["verify"]:
                provider_verify(
                    provider,
                    method=Verification.Method.PRACTICE_UPDATE,
                    by=request.user,
                    note=note[:500],
                    submission=submission,
                )
        return []
