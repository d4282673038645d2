from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_database, default_path


class Command(BaseCommand):
    help = (
        "Back up the database to one file: pg_dump's custom format for PostgreSQL, "
        "an online copy for SQLite. Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            help="The file to write, or a folder for ketanet-<YYYYmmdd-HHMMSS>.<dump|sqlite3> "
            "(default: var/backups/).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *, path, database, **options):
        try:
            if path is None or path.is_dir():
                path = default_path(database, folder=path)
            written = backup_database(path, database)
        except BackupError as error:
            raise CommandError(f"No backup written: {error}") from None
        self.stdout.write(str(written))
