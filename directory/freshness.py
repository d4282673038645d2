"""How current a listing is, as its profile tells patients: when and how it was verified."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from directory.models import NOTICE_AFTER_DAYS, Provider, Verification


@dataclass(frozen=True)
class Freshness:
    verified_on: date | None
    # How, finishing "Verified on <date> (…)"; "" when the date has no record
    # behind it (set by a CSV import, or before verifications were recorded).
    method: str
    # Not verified in NOTICE_AFTER_DAYS days, or never: patients are told to call ahead.
    notice: bool


def provider_freshness(provider: Provider, today: date | None = None) -> Freshness:
    """The profile's verification line and notice for `provider`, read
    with_verification_method() (how its last_verified date was checked: the record of
    that very date, as an import may have moved the date past the last record)."""
    verified_on = provider.last_verified
    if verified_on is None:
        return Freshness(verified_on=None, method="", notice=True)
    method = provider.verification_method  # type: ignore[attr-defined]  # an annotation
    cutoff = (today or timezone.localdate()) - timedelta(days=NOTICE_AFTER_DAYS)
    return Freshness(
        verified_on=verified_on,
        method=str(Verification.Method(method).label) if method else "",
        notice=verified_on < cutoff,
    )
