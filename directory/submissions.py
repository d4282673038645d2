"""The moderation queue: what patients and practices send in, kept until an editor is done.

One table for the four kinds (a report of a problem with a listing, a
suggestion of a new provider, a practice's proposed update, a report of a
mistake in an article) so editors work one queue. Everything here was typed
by the public: it is shown as inert text and kept only as long as needed (the
email address goes when an item is closed; purge_moderation deletes old items).
"""

from datetime import timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from directory.fields import PhoneField
from directory.states import STATES

DETAILS_MAX_LENGTH = 2000


class SubmissionQuerySet(models.QuerySet):
    def open(self) -> Self:
        """Items an editor still has to finish: new or in progress."""
        return self.filter(status__in=Submission.OPEN)

    def closed(self) -> Self:
        return self.exclude(status__in=Submission.OPEN)

    def older_than(self, days: int, now=None) -> Self:
        """Items filed more than `days` days ago (what purge_moderation deletes)."""
        cutoff = (now or timezone.now()) - timedelta(days=days)
        return self.filter(created_at__lt=cutoff)


class Submission(models.Model):
    """A report, a suggestion or an update proposal, and how an editor handled it."""

    class Kind(models.TextChoices):
        REPORT = "report", "Report of a problem"
        SUGGESTION = "suggestion", "Suggested provider"
        UPDATE = "update", "Update from the practice"
        ARTICLE = "article", "Report of a mistake in an article"

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in-progress", "In progress"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    class Problem(models.TextChoices):
        # The public report forms offer these (translated); editors read them in English.
        CLOSED = "closed", gettext_lazy("It has closed")
        PHONE = "phone", gettext_lazy("The phone number is wrong")
        ADDRESS = "address", gettext_lazy("The address is wrong")
        WEBSITE = "website", gettext_lazy("The website is wrong")
        HOURS = "hours", gettext_lazy("The opening hours are wrong")
        PRICES = "prices", gettext_lazy("The prices are wrong")
        NOT_ACCEPTING = "not-accepting", gettext_lazy("It is not taking new patients")
        OTHER = "other", gettext_lazy("Something else")
        # Of an article
        FACT = "fact", gettext_lazy("A fact is wrong or out of date")
        SOURCE = "source", gettext_lazy("A reference is wrong or its link does not work")
        UNCLEAR = "unclear", gettext_lazy("Something is hard to understand")

    class Confirmation(models.TextChoices):
        # Only update proposals have one.
        NONE = "", "Not needed"
        UNCONFIRMED = "unconfirmed", "Unconfirmed"
        AWAITING = "awaiting", "Awaiting the practice’s confirmation"
        CONFIRMED = "confirmed", "Confirmed by the practice"

    OPEN = (Status.NEW, Status.IN_PROGRESS)

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    provider = models.ForeignKey(
        "directory.Provider",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
        help_text="The listing it concerns (for a suggestion: the draft made from it).",
    )
    # A report of a mistake in an article. The page is kept as its path and title,
    # not a key: this app knows nothing of articles (they depend on it, not the reverse).
    page = models.CharField(
        max_length=300, blank=True, help_text="The path of the article it concerns."
    )
    page_title = models.CharField(
        max_length=200, blank=True, help_text="The article's title when it was reported."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    handled_at = models.DateTimeField(null=True, blank=True, editable=False)
    editor_note = models.TextField(
        blank=True, help_text="For editors only: what you did, whom you called."
    )

    # --- What the public typed -------------------------------------------------
    # A report (of a listing or an article)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    # All kinds
    details = models.TextField(blank=True, max_length=DETAILS_MAX_LENGTH)
    email = models.EmailField(
        blank=True, help_text="For a reply. Erased when the item is resolved or rejected."
    )
    # A suggestion: the provider suggested
    provider_name = models.CharField("name", max_length=200, blank=True)
    website = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, choices=sorted(STATES.items()))
    phone = PhoneField(blank=True)
    # An update: who at the practice proposed it, and what
    submitter_name = models.CharField("their name", max_length=200, blank=True)
    submitter_role = models.CharField("their role", max_length=200, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Each proposed field's new value."
    )
    original = models.JSONField(
        default=dict, blank=True, help_text="Each proposed field's value when it was proposed."
    )
    confirmation = models.CharField(
        max_length=12, choices=Confirmation.choices, blank=True, default=Confirmation.NONE
    )
    # Rotated on every confirmation mail, cleared once used: a link works once.
    confirmation_nonce = models.CharField(max_length=32, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = "report, suggestion or update"
        verbose_name_plural = "reports, suggestions and updates"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["report", "suggestion", "update", "article"]),
                name="submission_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "in-progress", "resolved", "rejected"]),
                name="submission_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.about}"

    def save(self, *args, **kwargs):
        if not self.is_open and self.email:
            # Kept only to reply while the item is open.
            self.email = ""
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "email"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def about(self) -> str:
        """What the item is about, in words: the listing, the suggested name or the article."""
        if self.kind == self.Kind.SUGGESTION:
            return self.provider_name or "(no name given)"
        if self.kind == self.Kind.ARTICLE:
            return self.page_title or self.page or "(an article)"
        return self.provider.name if self.provider else "a deleted listing"


# What each public report form offers (the listing's problems stay as they were).
LISTING_PROBLEMS = [
    (problem.value, problem.label)
    for problem in (
        Submission.Problem.CLOSED,
        Submission.Problem.PHONE,
        Submission.Problem.ADDRESS,
        Submission.Problem.WEBSITE,
        Submission.Problem.HOURS,
        Submission.Problem.PRICES,
        Submission.Problem.NOT_ACCEPTING,
        Submission.Problem.OTHER,
    )
]
ARTICLE_PROBLEMS = [
    (problem.value, problem.label)
    for problem in (
        Submission.Problem.FACT,
        Submission.Problem.SOURCE,
        Submission.Problem.UNCLEAR,
        Submission.Problem.OTHER,
    )
]
