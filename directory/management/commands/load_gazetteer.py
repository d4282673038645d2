from django.core.management.base import BaseCommand

from directory.gazetteer import load_gazetteer


class Command(BaseCommand):
    help = "Load U.S. ZIP and city centroids into the gazetteer (offline; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Reload even when the data is already there."
        )

    def handle(self, *, force, **options):
        zips, cities, written = load_gazetteer(force=force)
        state = "Loaded" if written else "Already loaded:"
        self.stdout.write(f"{state} {zips} ZIP codes and {cities} cities.")
