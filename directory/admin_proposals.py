"""The admin side of practice update proposals: old → new, conflicts, apply (stub)."""

from django.contrib import admin


class ProposalAdminMixin:
    """Mixed into SubmissionAdmin: shows an update's fields old → new and applies them."""

    @admin.display(description="Proposed changes")
    def proposed_changes(self, submission):
        return "—"
