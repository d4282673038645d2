import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core.backups import BackupError, check_backup, restore_database, vendor_of


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a backup made by `manage.py backup`. "
        "Asks first, unless given --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask: the database's data is replaced."
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *, path, yes, database, **options):
        name = connections[database].settings_dict["NAME"]
        try:
            # Check the file before asking, so nobody confirms a restore that cannot work.
            check_backup(path, vendor_of(database))
            if not yes:
                self.confirm(path, name)
            restore_database(path, database)
        except BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from None
        self.stdout.write(
            f"Restored {name} from {path}. If the backup is from an older version of "
            "ketanet, run `manage.py migrate` next."
        )

    def confirm(self, path, name):
        question = f"Replace everything in database {name} with {path}? Type yes to go on: "
        if not sys.stdin.isatty():
            raise CommandError(
                f"Nothing restored: restoring replaces everything in database {name}. "
                "Run again with --yes to confirm."
            )
        if input(question).strip().lower() != "yes":
            raise CommandError("Nothing restored.")
