from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from directory.csvfile import COLUMNS, OPTIONAL_COLUMNS, ImportFailed, check_size, read_csv
from directory.imports import import_providers


class Command(BaseCommand):
    help = (
        "Import providers from a CSV file with the columns "
        f"{','.join(COLUMNS)}, then any of {','.join(OPTIONAL_COLUMNS)} (a fact whose "
        "column is absent stays as it was). One row per location; rows with the same "
        "external_id are one provider. All or nothing: any invalid row and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, but write nothing."
        )

    def handle(self, *, file, dry_run, **options):
        try:
            # The size first, so an oversized file is refused without being read.
            check_size(file.stat().st_size)
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except ImportFailed as failed:
            self.fail(file, failed)
        try:
            report = import_providers(read_csv(data), dry_run=dry_run)
        except ImportFailed as failed:
            self.fail(file, failed)
        except DatabaseError as error:
            # The checks passed but the database refused a write (a concurrent edit,
            # say); the import's transaction has been rolled back.
            raise CommandError(
                f"Nothing imported: the database refused a write: {error}", returncode=1
            ) from error
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(report.summary)

    def fail(self, file, failed):
        for error in failed.errors:
            self.stderr.write(str(error))
        raise CommandError(
            f"Nothing imported: {len(failed.errors)} error(s) in {file}.", returncode=1
        ) from None
