"""django-import-export's admin screens, driven by our CSV importer (directory/imports.py).

The admin gives editors upload → preview → confirm; the importer underneath is
the same one `manage.py import_providers` runs, so both agree to the letter.
"""

import logging
from collections import defaultdict

import tablib
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from import_export.fields import Field
from import_export.formats.base_formats import CSV
from import_export.forms import ImportForm
from import_export.resources import Resource
from import_export.results import Result, RowResult

from directory.csvfile import (
    ALL_COLUMNS,
    ImportFailed,
    RowError,
    check_size,
    decode_csv,
    export_rows,
    parse_csv,
    rows_from_table,
)
from directory.imports import import_providers
from directory.models import Provider

IMPORT_TYPES = {
    "created": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}
logger = logging.getLogger(__name__)


class ProviderImportForm(ImportForm):
    """The upload form, refusing a file over IMPORT_MAX_BYTES before it is read."""

    def clean_import_file(self):
        # Django has streamed a large upload to a temporary file; its size is
        # known without reading it, and django-import-export would read it whole.
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except ImportFailed as failed:
            raise forms.ValidationError([str(error) for error in failed.errors]) from None
        return upload


class ProviderCSV(CSV):
    """CSV read with the importer's rules, so the admin numbers rows like the command line.

    tablib's own reader drops blank lines, which would shift every "row N" after one.
    Raises ImportFailed for a file the command line would refuse too.
    """

    def create_dataset(self, in_stream, **kwargs):
        if in_stream is None:
            return tablib.Dataset()  # the upload expired from the cache before confirm
        if isinstance(in_stream, bytes):
            in_stream = decode_csv(in_stream)
        rows = parse_csv(in_stream.lstrip("\ufeff"))
        if not rows:
            raise ImportFailed([RowError(1, "file", "the file is empty")])
        if len(rows) == 1:
            rows_from_table(rows[0], [])  # raises: the header's problems, or no data rows
        if len(rows) - 1 > settings.IMPORT_ADMIN_MAX_ROWS:
            # The admin checks every row while the editor waits, preview and confirm,
            # within one request's time limit; the command line has none.
            message = (
                f"the file has {len(rows) - 1:,} rows; the admin imports at most "
                f"{settings.IMPORT_ADMIN_MAX_ROWS:,} at a time. Split the file, or import "
                "it with `manage.py import_providers`."
            )
            raise ImportFailed([RowError(1, "file", message)])
        width = max(map(len, rows))
        # tablib wants rectangles; rows_from_table tells the None padding from blank cells.
        padded = [row + [None] * (width - len(row)) for row in rows]
        return tablib.Dataset(*padded[1:], headers=padded[0])


class ProviderResource(Resource):
    class Meta:
        model = Provider
        name = "Providers CSV (one row per location)"

    @classmethod
    def get_display_name(cls):
        return cls._meta.name

    def get_user_visible_fields(self):
        return [Field(column_name=column) for column in ALL_COLUMNS]

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        result = Result()
        result.diff_headers = ["external_id", "name", "status", "rows", "locations"]
        result.total_rows = len(dataset)
        table = [list(row) for row in dataset]
        try:
            if not dataset.headers:
                # Only at confirm: the preview refuses an empty file.
                raise ImportFailed(
                    [RowError(1, "file", "the uploaded file has expired; upload it again")]
                )
            report = import_providers(rows_from_table(dataset.headers, table), dry_run=dry_run)
        except DatabaseError:
            # The checks passed but the database refused a write (a concurrent edit,
            # say); import_providers' transaction has been rolled back.
            logger.exception("Provider import failed in the database")
            message = "the database refused a write, so nothing was imported; try again"
            return self.invalid(result, dataset, table, [RowError(1, "file", message)])
        except ImportFailed as failed:
            return self.invalid(result, dataset, table, failed.errors)

        for change in report.changes:
            row = RowResult()
            row.import_type = IMPORT_TYPES[change.action]
            row.object_id = change.provider.pk
            row.object_repr = str(change.provider)
            row.instance = change.provider
            row.diff = [
                change.external_id,
                change.provider.name,
                change.provider.status,
                ", ".join(map(str, change.rows)),
                str(change.locations),
            ]
            result.increment_row_result_total(row)
            result.append_row_result(row)
        # Shown by ProviderAdmin: geocoding never blocks an import, but editors must know.
        result.warnings = report.warnings
        return result

    def invalid(self, result, dataset, table, errors):
        """Report the importer's errors as invalid rows, which the preview lists."""
        errors_by_row: defaultdict[int, defaultdict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for error in errors:
            errors_by_row[error.row][error.column].append(error.message)
        for number, by_column in sorted(errors_by_row.items()):
            values = dataset.headers if number == 1 else table[number - 2]
            result.append_invalid_row(
                number, dict(enumerate(values or [])), ValidationError(dict(by_column))
            )
        return result

    def export(self, queryset=None, **kwargs):
        header, *rows = export_rows(Provider.objects.all() if queryset is None else queryset)
        return tablib.Dataset(*rows, headers=header)
