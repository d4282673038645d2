from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from directory.submissions import Submission


class Command(BaseCommand):
    help = (
        "Delete reports, suggestions and practice updates filed more than "
        "MODERATION_RETENTION_DAYS days ago (open or not). Verifications made "
        "from them are kept, without the link. Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            metavar="N",
            help="Keep the last N days instead of MODERATION_RETENTION_DAYS.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *, days, dry_run, **options):
        days = settings.MODERATION_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        old = Submission.objects.older_than(days)
        if dry_run:
            count = old.count()
            verb = "Would delete"
        else:
            # Verification.submission is SET_NULL: the evidence outlives the item.
            count = old.delete()[1].get(Submission._meta.label, 0)
            verb = "Deleted"
        items = ngettext("item", "items", count)
        self.stdout.write(f"{verb} {count} moderation {items} older than {days} days.")
