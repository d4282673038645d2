"""The editors' dashboard on the admin's front page: what is waiting, what is going stale."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.timesince import timesince

from directory.models import NOTICE_AFTER_DAYS, Provider
from directory.submissions import Submission

MOST_REPORTED_SHOWN = 5


@dataclass(frozen=True)
class KindCount:
    kind: str  # a Submission.Kind value
    label: str
    count: int


@dataclass(frozen=True)
class Reported:
    provider_id: int
    name: str
    open_reports: int


@dataclass(frozen=True)
class Dashboard:
    open_by_kind: list[KindCount]
    open_total: int
    # When the oldest open item arrived, and how long ago in words ("3 days").
    oldest_open_at: datetime | None
    oldest_open_age: str
    # Published listings patients see the "call ahead" notice on.
    unverified_published: int
    most_reported: list[Reported]


def moderation_dashboard(now: datetime | None = None) -> Dashboard:
    """The queue's figures, in three queries."""
    now = now or timezone.now()
    kinds = Submission.Kind
    figures = Submission.objects.open().aggregate(
        oldest=Min("created_at"),
        **{kind.value: Count("pk", filter=Q(kind=kind)) for kind in kinds},
    )
    open_by_kind = [KindCount(kind.value, kind.label, figures[kind.value]) for kind in kinds]
    oldest = figures["oldest"]
    # most_reported() annotates open_reports, which django-stubs cannot see through Self.
    most_reported = Provider.objects.most_reported().values_list(
        "pk",
        "name",
        "open_reports",  # type: ignore[misc]
    )
    return Dashboard(
        open_by_kind=open_by_kind,
        open_total=sum(row.count for row in open_by_kind),
        oldest_open_at=oldest,
        oldest_open_age=timesince(oldest, now, depth=1) if oldest else "",
        unverified_published=Provider.objects.published()
        .unverified_since(NOTICE_AFTER_DAYS, timezone.localdate(now))
        .count(),
        most_reported=[Reported(*row) for row in most_reported[:MOST_REPORTED_SHOWN]],
    )
